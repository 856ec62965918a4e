"""An nbgrader course for the six steps, and the proof that nbgrader grades it right.

    python -m tools.nbgrader.course [FOLDER]          # `make nbgrader`: write the course (default
    build/nbgrader/)
    python -m tools.nbgrader.course --grade-check     # `make grade-proof`: grade simulated students with
    nbgrader

The course folder holds nbgrader_config.py and source/trainN/trainN.ipynb for every step: the
teacher's version of the student notebook (tools/exercises/student.py), with the cell metadata nbgrader's
Create Assignment toolbar writes: each blank's cell an autograded answer (solution), each check an
autograder test worth one point that asserts (so a wrong answer raises and costs its point), the
setup cell locked. names.txt goes beside each notebook when data/names.txt is there.

--grade-check runs nbgrader itself (the pinned .venv-nbgrader; run it with that Python) in a
temporary course, for every step: `nbgrader generate_assignment`, then three kinds of simulated
students submit: the solutions (full marks), the untouched release (0), and for each exercise one
plausible mistake from tests/test_exercises.py's WRONG table (that exercise's point lost, every
other exercise's kept); `nbgrader autograde` grades them, `nbgrader generate_feedback` writes
their feedback. It prints the score table and exits 1 when a score is not what it must be: a
checker that always passes, or an exercise whose check depends on an earlier exercise, fails it.
"""

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
CONFIG = """\
# nbgrader's configuration for the microgpt course (written by `make nbgrader`).
c = get_config()
c.CourseDirectory.course_id = "microgpt"
c.Execute.timeout = 600  # seconds per cell, room for a full-length training cell
"""
# The autograder runs every notebook in quick mode (the checks do not depend on it), offline.
QUICK = project.QUICK["grader"]


def write_course(folder):
    """nbgrader_config.py and source/trainN/trainN.ipynb (+ names.txt) for every step."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    for n in notebooks.steps():
        source = folder / "source" / f"train{n}"
        source.mkdir(parents=True, exist_ok=True)
        (source / f"train{n}.ipynb").write_bytes(exercises.build(n, teacher=True).encode("utf-8"))
        if NAMES.is_file():
            shutil.copy(NAMES, source / "names.txt")
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


def students(n, release):
    """{student id: (what, notebook)}: the submissions of step n's simulated students."""
    nb = lambda: nbformat.read(release, as_version=4)  # noqa: E731 - a fresh copy each time
    found = {
        "solutions": (
            "every blank filled in with the step's own code",
            exercises.fill(nb(), exercises.solutions(n)),
        ),
        "blank": ("the release handed back untouched", nb()),
    }
    wrong = wrong_answers(n)
    for k, (name, _, _) in enumerate(exercises.exercises(n), 1):
        what, edited = wrong[name]
        codes = [
            code
            for other, _, parts in exercises.exercises(n)
            for code in (edited if other == name else [region.code for region in parts])
        ]
        found[f"wrong-{n}-{k}"] = (f"{n}.{k} wrong: {what}", exercises.fill(nb(), codes))
    return found


def nbgrader(course, *args, env=None):
    """Run one nbgrader command in the course folder; stop with its output if it fails."""
    command = [str(Path(sys.executable).parent / "nbgrader"), *args]
    env = env or dict(os.environ)
    result = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode:
        sys.exit(
            f"error: `nbgrader {' '.join(args)}` failed (exit "
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


def grade_step(course, n, env):
    """Release, submit, autograde and give feedback for step n; return (rows, problems)."""
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
        f"{cell.id}": f"{n}.{k}"
        for k, cell in enumerate((cell for cell in released.cells if "-check" in cell.id), 1)
    }
    submitted = students(n, release)
    for student, (_, nb) in submitted.items():
        folder = course / "submitted" / student / assignment
        shutil.copytree(release.parent, folder)
        nbformat.write(nb, folder / release.name)
    nbgrader(course, "autograde", assignment, "--force", env=env)
    nbgrader(course, "generate_feedback", assignment, "--force")
    got, rows = scores(course, assignment), []
    for student, (what, _) in submitted.items():
        grades = got.get(student, {})
        lost = sorted(checks[grade_id] for grade_id, (score, top) in grades.items() if score != top)
        score, top = sum(s for s, _ in grades.values()), sum(t for _, t in grades.values())
        expected = {"solutions": [], "blank": sorted(checks.values())}.get(student)
        if expected is None:  # wrong-N-K: exactly exercise N.K lost
            expected = [f"{n}.{student.rsplit('-', 1)[1]}"]
        if sorted(grades) != sorted(checks) or lost != expected:
            problems.append(
                f"{assignment} {student}: lost {lost or 'nothing'}, should lose {expected or 'nothing'} "
                f"({len(grades)} graded cells of {len(checks)})"
            )
        if not (course / "feedback" / student / assignment / f"{assignment}.html").is_file():
            problems.append(f"{assignment} {student}: no feedback written")
        rows.append((assignment, student, score, top, ", ".join(lost) or "—", what))
    return rows, problems


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
    kept = sum(r[3] - r[2] == 1 for r in wrong)
    lines += [
        "",
        f"Solutions {total['solutions'][0]:g} / {total['solutions'][1]:g}, untouched release "
        f"{total['blank'][0]:g} / {total['blank'][1]:g}, {len(wrong)} wrong answers: {kept} of them lost "
        f"exactly one point.",
    ]
    return "\n".join(lines)


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
    env.update(QUICK, NAMES_URL=NAMES.as_uri())  # never the network
    rows, problems = [], []
    try:
        for n in steps:
            print(
                f"train{n}: generate_assignment, autograde, generate_feedback …", file=sys.stderr, flush=True
            )
            step_rows, step_problems = grade_step(course, n, env)
            rows += step_rows
            problems += step_problems
    finally:
        if not keep:
            shutil.rmtree(course, ignore_errors=True)
    table = score_table(rows)
    print(
        f"nbgrader {__version__}: generate_assignment, autograde and generate_feedback, per step "
        f"({', '.join(f'{k}={v}' for k, v in QUICK.items())}); {time.monotonic() - start:.0f} s\n\n{table}"
    )
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
    args = parser.parse_args(argv)
    if args.grade_check:
        return grade_check(args.steps, args.keep)
    write_course(args.folder)
    print(
        f"wrote {args.folder}/ (nbgrader_config.py, source/train{{{','.join(map(str, notebooks.steps()))}}}/)"
    )
    return 0


if __name__ == "__main__":
    run_main(main)
