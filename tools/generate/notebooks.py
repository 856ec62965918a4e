"""Generate notebooks/trainN.ipynb from steps/trainN.py, so a notebook never drifts from its step.

    python -m tools.generate.notebooks            # (re)write every notebook (what `make notebooks` runs)
    python -m tools.generate.notebooks --stale    # write nothing; exit 1 naming every stale notebook

Each step is a jupytext "percent" script: `# %%` starts a code cell, `# %% [markdown]` a
Markdown cell written as comment lines (the first one as a triple-quoted string, so that it is
also the module docstring). Every step found in steps/ gets a notebook; a new step needs no
change here.

A notebook is the step's cells and nothing else: no outputs, no execution counts, no jupytext
bookkeeping, and the kernel metadata JupyterLab writes, less the machine's Python version (a
notebook whose kernel metadata a lab rewrote is still in sync: tools/generate/kernel_metadata.py says why).
Cell ids are derived from the step and the cell's position ("train3-07") instead of nbformat's
random ones, so an unchanged step always gives a byte-identical notebook, on any machine, with
or without the old notebook present.
Needs the pinned .venv (jupytext, nbformat): `make notebooks` builds it.
"""

import copy
import functools
import re
import sys

from .. import project
from ..project import ROOT, command_line, pinned_environment, run_main
from . import picture_cells
from . import setup_cell as standalone
from .kernel_metadata import KERNELSPEC, LANGUAGE_INFO, canonical

with pinned_environment():
    import jupytext
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell

NOTEBOOKS = ROOT / "notebooks"
# Cell metadata that only tells jupytext how to write the cell back as a script.
JUPYTEXT_CELL_KEYS = (
    "cell_marker",
    "lines_to_next_cell",
    "lines_to_end_of_cell_marker",
    "skipline",
    "noskipline",
)


def steps():
    """The steps under ROOT (a test points ROOT at a tree of its own): the generators loop over these."""
    return project.step_numbers(ROOT)


def step_path(n):
    return project.step_path(n, ROOT)


def notebook_path(n):
    return NOTEBOOKS / f"train{n}.ipynb"


def relative(path):
    return path.relative_to(ROOT).as_posix()


def notebook(n, setup=True):
    """steps/trainN.py as a clean notebook object (nbformat 4.5), with the pictures and the play cells of
    tools/generate/picture_cells.py; with setup, the collapsed setup cell of tools/generate/setup_cell.py
    right under the title, so that the notebook also works alone, and the one that carries the pictures'
    code after the step's imports. A copy of its own: the caller may change it."""
    return copy.deepcopy(built(n, setup, step_path(n).read_text(encoding="utf-8")))


@functools.cache
def built(n, setup, text):
    """notebook(n, setup) for the step's text: built once per text in a process, as the tests ask for each
    notebook many times (the tools/ files it carries do not change while a process runs)."""
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for index, cell in enumerate(nb.cells):
        cell.id = f"train{n}-{index:02d}"
        cell.metadata = nbformat.from_dict(
            {k: v for k, v in cell.metadata.items() if k not in JUPYTEXT_CELL_KEYS}
        )
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    extra = picture_cells.added(n, nb.cells)
    cells = []
    for index, cell in enumerate(nb.cells):
        cells.append(cell)
        for id, about, code in extra.get(index, []):
            cells += [new_markdown_cell(about, id=f"{id}-about"), new_code_cell(code, id=id)]
    nb.cells = cells
    if setup:
        nb.cells.insert(1, standalone.lesson_cell(n))
        nb.cells.insert(3, standalone.pictures_cell(n))  # after the step's imports: the first three stay
    return nb


def build(n):
    """The exact text notebooks/trainN.ipynb must have."""
    return nbformat.writes(notebook(n), version=4) + "\n"


def in_sync(path, text):
    """True when the notebook at path is `text` up to the kernel metadata a lab writes on open (what
    --stale and the tests ask; `make notebooks` still writes the exact text)."""
    return path.is_file() and canonical(path.read_bytes().decode("utf-8", errors="replace")) == text


def write_changed(folder, path_of, build_of):
    """Write every step's generated notebook (path_of(n), text build_of(n)) whose text changed;
    return the paths written. Shared by the lesson and the student notebooks."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for n in steps():
        path, text = path_of(n), build_of(n)
        if not path.is_file() or path.read_bytes() != text.encode(
            "utf-8"
        ):  # exact: the generator is the source
            path.write_bytes(text.encode("utf-8"))  # bytes: "\n" line ends on every platform
            written.append(path)
    return written


def out_of_sync(folder, shown, path_of, build_of, verb):
    """One line per generated notebook in `folder` (named `shown`/… to the user) that is missing,
    stale, or has no step left; empty when all is in sync. `verb` is the command that mends it."""
    found = []
    for n in steps():
        path, step = path_of(n), relative(step_path(n))
        if not path.is_file():
            found.append(f"{shown}/{path.name} is missing for {step}: run `{verb}`")
        elif not in_sync(path, build_of(n)):
            found.append(f"{shown}/{path.name} is out of date with {step}: run `{verb}`")
    for path in sorted(folder.glob("*.ipynb")):
        m = re.fullmatch(r"train(\d+)\.ipynb", path.name)
        if not m or not step_path(int(m.group(1))).is_file():
            found.append(f"{shown}/{path.name} has no step: delete it")
    return found


def write_all():
    """Write every lesson notebook whose text changed; return the paths written."""
    return write_changed(NOTEBOOKS, notebook_path, build)


def problems():
    """One line per lesson notebook that is missing, stale, or has no step left."""
    return out_of_sync(NOTEBOOKS, relative(NOTEBOOKS), notebook_path, build, "make notebooks")


CHECK_HELP = "write nothing; exit 1 naming every notebook that is missing or out of date"


def generate(check, problems, write_all, what):
    """What every notebook generator does: with check (--stale), name what is stale and write
    nothing; otherwise write what changed and say so."""
    if check:
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


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument("--stale", action="store_true", help=CHECK_HELP)
    return generate(parser.parse_args(argv).stale, problems, write_all, "notebook(s)")


if __name__ == "__main__":
    run_main(main)
