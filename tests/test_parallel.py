"""make test's parallel run (pytest-xdist, started by tools/run_tests.py): the tests that read one cached
run share a worker (tests/conftest.py's SHARED_RUNS), and notebook kernels started by two workers at once
cannot pick the same port. How long the suite takes is measured, not asserted (README: For developers)."""

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import run_tests
from tools.project import step_numbers

import conftest
import steptests
from stepkit import ROOT, execute_notebook
from steptests import EveryStep

TESTS = ROOT / "tests"
STEPS = step_numbers()


def readers(pattern):
    """The test files whose source matches pattern: {what the pattern's group matched: {node id prefix}}."""
    found = {}
    for path in set(TESTS.glob("test_*.py")) - {Path(__file__).resolve()}:  # (this one names them all)
        for match in re.findall(pattern, path.read_text(encoding="utf-8")):
            found.setdefault(match, set()).add(f"tests/{path.name}::")
    return found


def test_every_part_of_a_group_names_test_files_tests_or_a_test_every_step_has():
    files = [f"tests/{path.name}::" for path in TESTS.glob("test_*.py")]
    for parts in conftest.SHARED_RUNS.values():
        for part in parts:
            if part.startswith("::TestEveryStep::"):
                assert hasattr(EveryStep, part.rsplit("::", 1)[1]), part
            elif part.endswith("::"):
                assert part in files, part
            else:  # the start of the name of a test in that file
                file, test = part.split("::")
                assert re.search(rf"^def {test}", (ROOT / file).read_text(encoding="utf-8"), re.M), part


def test_the_files_that_read_one_quick_run_are_one_group():
    helpers = [
        name
        for name, value in vars(steptests).items()
        if inspect.isfunction(value)
        and value.__module__ == "steptests"
        and name != "quick"
        and "quick(" in inspect.getsource(value)
    ]
    assert "check_gpt_gradients" in helpers  # check_gpt_gradients(n, …) reads quick(n, …)
    runs = readers(rf"\b(?:quick|{'|'.join(helpers)})\(([^()]*)\)")
    assert {"1", "3", "4", "5"} <= set(runs)
    for arguments, files in runs.items():
        groups = {conftest.shared_run(f"{name}test_x") for name in files}
        assert len(groups) == 1 and None not in groups, f"quick({arguments}) is read by {sorted(files)}"


def test_the_tests_that_read_the_lesson_notebooks_are_one_group():
    every_step = [f"tests/test_train{n}.py::TestEveryStep::test_notebook_runs_in_quick_mode" for n in STEPS]
    nodes = every_step + [f"{name}test_x" for name in readers(r"\blesson_notebook\(")["lesson_notebook("]]
    assert len(nodes) > 6 and {conftest.shared_run(node) for node in nodes} == {"lesson_notebook"}


def test_make_test_runs_the_suite_in_parallel_and_pytest_options_win(monkeypatch):
    ran = []
    monkeypatch.setattr(run_tests, "up_to_date", lambda: True)
    monkeypatch.setattr(
        run_tests.subprocess,
        "run",
        lambda command, cwd: ran.append(command) or subprocess.CompletedProcess(command, 0),
    )
    assert run_tests.main([]) == run_tests.main(["--", "-n", "0"]) == run_tests.main(["--notebooks"]) == 0
    expected = [] if os.name == "nt" else ["-n", "auto", "--dist", "loadgroup"]
    assert ran[0][1:] == ["-m", "pytest", "-q", *expected]  # pytest.ini's -m: not the kernel tests
    assert ran[1][-2:] == ["-n", "0"]  # pytest's last -n is the one it uses
    assert ran[2][1:] == ["-m", "pytest", "-q", *expected, "-m", "kernel"]  # make test-notebooks: only them


def test_the_tests_of_one_group_run_on_one_worker():
    """A real run on two workers: two files of one group, and one file of tests that go anywhere."""
    pytest.importorskip("xdist")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "tests/test_train3.py",
            "tests/test_train4.py",
            "tests/test_lite.py",
            "-k",
            "notebook_is_clean or regenerates or test_lite",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workers = {}
    for worker, node in re.findall(r"^\[(gw\d)\] \[ *\d+%\] PASSED (\S+)", result.stdout, re.M):
        workers.setdefault(node.split("::")[0], set()).add(worker)
    assert len(workers["tests/test_train3.py"] | workers["tests/test_train4.py"]) == 1, workers


@pytest.mark.kernel
@pytest.mark.skipif(os.name == "nt", reason="Windows: kernels talk over TCP (make test runs in one process)")
def test_a_notebook_kernel_talks_over_unix_sockets_of_its_own(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import json, ipykernel\nprint(json.loads(ipykernel.get_connection_info())['transport'])"
            )
        ]
    )
    execute_notebook(nb, tmp_path, dict(os.environ))
    assert nb.cells[0].outputs[0]["text"] == "ipc\n"
    assert list(tmp_path.iterdir()) == []  # its sockets are not in its current folder


def test_a_test_not_marked_kernel_cannot_start_one(tmp_path):
    """make test leaves out the tests marked kernel (make test-notebooks runs them): an unmarked test that
    starts a kernel fails, rather than slowing make test down unseen."""
    nbformat = pytest.importorskip("nbformat")
    with pytest.raises(RuntimeError, match=r"mark it @pytest.mark.kernel \(make test-notebooks\)"):
        execute_notebook(nbformat.v4.new_notebook(), tmp_path, dict(os.environ))
