"""Helpers to run the steps from tests: as a subprocess (what a user sees) or in-process (their globals)."""

import contextlib
import io
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# The facts the tools share, defined once in tools/project.py. ../shared (SHARED) sits beside the repo
# in CI only, never on a learner's machine: names_txt() below is the only place the tests look there
# for the dataset; project.reference_log() the only one for the reference log.
from tools.project import DATASET, KNOBS, ROOT, SHARED, SHARED_REFERENCE_LOG, STEPS, reference_log, step_numbers

REFERENCE_LOG = reference_log()
HOW_TO_GET_THE_DATASET = ("needs the real dataset data/names.txt: run `make data` (or save names.txt there by hand, "
                          "as the README's 'Offline?' says)")
OFFLINE_URL = "http://127.0.0.1:9/names.txt"  # the discard port on loopback: a download fails at once


def names_txt():
    """The real dataset, for the tests that need it: data/names.txt (where a learner puts it), else
    ../shared/data/names.txt (CI); without either, the test is skipped with a reason that says how to get it."""
    for path in (DATASET, SHARED / "data" / "names.txt"):
        if path.is_file():
            return path
    pytest.skip(HOW_TO_GET_THE_DATASET)


def environment(knobs):
    """The environment of a step run: the caller's, without its knobs, offline, on the real dataset
    unless the knobs name another one (then the real one is not needed)."""
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env["NAMES_URL"] = OFFLINE_URL
    if "DATASET" not in knobs:
        env["DATASET"] = str(names_txt())
    env.update({k: str(v) for k, v in knobs.items()})
    return env


def run(step, cwd=ROOT, script=None, **knobs):
    """Run steps/train{step}.py as `python` would; knobs become environment variables."""
    script = script or STEPS / f"train{step}.py"
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=environment(knobs),
                          capture_output=True, text=True, timeout=600)


def execute(step, **knobs):
    """Run a step in this process and return (its globals, what it printed)."""
    wanted, saved = environment(knobs), dict(os.environ)  # environment() may skip the test: before touching os.environ
    os.environ.clear()
    os.environ.update(wanted)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            env = runpy.run_path(str(STEPS / f"train{step}.py"), run_name="__main__")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return env, out.getvalue()


def one_clear_line(result, *phrases):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def losses(output):
    return [float(line.rsplit(" ", 1)[1]) for line in output.splitlines() if line.startswith("step ")]


def samples(output):
    return [line.split(": ", 1)[1] if ": " in line else "" for line in output.splitlines() if line.startswith("sample ")]


def write(path, text, newline="\n"):
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def execute_notebook(nb, cwd, env):
    """Execute a notebook (in place) in a fresh kernel whose current folder is cwd, with env; raise what
    nbclient raises (CellExecutionError for a cell that failed).

    Where it can (not on Windows) the kernel talks over Unix sockets in a folder of its own, not TCP:
    free ports picked at the same moment by two test processes (pytest-xdist's workers) can be the
    same, and the kernel that lost the race never answers."""
    from nbclient import NotebookClient  # only the notebook tests need the .venv's Jupyter stack
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        config = Config()
        if os.name != "nt":
            config.KernelManager.transport = "ipc"
            config.KernelManager.ip = os.path.join(sockets, "ipc")
        client = NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False, config=config,
                                resources={"metadata": {"path": str(cwd)}})
        client.execute(env=env)


def run_notebook(nb, **knobs):
    """Execute a notebook (in place) as a student would: one fresh kernel, cwd notebooks/; return its printed text."""
    execute_notebook(nb, ROOT / "notebooks", environment(knobs))
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs)


# make and /bin/sh stand-ins: what a Windows machine without make does not have (it runs the README's
# "Without make" commands instead, which tests/test_tools.py runs as their POSIX equivalents).
posix_make = pytest.mark.skipif(os.name == "nt" or shutil.which("make") is None,
                                reason="needs make and a POSIX shell (on Windows: the README's 'Without make' commands)")
