"""The exercises: every checker passes the step's own solution, fails the blank stub and fails
plausible wrong answers; the student notebooks are generated, in sync, and run as a student runs them.

The solutions are the real functions of each step, run in quick mode in this process (stepkit's
execute). A blank or a wrong answer is the same top-level function or class re-executed, from the
student source (stubs) or from the step's source with one plausible mistake edited in, in a copy
of the step's globals; then the check cell's own code is evaluated there.
"""

import ast
import importlib
import io
import os
import re
import subprocess
import sys
import textwrap
import tokenize

import nbformat
import pytest

from tools.exercises import student as exercises
from tools.generate import notebooks

from stepkit import ROOT, cell_text, environment, execute, notebook_error, step_numbers

STEPS = step_numbers()
KNOBS = {"NUM_STEPS": 1, "NUM_SAMPLES": 1, "N_EMBD": 8, "N_HEAD": 2}  # small and quick; N_EMBD / N_HEAD = 4
NOTEBOOK_KNOBS = {"NUM_STEPS": 2, "NUM_SAMPLES": 1, "N_EMBD": 4, "N_HEAD": 2}
ALL = [(n, name) for n in STEPS for name, _, _ in exercises.exercises(n)]
IDS = [f"train{n}:{name}" for n, name in ALL]
CHECKS = {
    n: importlib.import_module(f"tools.exercises.train{n}") for n in STEPS
}  # what `check` is in notebook n

from tools.exercises.wrong import WRONG, top_level, variant  # noqa: E402


@pytest.fixture(scope="module")
def solved():
    """Each step run once in quick mode, in this process: {step: its globals}."""
    return {n: execute(n, **KNOBS)[0] for n in STEPS}


def run_check(env, n, name, source=None, capsys=None):
    """Evaluate the check cell's code in (a copy of) the step's globals, after re-defining from source."""
    scope = dict(env)
    if source is not None:
        exec(compile(top_level(source, name.split(".")[0]), f"train{n}-variant", "exec"), scope)
    scope["check"] = CHECKS[n]
    result = eval(exercises.TABLE[(n, name)].check.rstrip(";"), scope)
    line = capsys.readouterr().out if capsys else ""
    return result, line


def solution_source(n, name, mistake):
    return variant(n, name, mistake)


def test_there_are_enough_exercises_and_each_has_its_checker():
    assert len(ALL) >= 10 and {n for n, _ in ALL} == set(STEPS)
    assert set(ALL) == set(exercises.TABLE), "TABLE has entries no step uses (or the other way round)"
    for n in STEPS:  # tools/exercises/trainN.py has the checkers of step n's exercises, and no others
        called = {
            exercise.check.split("(")[0].removeprefix("check.") for exercise in exercises.specs(n).values()
        }
        found = {
            name
            for name, value in vars(CHECKS[n]).items()
            if hasattr(value, "__wrapped__") and value.__module__ == CHECKS[n].__name__
        }
        assert found == called, f"tools/exercises/train{n}.py"


@pytest.mark.parametrize("n,name", ALL, ids=IDS)
def test_checker_passes_the_solution(solved, n, name, capsys):
    result, line = run_check(solved[n], n, name, capsys=capsys)
    assert result is True and line.startswith("✓ ") and line.count("\n") == 1, line


@pytest.mark.parametrize("n,name", ALL, ids=IDS)
def test_checker_reports_the_blank_as_not_implemented(solved, n, name, capsys):
    result, line = run_check(solved[n], n, name, exercises.student_source(n), capsys)
    assert result is False and line.startswith("✗ ") and "not implemented yet" in line, line
    hints = [r.hint for r in exercises.step_regions(n) if r.name == name]
    assert any(hint in line for hint in hints), f"the line should show the blank's hint: {line}"


MISTAKES = [(n, name, mistake) for (n, name), found in WRONG.items() for mistake in found]


@pytest.mark.parametrize("n,name,mistake", MISTAKES, ids=[f"train{n}:{name}:{m}" for n, name, m in MISTAKES])
def test_checker_catches_a_plausible_mistake(solved, n, name, mistake, capsys):
    result, line = run_check(solved[n], n, name, solution_source(n, name, mistake), capsys)
    assert result is False and line.startswith("✗ ") and line.count("\n") == 1, line
    assert "not implemented" not in line
    assert WRONG[(n, name)][mistake][1] in line, f"the line should name the mistake's shape: {line}"


@pytest.mark.parametrize("n,name", ALL, ids=IDS)
def test_every_exercise_has_mistakes_to_catch(n, name):
    assert len(WRONG.get((n, name), {})) >= 2, f"list plausible wrong answers for train{n}'s {name} in WRONG"


# A check reports on its own exercise only: an earlier exercise of the same notebook, left blank or
# wrong, neither fails it nor puts its hint under this check's label.
# (step, the exercise checked, the earlier one it goes through, that one's mistake or None: blank)
EARLIER = [
    (1, "analytic_gradient", "linear_backward", None),
    (1, "analytic_gradient", "linear_backward", "dx through w instead of its transpose"),
    (1, "analytic_gradient", "linear_backward", "dw overwritten instead of accumulated"),
    (2, "Value.backward", "Value.__mul__", None),
    (2, "Value.backward", "Value.__mul__", "local gradients swapped"),
    (2, "Value.backward", "Value.__pow__", "k * x**k"),
    (3, "gpt", "rmsnorm", None),
    (3, "gpt", "rmsnorm", "sum of squares instead of their mean"),
    (3, "gpt", "rmsnorm", "scale detached from the graph"),
]


@pytest.mark.parametrize(
    "n,name,earlier,mistake",
    EARLIER,
    ids=[f"train{n}:{name}:{earlier} {mistake or 'blank'}" for n, name, earlier, mistake in EARLIER],
)
def test_a_check_does_not_fail_for_an_earlier_exercise(solved, n, name, earlier, mistake, capsys):
    if mistake is None:
        source = exercises.blank(
            exercises.step_source(n), [r for r in exercises.step_regions(n) if r.name == earlier]
        )
    else:
        source = solution_source(n, earlier, mistake)
    scope = dict(solved[n])  # the checked function is defined again here, so that it calls the earlier one
    exec(compile(top_level(source, earlier.split(".")[0]), f"train{n}-earlier", "exec"), scope)
    result, line = run_check(scope, n, name, exercises.step_source(n), capsys)
    assert result is True and line.startswith("✓ "), line


def test_with_both_blanks_empty_each_check_shows_its_own_hint(solved, capsys):
    hints = {r.name: r.hint for r in exercises.step_regions(3)}
    student = exercises.student_source(3)
    scope = dict(solved[3])
    for name in ("rmsnorm", "gpt"):
        exec(compile(top_level(student, name), "train3-student", "exec"), scope)
    for name, other in (("rmsnorm", "gpt"), ("gpt", "rmsnorm")):
        result, line = run_check(scope, 3, name, capsys=capsys)
        assert result is False and hints[name] in line and hints[other] not in line, line


def test_a_check_prints_on_a_console_that_cannot_show_its_marks(tmp_path):
    """A Windows console (cp1252) or an ascii one: OK and X instead of ✓ and ✗, no traceback."""
    code = (
        "import train0, train3\n"
        "train0.probabilities(lambda row: [(c + 1) / (sum(row) + len(row)) for c in row], 5)\n"
        "train0.probabilities(lambda row: [c / (sum(row) or 1) for c in row], 5)\n"
        "train3.rmsnorm(lambda x: [xi / 0 for xi in x], float)\n"
    )
    for encoding in ("cp1252", "ascii"):
        env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT / "tools" / "exercises")}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
        assert done.returncode == 0 and done.stderr == b"", done.stderr.decode(errors="replace")
        lines = done.stdout.decode(encoding).splitlines()
        assert [line.split()[0] for line in lines] == ["OK", "X", "X"], lines
        assert "probability 0" in lines[1] and "ZeroDivisionError" in lines[2], lines


def test_a_checker_never_raises(capsys):
    assert CHECKS[3].rmsnorm(None, None) is False
    assert CHECKS[5].adam(lambda *args: 1 / 0, 0.85, 0.99, 1e-8) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


# --- the markers and the generator ---------------------------------------------------------


# --- lessons that derive, hints that come second ---------------------------------------------

# What the lesson cell above each blank must derive, in its own LaTeX or words.
DERIVED = {
    (0, "probabilities"): [r"\frac{n_{ab} + 1}{\sum_c n_{ac} + V}"],
    (1, "linear_backward"): [r"g\,x^\top", r"W^\top g", "add into it"],
    (1, "analytic_gradient"): [
        r"\log p_t = z_t - \log \sum_k e^{z_k}",
        r"p_i - [i = t]",
        r"\frac{1}{n}(p_i - [i = t])",
        "slope 1 where $h > 0$",
    ],
    (2, "Value.__mul__"): [r"$\partial z / \partial x = y$"],
    (2, "Value.__pow__"): [r"k x^{k-1}"],
    (2, "Value.log"): [r"\partial z / \partial x = 1/x"],
    (2, "Value.backward"): [
        r"\sum_{u \text{ uses } v}",
        "only once it is complete",
        "*topological order*",
        r"\partial L / \partial L = 1",
    ],
    (3, "rmsnorm"): [r"\sqrt{\frac{1}{d} \sum_j x_j^2 + 10^{-5}}", "keeps $s$ finite"],
    (3, "gpt"): [r"a_t = \frac{q \cdot k_t}{\sqrt{d}}", r"\sum_t w_t \, v_t", r"with variance" + "\n$d$"],
    (4, "gpt"): [r"\frac{q^{(h)} \cdot k_t^{(h)}}{\sqrt{d_h}}", r"[\,o^{(0)}, o^{(1)}, \dots, o^{(H-1)}\,]"],
    (5, "adam"): [
        "$t$ = `step + 1`",
        r"\hat m = m / (1-\beta_1^{t})",
        r"\frac{\hat m}{\sqrt{\hat v} + \epsilon}",
    ],
}


def lesson_cell(n, name):
    """The Markdown of the lesson cell above the code cell that holds exercise `name` of step n."""
    cells = exercises.notebooks.notebook(n).cells
    for index, cell in enumerate(cells):
        if cell.cell_type == "code" and exercises.regions(cell.source, {name: exercises.TABLE[(n, name)]}):
            return next(c.source for c in reversed(cells[:index]) if c.cell_type == "markdown")
    raise AssertionError(f"no cell of step {n} holds {name}")


@pytest.mark.parametrize("n,name", ALL, ids=IDS)
def test_the_lesson_above_a_blank_derives_it(n, name):
    text = lesson_cell(n, name)
    for piece in DERIVED[(n, name)]:
        assert piece in text, f"train{n}'s lesson cell above {name} should derive it: missing {piece!r}"


def giveaways(code, message, width=3):
    """The runs of `width` tokens of the code, one an operator at least, that the message repeats
    (spaces aside): `(p - (i == target))`, `** -0.5`, `beta1 * m[i]`, `self.data` …"""
    skip = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(textwrap.dedent(code) + "\n").readline)
        if t.type not in skip
    ]
    squeezed = "".join(message.split())
    runs = (tokens[k : k + width] for k in range(len(tokens) - width + 1))
    return [
        text
        for run in runs
        if any(t.type == tokenize.OP for t in run) and (text := "".join(t.string for t in run)) in squeezed
    ]


@pytest.mark.parametrize("n,name", ALL, ids=IDS)
def test_a_blank_says_what_to_write_not_the_code(n, name):
    for region in [r for r in exercises.step_regions(n) if r.name == name]:
        assert not giveaways(region.code, region.hint), (
            f"train{n}'s {name}: its message spells out code: {region.hint}"
        )


def test_the_giveaway_test_can_fail():
    """The messages these exercises had before: each spells out its code, and the test says so."""
    code = {r.name: r.code for n in (1, 3, 5) for r in exercises.step_regions(n)}
    assert giveaways(
        code["rmsnorm"], "multiply every entry of x by 1 / sqrt(mean of the squares + 1e-5)"
    ) == ["+1e-5)"]
    assert "beta1*m[i]" not in giveaways(code["adam"], "m[i] = beta1 * m[i] + ...")
    assert {"m[i", "step+1", "-=lr_t*"} <= set(
        giveaways(
            code["adam"],
            "for each p: update m[i] and v[i]; m_hat, "
            "v_hat undo their bias (step + 1 updates); p.data -= lr_t * m_hat",
        )
    )
    assert "[i]" in giveaways(code["linear_backward"], "add dy[i] * x[j] into every dw[i][j]")


@pytest.mark.parametrize("n", STEPS)
def test_two_collapsed_hints_sit_under_each_blank_the_idea_first(n):
    for teacher in (False, True):
        cells = exercises.notebook(n, teacher).cells
        blanks = [
            i
            for i, c in enumerate(cells)
            if c.cell_type == "code" and (exercises.STUB in c.source or exercises.BEGIN in c.source)
        ]
        for i in blanks:
            idea, hint = (c.id.split("-")[-1] for c in cells[i + 1 : i + 3])  # idea2, hint2: exercise 2's
            assert idea.startswith("idea") and hint == "hint" + idea[4:], cells[i + 1].id
        ideas = [c for c in cells if "-idea" in c.id]
        hints = [c for c in cells if "-hint" in c.id]
        assert len(hints) == len(ideas) == len(exercises.exercises(n))
        for idea, cell, (_, exercise, _) in zip(ideas, hints, exercises.exercises(n)):
            assert exercise.idea in idea.source and "$" in exercise.idea  # words and symbols
            assert exercise.code_hint and exercise.code_hint in cell.source
            for c in (idea, cell):
                assert c.source.startswith("<details><summary>Hint ") and c.source.endswith("\n\n</details>")
                assert "`" not in c.source.split("</summary>")[0]  # no Markdown inside the HTML line


def test_each_intro_says_which_earlier_answers_its_notebook_holds():
    intro = {n: exercises.notebook(n).cells[1].source for n in STEPS}
    assert "no answer to an earlier exercise" in intro[2]
    assert "2.4 `Value.backward`" in intro[3] and "do step 2's notebook first" in intro[3]
    assert "3.1 `rmsnorm`" in intro[4] and "2.1 `Value.__mul__`" in intro[4]
    assert (
        "4.1 multi-head attention in `gpt`" in intro[5]
        and "the notebooks of steps 2, 3 and 4 first" in intro[5]
    )
    assert all("from step 0 to step 5" in text for text in intro.values())


def chosen_names(n):
    """{exercise: the names its solution binds that the rest of the step never mentions}: the student
    chooses them, so no lesson text of that step may rely on them."""
    source = exercises.step_source(n)
    found = {}
    for region in exercises.step_regions(n):
        bound = {
            node.id
            for node in ast.walk(ast.parse(textwrap.dedent(region.code)))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        }
        bound |= {
            node.name
            for node in ast.walk(ast.parse(textwrap.dedent(region.code)))
            if isinstance(node, ast.FunctionDef)
        }
        rest = ast.parse(exercises.blank(source, [region]))  # the step with this blank: what else names
        named = {node.id for node in ast.walk(rest) if isinstance(node, ast.Name)}
        named |= {node.attr for node in ast.walk(rest) if isinstance(node, ast.Attribute)}
        named |= {node.name for node in ast.walk(rest) if isinstance(node, ast.FunctionDef)}
        named |= {node.arg for node in ast.walk(rest) if isinstance(node, ast.arg)}
        found.setdefault(region.name, set()).update(bound - named)
    return found


@pytest.mark.parametrize("n", STEPS)
def test_no_try_this_relies_on_a_name_the_student_chose(n):
    markdown = "\n".join(c.source for c in exercises.notebooks.notebook(n).cells if c.cell_type == "markdown")
    in_code = {
        word for span in re.findall(r"`([^`]+)`", markdown) for word in re.findall(r"[A-Za-z_]\w*", span)
    }
    for name, chosen in chosen_names(n).items():
        assert not chosen & in_code, (
            f"train{n}'s lessons name {sorted(chosen & in_code)}, picked by the student in {name}"
        )


def test_chosen_names_are_found():
    assert {"topo", "visited", "build_topo"} <= chosen_names(2)["Value.backward"]
    assert {"scores", "weights"} <= chosen_names(3)["gpt"] and "scale" in chosen_names(3)["rmsnorm"]


def test_carried_regions_are_given_code_later():
    """The Value class, rmsnorm and the heads live on in later steps: there they are not exercises."""
    assert [name for name, _, _ in exercises.exercises(3)] == ["rmsnorm", "gpt"]
    assert [name for name, _, _ in exercises.exercises(5)] == ["adam"]
    student = exercises.student_source(5)
    assert (
        student.count("raise NotImplementedError(") == 1
        and "### BEGIN" not in student
        and "# HINT:" not in student
    )


@pytest.mark.parametrize("n", STEPS)
def test_student_source_is_valid_python_with_every_blank(n):
    regions = [r for _, _, parts in exercises.exercises(n) for r in parts]
    student = exercises.student_source(n)
    ast.parse(student)
    assert student.count(exercises.STUB) == len(regions) > 0


@pytest.mark.parametrize(
    "part,problem",
    [
        (exercises.Part("x", "nowhere = ", "nowhere = "), "no line starting 'nowhere = ' in f"),
        (exercises.Part('say "hi"'), "may not contain double quotes"),
    ],
)
def test_an_exercise_that_does_not_match_its_code_is_named(part, problem):
    table = {"f": exercises.Exercise("f", "check.f(f)", 1, "", [part])}
    with pytest.raises(exercises.MarkerError, match=problem):
        exercises.regions("def f():\n    y = 1\n    return y\n", table)


def test_a_part_is_whole_statements_and_a_whole_body_skips_the_docstring():
    source = 'def f(a):\n    """Doc."""\n    # why\n    b = [a,\n         a]\n    return b\n'
    table = {"f": exercises.Exercise("f", "", 1, "", [exercises.Part("all")])}
    (whole,) = exercises.regions(source, table)
    assert whole.code == "    # why\n    b = [a,\n         a]\n    return b"
    table = {"f": exercises.Exercise("f", "", 1, "", [exercises.Part("b", "b = ", "b = ")])}
    (part,) = exercises.regions(source, table)
    assert part.code == "    b = [a,\n         a]" and part.indent == "    "


def test_the_steps_carry_no_markers():
    for n in STEPS:
        source = exercises.step_source(n)
        assert exercises.BEGIN not in source and exercises.END not in source and exercises.HINT not in source


@pytest.mark.parametrize("n", STEPS)
def test_committed_student_notebook_is_exactly_what_the_step_generates(n):
    path = exercises.notebook_path(n)
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run `make exercises` and commit it"
    if not notebooks.in_sync(path, exercises.build(n)):  # up to a lab's kernel metadata
        pytest.fail(
            f"notebooks/exercises/train{n}.ipynb is out of date: steps/train{n}.py or what the notebook "
            "carries from tools/ changed, but `make exercises` was not run"
        )
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert all(cell.get("outputs", []) == [] for cell in nb.cells)
    assert all(
        cell.metadata == (exercises.standalone.HIDDEN if cell.id.endswith("-setup") else {})
        for cell in nb.cells
    )
    assert "### BEGIN SOLUTION" not in path.read_text(encoding="utf-8") and "# HINT:" not in path.read_text(
        encoding="utf-8"
    )


def test_check_names_a_stale_notebook(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(exercises, "EXERCISES", tmp_path)
    assert exercises.main(["--stale"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "notebooks/exercises/train0.ipynb is missing for steps/train0.py: run `make exercises`"
    )
    (tmp_path / "train0.ipynb").write_text(exercises.build(0).replace("add-one", "add-two"), encoding="utf-8")
    (tmp_path / "train9.ipynb").write_text("{}", encoding="utf-8")
    found = exercises.problems()
    assert (
        "notebooks/exercises/train0.ipynb is out of date with steps/train0.py: run `make exercises`" in found
    )
    assert "notebooks/exercises/train9.ipynb has no step: delete it" in found


def clear_solutions(source):
    """What nbgrader's ClearSolutions does to a cell, per its docs: each region between the marker
    lines becomes a stub indented like the BEGIN line (here with the hint above it as its message)."""
    out, inside = [], False
    for line in source.split("\n"):
        if line.strip() == exercises.BEGIN:
            indent, inside = line[: len(line) - len(line.lstrip())], True
            hint = out.pop().strip()[len(exercises.HINT) :].strip()
            out += [indent + exercises.STUB, f'{indent}raise NotImplementedError("{hint}")']
        elif line.strip() == exercises.END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("n", STEPS)
def test_teacher_version_is_an_nbgrader_source_of_the_student_notebook(n):
    teacher, student = exercises.notebook(n, teacher=True), exercises.notebook(n)
    assert [c.id for c in teacher.cells] == [c.id for c in student.cells]
    assert sum(c.source.count(exercises.BEGIN) for c in teacher.cells) == len(
        [r for _, _, parts in exercises.exercises(n) for r in parts]
    )
    checks = iter(exercises.exercises(n))
    for t_cell, s_cell in zip(teacher.cells, student.cells):
        meta = t_cell.metadata.get("nbgrader", {})
        if exercises.is_check(t_cell):  # for nbgrader a fresh checker asserts, its ✗ line the message
            name, _, _ = next(checks)
            call = s_cell.source.splitlines()[-1].rstrip(";").removeprefix("check.")
            checker, args = call.split("(", 1)
            graded = f"passed, line = _graded().{checker}.verdict({args}"
            assert t_cell.source.splitlines()[-2:] == [graded, "assert passed, line"]
            assert (
                meta["grade"]
                and meta["locked"]
                and meta["grade_id"] == exercises.grade_id(exercises.exercise_of(meta["grade_id"]), name)
            )
        elif t_cell.id == f"train{n}-checkers-setup":  # the teacher's also carries the grade cells' copy
            assert "def _graded" in t_cell.source and "def _graded" not in s_cell.source
            assert meta["locked"]
        else:
            assert clear_solutions(t_cell.source) == s_cell.source
            if t_cell.cell_type == "code" and not t_cell.id.endswith("-quick"):  # the quick knob: theirs too
                assert meta["solution"] != meta["locked"], t_cell.id
    assert next(checks, None) is None


@pytest.mark.parametrize("n", STEPS)
def test_each_answer_has_a_cell_of_its_own(n):
    """One SyntaxError costs one point: no code cell holds the blanks of two exercises."""
    nb = exercises.notebook(n)
    blanks = [c.source.count(exercises.STUB) for c in nb.cells if exercises.STUB in c.source]
    per_exercise = [len(parts) for _, _, parts in exercises.exercises(n)]
    assert blanks == per_exercise


def test_teachers_page_lists_every_exercise():
    page = (ROOT / "docs" / "exercises.md").read_text(encoding="utf-8")
    for row in exercises.table().splitlines():
        assert row in page, (
            f"docs/exercises.md is missing this row (python -m tools.exercises.student --list): {row}"
        )


# --- the student notebooks, executed ----------------------------------------------------------


def as_handed_out(n):
    """Student notebook n run as a student opens it, blanks and all, in a fresh kernel from
    notebooks/exercises/ (alone in a folder: tests/test_standalone.py). (nb, error)."""
    env = environment(NOTEBOOK_KNOBS)
    if (ROOT / "data" / "names.txt").is_file():
        del env["DATASET"]  # the step must find data/names.txt from notebooks/exercises/ on its own
    nb = nbformat.read(exercises.notebook_path(n), as_version=4)
    return nb, notebook_error(nb, exercises.EXERCISES, env)


# Filled in with the solutions, a student notebook passes every check, one line each, and draws its
# pictures from the run: tests/test_standalone.py runs it so, alone in a folder.


@pytest.mark.kernel
@pytest.mark.parametrize("n,kind", [(n, "blank") for n in STEPS])
def test_student_notebook_runs_to_its_first_check(n, kind):
    """As handed out, the notebook finds the dataset and the checkers, and runs until a blank is used."""
    from nbclient.exceptions import CellExecutionError

    nb, error = as_handed_out(n)
    assert isinstance(error, CellExecutionError) and "NotImplementedError" in str(error), error
    done = [cell for cell in nb.cells if cell.cell_type == "code" and cell.outputs]
    first = next(cell for cell in nb.cells if exercises.is_check(cell))
    assert first in done and cell_text(first).startswith("✗ ") and "not implemented yet" in cell_text(first)
    assert "num docs: 32033" in "".join(cell_text(cell) for cell in done)


# --- no answer in the notebook, in any form ---------------------------------------------------


OPERATIONS = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.IfExp, ast.comprehension)


def shapes(code, smallest=2):
    """The expressions of code with at least `smallest` operations, each as its shape: names (and dotted
    names) all one placeholder, numbers and operators kept. `(1 / n) * (p - (i == target))` holds
    `_ - (_ == _)`, which `(p - (i == k)) / n` holds too."""
    known = {}  # id(node) -> (its shape, its number of operations): each subtree worked out once

    def shape(value):
        if isinstance(value, list):
            parts = [shape(item) for item in value]
            return f"[{','.join(text for text, _ in parts)}]", sum(size for _, size in parts)
        if not isinstance(value, ast.AST):
            return repr(value), 0
        if isinstance(value, (ast.Name, ast.Attribute)):
            return "_", 0
        if isinstance(value, ast.arg):
            return "arg(_)", 0
        if id(value) not in known:
            parts = [shape(field) for _, field in ast.iter_fields(value)]
            text = f"{type(value).__name__}({','.join(text for text, _ in parts)})"
            known[id(value)] = text, isinstance(value, OPERATIONS) + sum(size for _, size in parts)
        return known[id(value)]

    found = {}
    for node in ast.walk(ast.parse(textwrap.dedent(code))):
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Attribute, ast.Constant)):
            text, size = shape(node)
            if size >= smallest:
                found.setdefault(text, ast.unparse(node))
    return found


def carried_code(source):
    """A setup or check cell's code, and the modules a setup cell carries as text (_module(…, r'''…'''))."""
    codes = [source]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_module" and len(node.args) == 3:
            codes.append(node.args[2].value)
        elif isinstance(node, ast.Assign) and isinstance(
            node.value, ast.Tuple
        ):  # _SOURCES[name] = (path, text)
            codes += [e.value for e in node.value.elts[1:] if isinstance(e, ast.Constant)]
    return codes


def answers_in(nb, n, given=None):
    """[(the blank's code, what the notebook's own code computes the same way)]: the shapes of each
    blanked region found in the setup and check cells, but for those the step's given code shows."""
    own = [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and (c.id.endswith("-setup") or exercises.is_check(c))
    ]
    if given is None:
        given = [c.source for c in nb.cells if c.cell_type == "code" and c.source not in own]
    seen = {}
    for code in own:
        for text in carried_code(code):
            seen.update(shapes(text))
    shown = {}
    for code in given:
        shown.update(shapes("\n".join(line for line in code.split("\n") if not line.startswith(("%", "!")))))
    return [
        (region.code.strip().splitlines()[0], seen[shape])
        for region in exercises.step_regions(n)
        for shape in shapes(region.code)
        if shape in seen and shape not in shown
    ]


@pytest.mark.parametrize("n", STEPS)
def test_a_student_notebook_carries_no_blanked_arithmetic(n):
    assert answers_in(exercises.notebook(n), n) == []
    teacher = exercises.notebook(n, teacher=True)  # nbgrader's release: the solutions cleared
    for cell in teacher.cells:
        cell.source = clear_solutions(cell.source)
    assert answers_in(teacher, n) == []


def test_the_no_arithmetic_test_can_fail():
    """What the setup cells carried before: the ground truth as code, each found."""
    nb = exercises.notebook(1)
    leak = "def _truth(probs, k, n):\n    return [(p - (i == k)) / n for i, p in enumerate(probs)]\n"
    nb.cells[2].source += f"\nplain = _module('plain', 'plain.py', r'''{leak}''')"
    assert [given for _, given in answers_in(nb, 1)] == ["p - (i == k)"]
    old = {
        3: "def _plain_rmsnorm(x):\n"
        "    return [xi / math.sqrt(sum(v * v for v in x) / len(x) + 1e-5) for xi in x]",
        5: "want_m[k] = beta1 * want_m[k] + (1 - beta1) * g\nm_hat = want_m[k] / (1 - beta1**t)",
        0: "if math.isclose(total, (sum(row) + V) / below, rel_tol=1e-9): pass",
        2: "shapes = [(k * x**k, 'k·x^k'), (x ** (k - 1), 'no factor k')]",
    }
    for n, code in old.items():
        nb = exercises.notebook(n)
        nb.cells[2].source += f"\n{code}"
        assert answers_in(nb, n), f"step {n}: {code}"
