"""tools/generate/notebooks.py: the staleness check, the --stale command, knobs from a first cell; and every
step
has its tests/test_trainN.py, which runs that step's notebook tests (tests/steptests.py's EveryStep).
"""

import re
import shutil
import subprocess
import sys

import pytest
from nbformat.v4 import new_code_cell

from tools.generate import notebooks

from stepkit import ROOT, run_notebook, step_numbers

STEPS = step_numbers()


def test_every_step_has_its_test_file_with_the_tests_every_step_has():
    files = sorted(path.name for path in (ROOT / "tests").glob("test_train*.py"))
    assert files == sorted(f"test_train{n}.py" for n in STEPS)
    for n in STEPS:
        text = (ROOT / "tests" / f"test_train{n}.py").read_text(encoding="utf-8")
        assert re.search(rf"^class TestEveryStep\(EveryStep\):\n    n(, params)? = {n}\b", text, re.M), (
            f"test_train{n}.py"
        )


def test_check_names_a_stale_notebook(tmp_path, monkeypatch):
    for folder in ("steps", "notebooks"):
        (tmp_path / folder).mkdir()
    shutil.copy(ROOT / "steps" / "train0.py", tmp_path / "steps")
    monkeypatch.setattr(notebooks, "ROOT", tmp_path)
    monkeypatch.setattr(notebooks, "NOTEBOOKS", tmp_path / "notebooks")
    assert notebooks.problems() == [
        "notebooks/train0.ipynb is missing for steps/train0.py: run `make notebooks`"
    ]
    assert notebooks.write_all() == [tmp_path / "notebooks" / "train0.ipynb"]
    assert notebooks.problems() == [] and notebooks.write_all() == []
    with open(tmp_path / "steps" / "train0.py", "a", encoding="utf-8") as f:
        f.write('\n# %%\nprint("one more cell")\n')
    assert notebooks.problems() == [
        "notebooks/train0.ipynb is out of date with steps/train0.py: run `make notebooks`"
    ]


def test_check_command_reports_what_problems_finds():
    result = subprocess.run(
        [sys.executable, "-m", "tools.generate.notebooks", "--stale"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    expected = notebooks.problems()  # empty when the tree is in sync (the sync tests above say so)
    assert (result.returncode, result.stderr.splitlines()) == (1 if expected else 0, expected)


@pytest.mark.kernel
def test_a_knob_can_be_set_from_a_first_cell():
    nb = notebooks.notebook(STEPS[-1])
    nb.cells.insert(1, new_code_cell('import os; os.environ["NUM_STEPS"] = "2"', id="classroom"))
    out = run_notebook(nb, NUM_STEPS=3, NUM_SAMPLES=1)  # the cell must win over the environment
    assert "step    2 /    2 | loss" in out
    assert "/    3 |" not in out
