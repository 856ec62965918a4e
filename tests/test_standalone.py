"""Every generated notebook works alone: copied by itself into an empty folder (a hub, Colab, VS
Code) it runs top to bottom, with names.txt beside it or with nothing at all (it then downloads
names.txt there: here from a file:// URL, never the network). The lesson notebooks run so in their
steps' tests (tests/steptests.py's lesson_notebook, names.txt beside them); here the student notebooks,
which carry the same setup cell and their checkers inside: filled in with the solutions, every check is
✓ (one line each) with no tools/ anywhere, and every picture is drawn from the run.
A bad knob set in a notebook, or no network, shows one readable line, not IPython's exit noise. And
the setup cell stays small: it carries only the files its notebook needs, as they are.
"""

import functools
import hashlib
import re

import pytest
from nbformat.v4 import new_code_cell

from tools import dataset
from tools.exercises import student as exercises
from tools.generate import notebooks
from tools.generate import setup_cell as standalone

from picturecheck import check_pictures
from stepkit import (
    OFFLINE_URL,
    ROOT,
    cell_text,
    execute,
    execute_alone,
    losses,
    names_txt,
    printed,
    run,
    samples,
    step_numbers,
)

STEPS = step_numbers()
KNOBS = {"NUM_STEPS": 1, "NUM_SAMPLES": 1, "N_EMBD": 4, "N_HEAD": 2}  # the smallest quick run
KINDS = ("lesson", "student")
WHERE = ("beside", "nothing")  # names.txt copied beside the notebook, or nothing: downloaded
CASES = [(n, WHERE[n % 2]) for n in STEPS]  # each notebook runs once, half of them downloading


@functools.cache
def step_run(n):
    """What the step prints with KNOBS, run in this process."""
    return execute(n, **KNOBS)[1]


@pytest.mark.kernel
@pytest.mark.parametrize("n,where", CASES, ids=[f"student-{n}-{w}" for n, w in CASES])
def test_notebook_runs_alone(n, where, tmp_path):
    folder = tmp_path / f"student{n}-{where}"
    filled = exercises.fill(exercises.notebook(n), exercises.solutions(n))  # every blank from the solutions
    nb, error = execute_alone(filled, folder, names_txt().as_uri(), names=where == "beside", **KNOBS)
    assert error is None, error
    assert sorted(p.name for p in folder.iterdir()) == ["alone.ipynb", "names.txt"]  # nothing half-written
    assert hashlib.sha256((folder / "names.txt").read_bytes()).hexdigest() == dataset.SHA256
    out = printed(nb)
    assert "num docs: 32033" in out
    assert ("saved " in out) == (where == "nothing")  # downloaded only when it was not there
    # the same losses and samples as the step itself prints
    step_out = step_run(n)
    assert (losses(out), samples(out)) == (losses(step_out), samples(step_out)) != ([], [])
    check_pictures(nb, n)  # drawn from this run, alone too
    checks = [cell for cell in nb.cells if exercises.is_check(cell)]  # (as handed out: test_exercises.py)
    assert len(checks) == len(exercises.exercises(n))
    for cell in checks:
        assert {o.output_type for o in cell.outputs} == {"stream"}, cell.outputs  # no True/False shown
        assert cell_text(cell).startswith("✓ ") and cell_text(cell).count("\n") == 1, cell_text(cell)


def one_error_line(nb, cell_id):
    """The line a cell that stopped ends with, on stderr: no traceback, no IPython exit noise around it."""
    (cell,) = [cell for cell in nb.cells if cell.id == cell_id]
    assert {output.output_type for output in cell.outputs} == {"stream"}, cell.outputs
    text = cell_text(cell)
    assert "exit" not in text and "exception" not in text and "Traceback" not in text, text
    assert text.endswith("\n") and text.splitlines()[-1].startswith("error: "), text
    return text.splitlines()[-1]


@pytest.mark.kernel
def test_a_bad_knob_in_a_notebook_is_one_line(tmp_path):
    nb = notebooks.notebook(STEPS[-1])
    nb.cells.insert(2, new_code_cell('import os\nos.environ["NUM_STEPS"] = "abc"', id="bad-knob"))
    nb, error = execute_alone(nb, tmp_path / "lab", names=True, **KNOBS)
    assert error is not None
    # alone, without tools/dataset.py, the knob is read where the step reads it: the training cell
    (reads,) = [cell for cell in nb.cells if cell.source.startswith("NUM_STEPS = knob(")]
    assert one_error_line(nb, reads.id) == "error: NUM_STEPS must be a positive integer, got 'abc'"
    assert cell_text(reads).count("\n") == 1  # that line alone
    # while a script run keeps its one line on stderr and its exit status
    result = run(STEPS[-1], NUM_STEPS="abc")
    assert (result.returncode, result.stderr) == (
        1,
        "error: NUM_STEPS must be a positive integer, got 'abc'\n",
    )


@pytest.mark.kernel
def test_offline_and_alone_the_notebook_says_so_in_one_line(tmp_path):
    nb, error = execute_alone(exercises.notebook(STEPS[0]), tmp_path / "offline", **KNOBS)
    assert error is not None
    line = one_error_line(nb, f"train{STEPS[0]}-setup")
    assert line.startswith(f"error: could not download {OFFLINE_URL}"), line
    assert "In a notebook:" in line and "beside this notebook" in line and 'os.environ["DATASET"]' in line, (
        line
    )
    assert sorted(p.name for p in (tmp_path / "offline").iterdir()) == ["alone.ipynb"]  # nothing half-written


def carrying_cell(kind, n, what="setup"):
    nb = notebooks.notebook(n) if kind == "lesson" else exercises.notebook(n)
    (cell,) = [cell for cell in nb.cells if cell.id == f"train{n}-{what}"]
    return cell


@pytest.mark.parametrize("n", STEPS)
@pytest.mark.parametrize("kind", KINDS)
def test_setup_cell_is_collapsed_and_carries_the_files_as_they_are(kind, n):
    setup = carrying_cell(kind, n)
    assert setup.metadata["jupyter"] == {"source_hidden": True} and setup.metadata["cellView"] == "form"
    assert setup.source.startswith("# @title ")
    for name, path in standalone.carried():
        assert path.read_text(encoding="utf-8") in setup.source, path
    assert "tools/exercises/" not in setup.source  # the checkers have a cell of their own


@pytest.mark.parametrize("n", STEPS)
def test_checkers_cell_carries_its_own_steps_checkers_alone(n):
    cell = carrying_cell("student", n, "checkers-setup")
    assert cell.metadata == standalone.HIDDEN and cell.source.startswith("# @title ")
    files = standalone.checkers_carried(n)
    for name, path in files:
        assert path.read_text(encoding="utf-8") in cell.source, path
    own = [path.name for _, path in files]
    assert own[-1] == f"train{n}.py" and not [name for name in own[:-1] if name.startswith("train")]
    assert "common.py" in own and (("attention.py" in own) == (n in (3, 4)))
    assert not [c for c in notebooks.notebook(n).cells if c.id == cell.id]  # a lesson has no checks


# Characters: a learner may open a collapsed cell. The setup cell is the same in a lesson and in a student
# notebook (plus, in the latter, the move to notebooks/); the checkers have a cell of their own.
LIMITS = {"lesson": 6_000, "student": 15_000}


@pytest.mark.parametrize("n", STEPS)
@pytest.mark.parametrize("kind", KINDS)
def test_setup_cell_is_small(kind, n):
    size = len(carrying_cell(kind, n).source)
    assert size <= LIMITS[kind], f"the setup cell of the {kind} notebook of step {n} has {size:,} characters"


def test_setup_cell_copies_files_without_rewriting_them():
    source = (ROOT / "tools" / "generate" / "setup_cell.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import ast|from ast import)", source, re.M)
    # one-line errors through IPython's public handler of exceptions, with no method of it patched
    assert "set_custom_exc((" in source and "showtraceback" not in source
