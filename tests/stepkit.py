"""Helpers to run the steps from tests: as a subprocess (what a user sees) or in-process (their globals)."""

import os
import shutil
import tempfile

import pytest

from tools import steprun

# The facts the tools share, defined once in tools/project.py. ../shared (SHARED) sits beside the repo
# in CI only, never on a learner's machine: names_txt() below is the only place the tests look there
# for the dataset; project.reference_log() the only one for the reference log.
from tools.project import (  # noqa: F401  (the tests import them from here)
    DATASET,
    KNOBS,
    ROOT,
    SHARED,
    SHARED_REFERENCE_LOG,
    STEPS,
    reference_log,
    step_numbers,
)

REFERENCE_LOG = reference_log()
HOW_TO_GET_THE_DATASET = (
    "needs the real dataset data/names.txt: run `make data` (or save names.txt there by hand, "
    "as the README's 'Offline?' says)"
)
OFFLINE_URL = "http://127.0.0.1:9/names.txt"  # the discard port on loopback: a download fails at once


def names_txt():
    """The real dataset, for the tests that need it: data/names.txt (where a learner puts it), else
    ../shared/data/names.txt (CI); without either, the test is skipped with a reason that says how to get
    it."""
    for path in (DATASET, SHARED / "data" / "names.txt"):
        if path.is_file():
            return path
    pytest.skip(HOW_TO_GET_THE_DATASET)


def environment(knobs):
    """The environment of a step run: the caller's, without its knobs, offline, on the real dataset
    unless the knobs name another one (then the real one is not needed)."""
    dataset = {} if "DATASET" in knobs else {"DATASET": str(names_txt())}
    return steprun.environment(knobs, {**os.environ, "NAMES_URL": OFFLINE_URL, **dataset}, keep=("DATASET",))


def run(step, cwd=ROOT, **knobs):
    """Run steps/train{step}.py as `python` would; knobs become environment variables."""
    return steprun.run(step, env=environment(knobs), keep=KNOBS, cwd=cwd, timeout=600)


def execute(step, **knobs):
    """Run a step in this process and return (its globals, what it printed)."""
    return steprun.execute(step, env=environment(knobs), keep=KNOBS)


def one_clear_line(result, *phrases):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def losses(output):
    """The training losses a step printed, in its output or among a notebook's."""
    return steprun.parse(output, strict=False).losses


def samples(output):
    return steprun.parse(output, strict=False).samples


def write(path, text, newline="\n"):
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


# Whether the running test may start a Jupyter kernel: only one marked `kernel` (tests/conftest.py sets
# this for each test), so that no kernel hides among make test's tests, which leave those out.
kernel_allowed = True


def execute_notebook(nb, cwd, env, allow_errors=False):
    """Execute a notebook (in place) in a fresh kernel whose current folder is cwd, with env; raise what
    nbclient raises (CellExecutionError for a cell that failed; with allow_errors, every cell runs).

    Where it can (not on Windows) the kernel talks over Unix sockets in a folder of its own, not TCP:
    free ports picked at the same moment by two test processes (pytest-xdist's workers) can be the
    same, and the kernel that lost the race never answers.

    Each cell gets 60 s, far more than a quick-mode cell takes: a kernel that stops answering costs a
    minute, not ten. (ipykernel before 7.4 could leave a request unread until the wait for it timed out,
    ipython/ipykernel#1529: 300 s lost in a run, now and then.)"""
    if not kernel_allowed:
        raise RuntimeError(
            "this test starts a Jupyter kernel: mark it @pytest.mark.kernel (make test-notebooks)"
        )
    from nbclient import NotebookClient  # only the notebook tests need the .venv's Jupyter stack
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        config = Config()
        if os.name != "nt":
            config.KernelManager.transport = "ipc"
            config.KernelManager.ip = os.path.join(sockets, "ipc")
        client = NotebookClient(
            nb,
            timeout=60,
            kernel_name="python3",
            record_timing=False,
            shutdown_kernel="immediate",  # nothing to wait for once the last cell is read: no atexit work
            allow_errors=allow_errors,
            config=config,
            resources={"metadata": {"path": str(cwd)}},
        )
        client.execute(env=env)


def notebook_error(nb, cwd, env):
    """execute_notebook(), for a test that looks at how a notebook stops: what a cell raised, or None."""
    try:
        execute_notebook(nb, cwd, env)
    except Exception as error:  # noqa: BLE001 - the caller looks at it
        return error
    return None


def execute_alone(nb, folder, url=None, names=False, **knobs):
    """Write nb alone into folder (plus names.txt if asked) and run it there in a fresh kernel, with
    knobs, no DATASET and downloads from `url`, as on a hub, in Colab or VS Code. Returns the executed
    notebook and the error, if any."""
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "alone.ipynb")
    if names:
        shutil.copy(names_txt(), folder / "names.txt")
    env = {k: v for k, v in environment(knobs).items() if k != "DATASET"}
    env["NAMES_URL"] = url or OFFLINE_URL
    nb = nbformat.read(folder / "alone.ipynb", as_version=4)
    return nb, notebook_error(nb, folder, env)


def cell_text(cell):
    """What one executed cell printed (its streams), in order."""
    return "".join(output.get("text", "") for output in cell.outputs)


def printed(nb):
    """What a notebook's code cells printed, in order."""
    return "".join(cell_text(cell) for cell in nb.cells if cell.cell_type == "code")


def run_notebook(nb, **knobs):
    """Execute a notebook (in place) as a student would: one fresh kernel, cwd notebooks/; return its printed
    text."""
    execute_notebook(nb, ROOT / "notebooks", environment(knobs))
    return printed(nb)


# make and /bin/sh stand-ins: what a Windows machine without make does not have (it runs the README's
# "Without make" commands instead, which tests/test_tools.py runs as their POSIX equivalents).
posix_make = pytest.mark.skipif(
    os.name == "nt" or shutil.which("make") is None,
    reason="needs make and a POSIX shell (on Windows: the README's 'Without make' commands)",
)
