"""Helpers to run the steps from tests: as a subprocess (what a user sees) or in-process (their globals)."""

import contextlib
import io
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STEPS = ROOT / "steps"
# The reference microgpt's printed output: ../shared/reference/train5.log beside the repo (CI), else
# the copy of those figures in tests/golden/ (a learner's clone).
REFERENCE_LOG = next(p for p in (ROOT.parent / "shared" / "reference" / "train5.log", ROOT / "tests" / "golden" / "train5.log")
                     if p.is_file())
KNOBS = ("NUM_STEPS", "STOP_AFTER", "N_EMBD", "N_HEAD", "N_LAYER", "BLOCK_SIZE", "NUM_SAMPLES", "DATASET")
OFFLINE_URL = "http://127.0.0.1:9/names.txt"  # the discard port on loopback: a download fails at once


def names_txt():
    """The real dataset: ../shared/data/names.txt (CI), else data/names.txt."""
    for path in (ROOT.parent / "shared" / "data" / "names.txt", ROOT / "data" / "names.txt"):
        if path.is_file():
            return path
    pytest.skip("names.txt not available (no ../shared/data/names.txt and no data/names.txt)")


def environment(knobs):
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env["NAMES_URL"] = OFFLINE_URL
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
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment(knobs))
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            env = runpy.run_path(str(STEPS / f"train{step}.py"), run_name="__main__")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return env, out.getvalue()


def losses(output):
    return [float(line.rsplit(" ", 1)[1]) for line in output.splitlines() if line.startswith("step ")]


def samples(output):
    return [line.split(": ", 1)[1] if ": " in line else "" for line in output.splitlines() if line.startswith("sample ")]


def write(path, text, newline="\n"):
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def step_numbers():
    """The steps that exist right now (steps/trainN.py), in order: tests parametrize over these."""
    found = (re.fullmatch(r"train(\d+)\.py", path.name) for path in STEPS.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def run_notebook(nb, **knobs):
    """Execute a notebook (in place) as a student would: one fresh kernel, cwd notebooks/; return its printed text."""
    from nbclient import NotebookClient  # only the notebook tests need the .venv's Jupyter stack

    client = NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute(env=environment(knobs))
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs)
