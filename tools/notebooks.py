"""Generate notebooks/trainN.ipynb from steps/trainN.py, so a notebook never drifts from its step.

    python tools/notebooks.py            # (re)write every notebook (what `make notebooks` runs)
    python tools/notebooks.py --check    # write nothing; exit 1 naming every stale notebook

Each step is a jupytext "percent" script: `# %%` starts a code cell, `# %% [markdown]` a
Markdown cell written as comment lines (the first one as a triple-quoted string, so that it is
also the module docstring). Every step found in steps/ gets a notebook; a new step needs no
change here.

A notebook is the step's cells and nothing else: no outputs, no execution counts, no jupytext
bookkeeping, and a fixed Python 3 kernelspec. Cell ids are derived from the step and the cell's
position ("train3-07") instead of nbformat's random ones, so an unchanged step always gives a
byte-identical notebook, on any machine, with or without the old notebook present.
Needs the pinned .venv (jupytext, nbformat): `make notebooks` builds it.
"""

import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
STEPS = ROOT / "steps"
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
# Cell metadata that only tells jupytext how to write the cell back as a script.
JUPYTEXT_CELL_KEYS = ("cell_marker", "lines_to_next_cell", "lines_to_end_of_cell_marker", "skipline", "noskipline")


def steps():
    """The step numbers that exist in steps/, in order."""
    found = (re.fullmatch(r"train(\d+)\.py", path.name) for path in STEPS.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def step_path(n):
    return STEPS / f"train{n}.py"


def notebook_path(n):
    return NOTEBOOKS / f"train{n}.ipynb"


def relative(path):
    return path.relative_to(ROOT).as_posix()


def notebook(n):
    """steps/trainN.py as a clean notebook object (nbformat 4.5)."""
    nb = jupytext.reads(step_path(n).read_text(encoding="utf-8"), fmt="py:percent")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for index, cell in enumerate(nb.cells):
        cell.id = f"train{n}-{index:02d}"
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k not in JUPYTEXT_CELL_KEYS})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def build(n):
    """The exact text notebooks/trainN.ipynb must have."""
    return nbformat.writes(notebook(n), version=4) + "\n"


def write_all():
    """Write every notebook whose text changed; return the paths written."""
    NOTEBOOKS.mkdir(exist_ok=True)
    written = []
    for n in steps():
        path, text = notebook_path(n), build(n)
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            path.write_bytes(text.encode("utf-8"))  # bytes: "\n" line ends on every platform
            written.append(path)
    return written


def problems():
    """One line per notebook that is missing, stale, or has no step left; empty when all is in sync."""
    found = []
    for n in steps():
        path = notebook_path(n)
        if not path.is_file():
            found.append(f"{relative(path)} is missing for {relative(step_path(n))}: run `make notebooks`")
        elif path.read_bytes() != build(n).encode("utf-8"):
            found.append(f"{relative(path)} is out of date with {relative(step_path(n))}: run `make notebooks`")
    for path in sorted(NOTEBOOKS.glob("train*.ipynb")):
        m = re.fullmatch(r"train(\d+)\.ipynb", path.name)
        if m and not step_path(int(m.group(1))).is_file():
            found.append(f"{relative(path)} has no {relative(step_path(int(m.group(1))))}: delete it")
    return found


def generate(argv, problems, write_all, what):
    """The command line every notebook generator shares: --check names what is stale and writes
    nothing; otherwise write what changed and say so."""
    if argv == ["--check"]:
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    written = write_all()
    for path in written:
        print(f"wrote {relative(path)}")
    if not written:
        print(f"{len(steps())} {what} already up to date")
    return 0


def main(argv):
    if argv not in ([], ["--check"]):
        sys.exit("usage: python tools/notebooks.py [--check]")
    return generate(argv, problems, write_all, "notebook(s)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
