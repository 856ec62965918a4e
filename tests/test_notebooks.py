"""The notebooks: generated from the steps, committed clean, and runnable as a student opens them.

Every test is parametrized over steps/train*.py, so a new step is covered without a change here.
Structure and execution are checked on the notebook as generated from the step: when the committed
file differs, only the sync tests fail, with the one thing to do (`make notebooks`).
"""

import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from stepkit import ROOT, run_notebook, samples, step_numbers

sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402

STEPS = step_numbers()
QUICK = {"NUM_STEPS": 3, "NUM_SAMPLES": 20}


def by_step(function):
    return pytest.mark.parametrize("n", STEPS, ids=[f"train{n}" for n in STEPS])(function)


def committed(n):
    path = notebooks.notebook_path(n)
    if not path.is_file():
        pytest.fail(f"notebooks/train{n}.ipynb is missing: run `make notebooks` and commit it")
    return path


@by_step
def test_committed_notebook_is_exactly_what_the_step_generates(n):
    if committed(n).read_bytes() != notebooks.build(n).encode("utf-8"):
        pytest.fail(f"steps/train{n}.py was edited but `make notebooks` was not run: "
                    f"notebooks/train{n}.ipynb is out of date (run `make notebooks` and commit it)")


@by_step
def test_regenerating_is_byte_identical(n):
    assert notebooks.build(n) == notebooks.build(n)
    assert [cell.id for cell in notebooks.notebook(n).cells][:2] == [f"train{n}-00", f"train{n}-01"]


@by_step
def test_first_cell_is_the_docstring_as_a_markdown_title(n):
    first = notebooks.notebook(n).cells[0]
    assert first.cell_type == "markdown"
    assert re.match(rf"# Step {n} — \S", first.source), first.source.splitlines()[0]
    assert '"""' not in first.source


@by_step
def test_every_code_section_has_its_markdown(n):
    cells = notebooks.notebook(n).cells
    code = [i for i, cell in enumerate(cells) if cell.cell_type == "code"]
    assert code, "a step needs code cells"
    for i in code[1:]:  # the first code cell is the setup right under the title
        assert cells[i - 1].cell_type == "markdown", f"cell {i} starts with {cells[i].source.splitlines()[0]!r}"


@by_step
def test_committed_notebook_is_clean(n):
    if not notebooks.notebook_path(n).is_file():
        pytest.skip(f"notebooks/train{n}.ipynb not generated yet (the sync test fails for it)")
    nb = nbformat.read(committed(n), as_version=4)
    nbformat.validate(nb)
    assert dict(nb.metadata) == {"kernelspec": notebooks.KERNELSPEC, "language_info": {"name": "python"}}
    for cell in nb.cells:
        assert cell.metadata == {}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_check_names_a_stale_notebook(tmp_path, monkeypatch):
    for folder in ("steps", "notebooks"):
        (tmp_path / folder).mkdir()
    shutil.copy(ROOT / "steps" / "train0.py", tmp_path / "steps")
    monkeypatch.setattr(notebooks, "ROOT", tmp_path)
    monkeypatch.setattr(notebooks, "STEPS", tmp_path / "steps")
    monkeypatch.setattr(notebooks, "NOTEBOOKS", tmp_path / "notebooks")
    assert notebooks.problems() == ["notebooks/train0.ipynb is missing for steps/train0.py: run `make notebooks`"]
    assert notebooks.write_all() == [tmp_path / "notebooks" / "train0.ipynb"]
    assert notebooks.problems() == [] and notebooks.write_all() == []
    with open(tmp_path / "steps" / "train0.py", "a", encoding="utf-8") as f:
        f.write('\n# %%\nprint("one more cell")\n')
    assert notebooks.problems() == ["notebooks/train0.ipynb is out of date with steps/train0.py: run `make notebooks`"]


def test_check_command_reports_what_problems_finds():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "notebooks.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    expected = notebooks.problems()  # empty when the tree is in sync (the sync tests above say so)
    assert (result.returncode, result.stderr.splitlines()) == (1 if expected else 0, expected)


@pytest.fixture(scope="module", params=STEPS, ids=[f"train{n}" for n in STEPS])
def quick_run(request):
    """Each notebook executed once in quick mode; the tests below read its printed output."""
    return request.param, run_notebook(notebooks.notebook(request.param), **QUICK)


def test_notebook_runs_in_quick_mode(quick_run):
    n, out = quick_run
    assert "num docs: 32033" in out
    assert "step    1 /    3 | loss" in out and "step    3 /    3 | loss" in out
    assert len(samples(out)) == QUICK["NUM_SAMPLES"], out


def test_a_knob_can_be_set_from_a_first_cell():
    nb = notebooks.notebook(STEPS[-1])
    nb.cells.insert(1, new_code_cell('import os; os.environ["NUM_STEPS"] = "2"', id="classroom"))
    out = run_notebook(nb, NUM_STEPS=3, NUM_SAMPLES=1)  # the cell must win over the environment
    assert "step    2 /    2 | loss" in out
    assert "/    3 |" not in out
