"""An nbgrader course for the six steps, and the proof that nbgrader grades it right.

    python -m tools.nbgrader.course [FOLDER]          # `make nbgrader`: write the course (default
    build/nbgrader/)
    python -m tools.nbgrader.course --grade-check     # `make grade-proof`: grade simulated students with
    nbgrader
    python -m tools.nbgrader.course --table [FOLDER]  # the gradebook's scores, a column per exercise

The course folder holds nbgrader_config.py and source/trainN/trainN.ipynb for every step: the
teacher's version of the student notebook (tools/exercises/student.py), with the cell metadata nbgrader's
Create Assignment toolbar writes: each blank's cell an autograded answer (solution), each check an
autograder test worth one point that asserts (so a wrong answer raises and costs its point), the
setup cell and all given code locked. names.txt goes beside each notebook when data/names.txt is there.
The config runs the autograder in quick mode with a cell timeout that fits it, reads the students' cells
before it trusts a check (tools/nbgrader/audit.py), and gives feedback pages that work offline
(tools/nbgrader/feedback/, MathJax in feedback/mathjax/). A file the teacher changed is kept, and said so.

--grade-check runs nbgrader itself (the pinned .venv-nbgrader; run it with that Python) in a
temporary course, for every step: `nbgrader generate_assignment`, then three kinds of simulated
students submit: the solutions (full marks), the untouched release (0), and for each exercise one
plausible mistake from tests/test_exercises.py's WRONG table (that exercise's point lost, every
other exercise's kept); `nbgrader autograde` grades them, `nbgrader generate_feedback` writes
their feedback. It prints the score table and exits 1 when a score is not what it must be: a
checker that always passes, or an exercise whose check depends on an earlier exercise, fails it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import project
from ..project import BUILD, command_line, pinned_environment, run_main, without_knobs

with pinned_environment():
    import nbformat

from ..exercises import student as exercises  # noqa: E402
from ..exercises.wrong import WRONG  # noqa: E402
from ..generate import notebooks  # noqa: E402

ROOT = notebooks.ROOT
NAMES = ROOT / "data" / "names.txt"
COURSE = BUILD / "nbgrader"
DOCS = ROOT / "docs" / "exercises.md"  # shows the score table of the last grade check
AUDIT = Path(__file__).with_name("audit.py")
FEEDBACK = Path(__file__).with_name("feedback")  # the feedback page's template
TIMEOUT = 15  # seconds per cell when autograding: quick mode's longest cell takes a few
CONFIG = """\
# nbgrader's configuration for the microgpt course, written by `make nbgrader` (change it as you like:
# make nbgrader keeps a changed copy; delete it to get a new one).
import os

from nbgrader.preprocessors import NbGraderPreprocessor

c = get_config()
c.CourseDirectory.course_id = "microgpt"

# The autograder runs each notebook in quick mode (the checks need no training): then every cell takes a
# few seconds, and a cell that never ends costs {timeout} s. A knob set in your shell wins.
for knob, value in {quick!r}.items():
    os.environ.setdefault(knob, value)
c.Execute.timeout = {timeout}  # seconds per cell

# `nbgrader zip_collect trainN`: files in downloaded/trainN/archive/ named <student>_trainN.ipynb.
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^_/]+)_(?P<file_id>[^/]+)$"

# Feedback pages that work offline: the checks named, the setup cell folded, MathJax from feedback/mathjax/.
c.HTMLExporter.template_name = "microgpt_feedback"
here = os.path.dirname(os.path.abspath(__file__))  # the course folder
c.HTMLExporter.extra_template_basedirs = [os.path.join(here, "templates")]

"""
CONFIG_END = """

class Audit(NbGraderPreprocessor):
    \"\"\"After a notebook ran, before its grades are saved: a check that a student's cell could have changed
    gets an error output, which nbgrader scores 0 (see verdicts above).\"\"\"

    def preprocess(self, nb, resources):
        from nbformat.v4 import new_output

        for i, line in verdicts(nb.cells).items():
            self.log.warning("%s", line)
            nb.cells[i].outputs.append(new_output("error", ename="NotGraded", evalue=line, traceback=[line]))
        return nb, resources


def _after_execute(preprocessors):
    names = [getattr(p, "__name__", str(p)).rsplit(".", 1)[-1] for p in preprocessors]
    i = names.index("Execute") + 1
    return [*preprocessors[:i], Audit, *preprocessors[i:]]


from nbgrader.converters import Autograde  # noqa: E402

default = Autograde.class_traits()["autograde_preprocessors"].default()
c.Autograde.autograde_preprocessors = _after_execute(default)
"""
# The autograder runs every notebook in quick mode (the checks do not depend on it), offline.
QUICK = project.QUICK["grader"]
WRITTEN = ".written.json"  # sha256 of every file make nbgrader wrote: a different one is the teacher's


def config():
    """nbgrader_config.py: CONFIG, the audit (tools/nbgrader/audit.py, as it is), the preprocessor."""
    audit = AUDIT.read_text(encoding="utf-8").split("\n\nif __name__ ==")[0] + "\n"
    return CONFIG.format(quick=QUICK, timeout=TIMEOUT) + "\n# " + "-" * 100 + "\n" + audit + CONFIG_END


def course_files():
    """{path in the course: bytes} of everything make nbgrader writes."""
    files = {"nbgrader_config.py": config().encode("utf-8")}
    for f in sorted(FEEDBACK.iterdir()):
        files[f"templates/microgpt_feedback/{f.name}"] = f.read_bytes()
    for n in notebooks.steps():
        files[f"source/train{n}/train{n}.ipynb"] = exercises.build(n, teacher=True).encode("utf-8")
        if NAMES.is_file():
            files[f"source/train{n}/names.txt"] = NAMES.read_bytes()
    return files


def sha(data):
    return hashlib.sha256(data).hexdigest()


def write_course(folder, say=print, mathjax=True):
    """Every file of course_files() in folder; one the teacher changed since make nbgrader wrote it is
    kept, and said so. Also MathJax for the feedback pages (once; without npm, the math stays TeX)."""
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / WRITTEN
    written = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
    kept = []
    for name, data in course_files().items():
        path = folder / name
        if path.is_file() and sha(path.read_bytes()) not in (written.get(name), sha(data)):
            kept.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written[name] = sha(data)
    record.write_text(json.dumps(written, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for name in kept:
        say(f"kept {folder / name}: you changed it (to get make nbgrader's, delete it and run make nbgrader)")
    where = folder / "feedback" / "mathjax"
    if mathjax and not (where / "tex-chtml.js").is_file():
        from ..lite.build import LiteError
        from ..site import build as site

        try:
            site.mathjax(where)
        except (LiteError, OSError) as error:
            say(f"(no MathJax for the feedback pages: {error}; their math shows as TeX)")
    return folder


def wrong_answers(n):
    """{exercise name: (what, [edited code of each of its parts])}: one plausible mistake per exercise,
    the first one of tools/exercises/wrong.py's WRONG table that edits the exercise's own code."""

    found = {}
    for name, _, parts in exercises.exercises(n):
        for what, entry in WRONG[(n, name)].items():
            edits = entry[0] if isinstance(entry, tuple) else entry  # (edits, the words its ✗ line says)
            if isinstance(edits, str):  # "replace the whole region": not an edit of the code
                continue
            codes = [region.code for region in parts]
            for old, new in edits:
                hits = [i for i, code in enumerate(codes) if old in code]
                if not hits:
                    break
                codes[hits[0]] = codes[hits[0]].replace(old, new)
            else:
                found[name] = (what, codes)
                break
        else:
            raise SystemExit(f"error: no mistake in WRONG edits train{n}'s {name} inside its own code")
    return found


BLANK = "raise NotImplementedError()"  # an answer left blank, as the release has it
# Submissions that game the check: (student, what, exercise, its answer: "blank", "wrong" (the first
# mistake of WRONG) or "solution", the code added at the end of its answer cell). Each must lose exactly
# that exercise's point. The first two fooled nbgrader before the grade cells had checkers of their own;
# "_graded" is what no check inside the kernel can stop (the audit does).
GAMING = {
    2: [
        (
            "gaming-check",
            "2.4 blank; its cell sets check.backward to pass",
            "Value.backward",
            "blank",
            "check.backward = lambda *a, **k: True",
        ),
        (
            "gaming-builtins",
            "2.1 wrong (swapped); builtins.abs made 0",
            "Value.__mul__",
            "wrong",
            "import builtins\nbuiltins.abs = lambda x: 0.0",
        ),
        (
            "gaming-math",
            "2.3 wrong; math.isclose made always true",
            "Value.log",
            "wrong",
            "math.isclose = lambda *a, **k: True",
        ),
        ("runaway", "2.4's backward never ends", "Value.backward", "loop", ""),
    ],
    5: [
        (
            "gaming-check",
            "5.1 blank; its cell sets check.adam to pass",
            "adam",
            "blank",
            "check.adam = lambda *a, **k: True",
        ),
        (
            "gaming-replace",
            "5.1 blank; its cell replaces check itself",
            "adam",
            "blank",
            'check = type("Pass", (), {"adam": staticmethod(lambda *a, **k: True)})()',
        ),
        (
            "gaming-graded",
            "5.1 blank; its cell replaces the grade cells' _graded",
            "adam",
            "blank",
            "class _Pass:\n    def __getattr__(self, name):\n        return self\n\n"
            "    def verdict(self, *args):\n        return True, '✓'\n\n\n_graded = _Pass",
        ),
    ],
}
LOOP = "while True:  # never ends\n    self.grad = 1"


def students(n, release):
    """{student id: (what, notebook, the exercises it must lose)}: step n's simulated students."""
    nb = lambda: nbformat.read(release, as_version=4)  # noqa: E731 - a fresh copy each time
    names = [name for name, _, _ in exercises.exercises(n)]
    numbers = {name: f"{n}.{k}" for k, name in enumerate(names, 1)}
    wrong = wrong_answers(n)

    def submission(answers, added=None):
        """The release filled in: answers {exercise: its codes}, the others solved; added: {exercise: code
        at the end of its answer cell}."""
        codes = [
            code
            for name, _, parts in exercises.exercises(n)
            for code in answers.get(name, [region.code for region in parts])
        ]
        filled = exercises.fill(nb(), codes)
        answer_cells = [c for c in filled.cells if c.metadata.get("nbgrader", {}).get("solution")]
        for name, code in (added or {}).items():
            answer_cells[names.index(name)].source += "\n\n" + code
        return filled

    found = {
        "solutions": ("every blank filled in with the step's own code", submission({}), []),
        "blank": ("the release handed back untouched", nb(), sorted(numbers.values())),
    }
    for name in names:
        what, edited = wrong[name]
        found[f"wrong-{numbers[name].replace('.', '-')}"] = (
            f"{numbers[name]} wrong: {what}",
            submission({name: edited}),
            [numbers[name]],
        )
    for student, what, name, answer, added in GAMING.get(n, []):
        parts = dict((other, p) for other, _, p in exercises.exercises(n))[name]
        codes = {
            "blank": [BLANK] * len(parts),
            "wrong": wrong[name][1],
            "loop": [LOOP],
            "solution": [region.code for region in parts],
        }[answer]
        found[student] = (what, submission({name: codes}, {name: added} if added else None), [numbers[name]])
    return found


def nbgrader(course, *args, env=None, fails=False):
    """Run one nbgrader command in the course folder; stop with its output if it fails (fails: if it
    does not)."""
    command = [str(Path(sys.executable).parent / "nbgrader"), *args]
    env = env or dict(os.environ)
    result = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=1800)
    if bool(result.returncode) != fails:
        sys.exit(
            f"error: `nbgrader {' '.join(args)}` {'did not fail' if fails else 'failed'} (exit "
            f"{result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


def scores(course, assignment):
    """{student: {grade_id: (score, max_score)}} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            submission.student.id: {
                grade.name: (grade.score, grade.max_score)
                for notebook in submission.notebooks
                for grade in notebook.grades
            }
            for submission in gradebook.find_assignment(assignment).submissions
        }


def said(course, student, assignment):
    """{exercise number: what its grade cell said last (the ✗ line, or the audit's)}, from the autograded
    notebook."""
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            lines = [o.get("evalue", "") for o in cell.outputs if o.output_type == "error"]
            out[exercises.exercise_of(meta["grade_id"])] = " | ".join(dict.fromkeys(lines)) or "✓"
    return out


def grade_step(course, n, env):
    """Release, submit, autograde and give feedback for step n; return (rows, problems, notes): notes
    {student: (the ✗ line of the exercise it lost, seconds its autograde took)} for GAMING's students."""
    assignment = f"train{n}"
    nbgrader(course, "generate_assignment", assignment, "--force")
    release = course / "release" / assignment / f"{assignment}.ipynb"
    problems = []
    released = nbformat.read(release, as_version=4)
    text = "\n".join(cell.source for cell in released.cells)
    parts = sum(len(parts) for _, _, parts in exercises.exercises(n))
    if text.count(exercises.HINT) != parts or exercises.BEGIN in text:
        problems.append(f"{assignment}: the release should keep {parts} hint line(s) and no solution")
    checks = {
        cell.metadata.nbgrader.grade_id: exercises.exercise_of(cell.metadata.nbgrader.grade_id)
        for cell in released.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }
    submitted = students(n, release)
    alone = [s for s in submitted if s == "runaway"]  # graded on its own, timed
    for student, (_, nb, _) in submitted.items():
        folder = course / "submitted" / student / assignment
        shutil.copytree(release.parent, folder)
        nbformat.write(nb, folder / release.name)
        if student in alone:
            folder.rename(folder.parent / f".{assignment}")
    nbgrader(course, "autograde", assignment, "--force", env=env)
    seconds = {}
    for student in alone:
        folder = course / "submitted" / student
        (folder / f".{assignment}").rename(folder / assignment)
        start = time.monotonic()
        nbgrader(course, "autograde", assignment, "--student", student, "--force", env=env)
        seconds[student] = time.monotonic() - start
        if seconds[student] > 60:
            problems.append(f"{assignment} {student}: graded in {seconds[student]:.0f} s, more than a minute")
    nbgrader(course, "generate_feedback", assignment, "--force")
    got, rows, notes = scores(course, assignment), [], {}
    gaming = {student for student, *_ in GAMING.get(n, [])}
    for student, (what, _, expected) in submitted.items():
        grades = got.get(student, {})
        lost = sorted(checks[grade_id] for grade_id, (score, top) in grades.items() if score != top)
        score, top = sum(s for s, _ in grades.values()), sum(t for _, t in grades.values())
        if sorted(grades) != sorted(checks) or lost != expected:
            problems.append(
                f"{assignment} {student}: lost {lost or 'nothing'}, should lose {expected or 'nothing'} "
                f"({len(grades)} graded cells of {len(checks)})"
            )
        if not (course / "feedback" / student / assignment / f"{assignment}.html").is_file():
            problems.append(f"{assignment} {student}: no feedback written")
        if student in gaming:
            notes[f"{assignment} {student}"] = (
                "; ".join(said(course, student, assignment)[number] for number in expected),
                seconds.get(student),
            )
        rows.append((assignment, student, score, top, ", ".join(lost) or "—", what))
    return rows, problems, notes


def score_table(rows):
    """The score table (Markdown) and its totals, as docs/exercises.md shows them."""
    lines = ["| assignment | student | score | exercises lost | submission |", "|---|---|---:|---|---|"]
    lines += [
        f"| {assignment} | {student} | {score:g} / {top:g} | {lost} | {what} |"
        for assignment, student, score, top, lost, what in rows
    ]
    total = {
        kind: (sum(r[2] for r in rows if r[1] == kind), sum(r[3] for r in rows if r[1] == kind))
        for kind in ("solutions", "blank")
    }
    wrong = [r for r in rows if r[1].startswith("wrong-")]
    others = [r for r in rows if r[1].startswith(("gaming-", "runaway"))]
    lines += [
        "",
        f"Solutions {total['solutions'][0]:g} / {total['solutions'][1]:g}, untouched release "
        f"{total['blank'][0]:g} / {total['blank'][1]:g}, {len(wrong)} wrong answers: "
        f"{sum(r[3] - r[2] == 1 for r in wrong)} of them lost exactly one point; {len(others)} gaming or "
        f"runaway submissions: {sum(r[3] - r[2] == 1 for r in others)} of them lost exactly one point.",
    ]
    return "\n".join(lines)


def table(course):
    """The gradebook as a table: a row per submission, a column per exercise (score, or "manual" where
    nbgrader could not grade it: a notebook missing, renamed, or a cell it did not recognise)."""
    from nbgrader.api import Gradebook, MissingEntry

    lines = []
    with Gradebook(f"sqlite:///{Path(course).resolve() / 'gradebook.db'}") as gradebook:
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            ids = [
                c.name for nb in assignment.notebooks for c in nb.grade_cells if not c.cell_type == "markdown"
            ]
            lines += [
                f"{assignment.name}: " + " | ".join(["student", "total", *ids, "needs manual grade"]),
            ]
            graded = {s.student.id for s in assignment.submissions}
            for folder in sorted((Path(course) / "submitted").glob(f"*/{assignment.name}")):
                expected = [nb.name + ".ipynb" for nb in assignment.notebooks]
                there = sorted(p.name for p in folder.glob("*.ipynb"))
                if folder.parent.name not in graded or set(expected) - set(there):
                    lines.append(
                        f"  {folder.parent.name} | not graded: submitted/{folder.parent.name}/"
                        f"{assignment.name}/ has {', '.join(there) or 'no notebook'}, not "
                        f"{', '.join(expected)}: rename it, then autograde with --force"
                    )
            for submission in sorted(assignment.submissions, key=lambda s: s.student.id):
                cells = {}
                for nb in assignment.notebooks:
                    try:
                        got = gradebook.find_submission_notebook(
                            nb.name, assignment.name, submission.student.id
                        )
                    except MissingEntry:
                        continue
                    for grade in got.grades:
                        cells[grade.name] = "manual" if grade.needs_manual_grade else f"{grade.score:g}"
                manual = "yes" if submission.needs_manual_grade else "no"
                row = [submission.student.id, f"{submission.score:g} / {submission.max_score:g}"]
                lines.append("  " + " | ".join(row + [cells.get(i, "—") for i in ids] + [manual]))
    return "\n".join(lines) or f"no assignments graded in {course}"


SHOT = BUILD / "grade-check" / "feedback.png"  # make grade-proof's screenshot of a feedback page


def screenshot(course, steps):
    """A feedback page (a wrong answer's, of the first step with one) in headless Chromium, through
    tools/nbgrader/shot.py in the repo's .venv (playwright); None when the browser is not here."""
    python = ROOT / ".venv" / "bin" / "python"
    n = 1 if 1 in steps else steps[0]
    page = f"wrong-{n}-2/train{n}/train{n}.html" if n == 1 else f"blank/train{n}/train{n}.html"
    probe = (
        subprocess.run([python, "-c", "import playwright"], capture_output=True) if python.exists() else None
    )
    if probe is None or probe.returncode:
        return None
    shot = [python, "-m", "tools.nbgrader.shot", course / "feedback", page, SHOT]
    result = subprocess.run(shot, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if result.returncode:
        sys.exit(f"error: the feedback page in Chromium: {result.stdout}{result.stderr}")
    return result.stdout.strip()


# The teacher's workflow of docs/exercises.md, as grade-check runs it (in a course of its own): the
# commands, the teacher's run in the course folder, a student's in a home folder of their own, with
# what each must leave behind. Handed in twice: through nbgrader's exchange (a JupyterHub's way; here
# an exchange folder of the proof's own, EXCHANGE) and as downloaded files (zip_collect).
WORKFLOW = [
    ("teacher", "nbgrader generate_assignment train2"),
    ("teacher", "nbgrader release_assignment train2"),
    ("student", "nbgrader fetch_assignment train2 --course microgpt"),  # → train2/ in the student's home
    ("student", "nbgrader submit train2 --course microgpt"),  # (filled in with the solutions first)
    ("teacher", "nbgrader collect train2"),  # → submitted/<the student's login>/train2/
    (
        "teacher",
        "nbgrader zip_collect train2",
    ),  # downloaded/train2/archive/alice_train2.ipynb → submitted/alice/…
    ("teacher", "nbgrader autograde train2"),
    (
        "teacher",
        "nbgrader autograde train2 --force",
    ),  # again: without --force it skips what it graded already
    ("teacher", "nbgrader generate_feedback train2"),
    ("teacher", "nbgrader release_feedback train2 --student {login}"),  # only the exchange has its timestamp
    ("student", "nbgrader fetch_feedback train2 --course microgpt"),  # → train2/feedback/<when>/train2.html
    ("teacher", "nbgrader export"),  # grades.csv
]
# Where the exchange is: on a JupyterHub, its nbgrader_config.py says (/srv/nbgrader/exchange by default);
# in the proof, a line added to the course's config and to the student's
EXCHANGE = "c.Exchange.root = {root!r}\n"


def workflow(folder, env):
    """Run WORKFLOW with three students (one through the exchange, who fetches, submits the solutions
    and fetches the feedback; alice: the solutions, as train2.ipynb; bob: the same file renamed by a
    download, `train2 (1).ipynb`), and make nbgrader over a changed config. Problems."""
    folder = Path(folder or tempfile.mkdtemp(prefix="grade-check-workflow-"))
    problems, home, exchange = [], folder / "home", folder / "exchange"
    try:
        write_course(folder, say=lambda line: None)
        home.mkdir()
        exchange.mkdir(mode=0o777)
        for where in (home, folder):  # the course's config changes: make nbgrader keeps it (checked below)
            with open(where / "nbgrader_config.py", "a", encoding="utf-8") as config:
                config.write(
                    ("c = get_config()\n" if where == home else "") + EXCHANGE.format(root=str(exchange))
                )
        for who, command in WORKFLOW:
            if command.startswith("nbgrader submit"):
                fetched = home / "train2" / "train2.ipynb"
                nbformat.write(
                    exercises.fill(nbformat.read(fetched, as_version=4), exercises.solutions(2)), fetched
                )
            if command.startswith("nbgrader zip_collect"):
                solved = exercises.fill(
                    nbformat.read(folder / "release" / "train2" / "train2.ipynb", as_version=4),
                    exercises.solutions(2),
                )
                archive = folder / "downloaded" / "train2" / "archive"
                archive.mkdir(parents=True)
                for name in ("alice_train2.ipynb", "bob_train2 (1).ipynb"):
                    nbformat.write(solved, archive / name)
            if "{login}" in command:  # the student's login, as collect named their folder
                login = next(
                    p.name for p in (folder / "submitted").iterdir() if p.name not in ("alice", "bob")
                )
                command = command.format(login=login)
            autograde = command.startswith("nbgrader autograde")
            cwd = folder if who == "teacher" else home
            result = nbgrader(cwd, *command.split()[1:], env=env, fails=autograde)  # bob's file
            if autograde and "for student 'bob'" not in result.stdout + result.stderr:
                problems.append("workflow: autograde should name bob, whose notebook has another name")
        command = [sys.executable, "-m", "tools.nbgrader.course", "--table", str(folder)]
        shown = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        print(f"python -m tools.nbgrader.course --table {folder.name}/:\n{shown}")
        rows = {}
        for line in shown.splitlines()[1:]:  # a student's lines, joined
            rows[line.split(" | ")[0].strip()] = rows.get(line.split(" | ")[0].strip(), "") + line
        for student in ("alice", login):
            if "4 / 4" not in rows.get(student, ""):
                problems.append(f"workflow: {student} should have 4 / 4: {rows.get(student)}")
        if not list(home.glob("train2/feedback/*/train2.html")):
            problems.append("workflow: fetch_feedback brought the student no train2/feedback/*/train2.html")
        if "not graded" not in rows.get("bob", "") or "train2 (1).ipynb" not in rows.get("bob", ""):
            problems.append(f"workflow: --table should say bob's renamed notebook is not graded: {rows}")
        if not (folder / "grades.csv").is_file():
            problems.append("workflow: nbgrader export wrote no grades.csv")
        if not (folder / "feedback" / "alice" / "train2" / "train2.html").is_file():
            problems.append("workflow: no feedback for alice")
        config = folder / "nbgrader_config.py"  # the teacher's changes survive make nbgrader
        config.write_text(config.read_text(encoding="utf-8") + "c.Execute.timeout = 60\n", encoding="utf-8")
        said = []
        write_course(folder, say=said.append)
        if not config.read_text(encoding="utf-8").endswith("= 60\n") or len(said) != 1:
            problems.append(
                f"workflow: make nbgrader should keep a changed nbgrader_config.py and say so: {said}"
            )
    finally:
        if not folder.name.endswith("-workflow"):
            shutil.rmtree(folder, ignore_errors=True)
    return problems


def grade_check(steps, keep=None):
    from nbgrader import __version__

    if not NAMES.is_file():
        sys.exit(f"error: {NAMES.relative_to(ROOT)} is missing: run `make data` first")
    start = time.monotonic()
    bin = str(
        Path(sys.executable).parent
    )  # nbgrader runs `alembic` from PATH (and so do we, through its API)
    os.environ["PATH"] = bin + os.pathsep + os.environ.get("PATH", "")
    course = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="grade-check-"))
    if keep and course.exists() and any(course.iterdir()):
        sys.exit(f"error: {course} already exists and is not empty: give --keep a new folder")
    write_course(course)
    env = without_knobs(os.environ)  # no knob of the teacher's shell reaches the autograder
    env.update(NAMES_URL=NAMES.as_uri())  # never the network; quick mode is the config's
    rows, problems, notes = [], [], {}
    try:
        for n in steps:
            print(
                f"train{n}: generate_assignment, autograde, generate_feedback …", file=sys.stderr, flush=True
            )
            step_rows, step_problems, step_notes = grade_step(course, n, env)
            rows += step_rows
            problems += step_problems
            notes.update(step_notes)
        shot = screenshot(course, steps)
        if 2 in steps:
            print("the teacher's workflow of docs/exercises.md …", file=sys.stderr, flush=True)
            problems += workflow(course.parent / f"{course.name}-workflow" if keep else None, env)
    finally:
        if not keep:
            shutil.rmtree(course, ignore_errors=True)
    table = score_table(rows)
    print(
        f"nbgrader {__version__}: generate_assignment, autograde and generate_feedback, per step "
        f"({', '.join(f'{k}={v}' for k, v in QUICK.items())}); {time.monotonic() - start:.0f} s\n\n{table}\n"
    )
    for student, (line, seconds) in notes.items():
        took = f" (graded in {seconds:.0f} s)" if seconds else ""
        print(f"{student}{took}: {line}")
    print(f"\nfeedback page: {shot}" if shot else "\n(no screenshot of a feedback page: no chromium here)")
    if list(steps) == notebooks.steps() and table not in DOCS.read_text(encoding="utf-8"):
        problems.append(f"{DOCS.relative_to(ROOT)} does not show this score table: paste it there")
    for line in problems:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if problems else 0


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument("folder", nargs="?", default=COURSE, type=Path, help="where to write the course")
    parser.add_argument("--grade-check", action="store_true", help="grade simulated students with nbgrader")
    parser.add_argument(
        "--steps", type=int, nargs="+", default=notebooks.steps(), help="(--grade-check) these steps only"
    )
    parser.add_argument("--keep", metavar="FOLDER", help="(--grade-check) grade in FOLDER and keep it")
    parser.add_argument("--table", action="store_true", help="print the gradebook of FOLDER per exercise")
    args = parser.parse_args(argv)
    if args.grade_check:
        return grade_check(args.steps, args.keep)
    if args.table:
        if not (args.folder / "gradebook.db").is_file():
            sys.exit(f"error: no gradebook in {args.folder}: run nbgrader autograde there first")
        print(table(args.folder))
        return 0
    write_course(args.folder)
    print(
        f"wrote {args.folder}/ (nbgrader_config.py, source/train{{{','.join(map(str, notebooks.steps()))}}}/)"
    )
    return 0


if __name__ == "__main__":
    run_main(main)
