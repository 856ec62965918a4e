"""The setup cell that lets a generated notebook work alone: one file on a hub, in Colab or VS Code.

A lesson notebook (tools/generate/notebooks.py) and a student notebook (tools/exercises/student.py) start with a
collapsed setup cell generated here. It carries, as source copied in at generation time, the
repository modules the notebook needs (tools/dataset.py; for a student notebook also the checkers
of tools/exercises/checks.py), so one definition of each fact stays in tools/ and nothing has to sit beside
the notebook. The cell:

- makes a bad setting (`os.environ["NUM_STEPS"] = "abc"`) show the step's own one-line error,
  without IPython's "An exception has occurred…" and "To exit: use 'exit'…" around it (a script
  run is untouched: the step still prints its line and exits with status 1);
- leaves the dataset to the step inside the repository (it finds data/names.txt, or downloads it
  with tools/dataset.py); anywhere else it uses names.txt beside the notebook, downloaded there
  (same URL, size and sha256 check, atomic write, same one line offline) when it is missing, and
  points DATASET at it. A DATASET set before always wins.

The steps are not touched: what only a notebook needs lives in the generated notebook.
"""

import ast
import inspect
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent
# The modules a setup cell can carry, by the name the notebook imports them as.
SOURCES = {"dataset": TOOLS / "dataset.py", "check": TOOLS / "exercises" / "checks.py"}
# Colab shows a cell with this metadata and a "# @title" first line as a form (code hidden);
# JupyterLab and VS Code collapse a cell whose source_hidden is set.
HIDDEN = {"cellView": "form", "jupyter": {"source_hidden": True}}


def _module(name, source):
    """Make the module `name` from its source, as `import name` would from tools/name.py."""
    import os
    import types

    module = types.ModuleType(name)
    module.__file__ = os.path.abspath(f"{name}.py")  # where it would be; nothing is read from there
    exec(compile(source, f"{name}.py (copied from the repository's tools/)", "exec"), module.__dict__)
    sys.modules[name] = module
    return module


def _one_line_exit():
    """In IPython, show sys.exit("error: …") as that one line, without the exit noise around it."""
    try:
        shell = get_ipython()  # noqa: F821 - defined in IPython only
    except NameError:  # a plain interpreter shows the line by itself
        return
    import warnings

    warnings.filterwarnings("ignore", message="To exit: use 'exit', 'quit', or Ctrl-D.")
    show = getattr(shell.showtraceback, "original", shell.showtraceback)
    if not hasattr(shell, "_showtraceback"):  # not the IPython we know: leave it as it is
        return

    def showtraceback(*args, **kwargs):
        error = sys.exc_info()[1]
        if isinstance(error, SystemExit) and kwargs.get("exception_only"):
            line = error.code if isinstance(error.code, str) else "stopped: see the message above"
            return shell._showtraceback(SystemExit, error, [line])
        return show(*args, **kwargs)

    showtraceback.original = show
    shell.showtraceback = showtraceback


def _dataset_beside_notebook():
    """Outside the repository: DATASET = names.txt beside the notebook, downloaded when missing."""
    import os

    if os.environ.get("DATASET") or any(os.path.isfile(os.path.join("..", *where)) for where in REPOSITORY):
        return  # DATASET chosen already, or in the repository: the step finds data/names.txt itself
    path = os.path.abspath("names.txt")
    problem = dataset.problem(path)  # noqa: F821 - the module copied in by this cell
    if problem:
        sys.exit(problem)
    os.environ["DATASET"] = path


# What a copied module imports from tools/project.py (the repository's), as the notebook has it.
STAND_INS = {
    "DATASET": 'DATASET = "names.txt"  # the notebook\'s default: beside it (the repository\'s: data/names.txt)',
    "command_line": "command_line = None  # only the repository's command line (main) uses it",
}


def copied(name):
    """tools/NAME.py as the notebook carries it: each `from project import …` replaced by STAND_INS."""
    source = SOURCES[name].read_text(encoding="utf-8")
    lines = source.split("\n")
    for node in reversed(ast.parse(source).body):
        if isinstance(node, ast.Import) and any(alias.name == "project" for alias in node.names):
            raise ValueError(f"tools/{name}.py: `import project` cannot go into a notebook: use `from project import …`")
        if isinstance(node, ast.ImportFrom) and node.module == "project":
            missing = [alias.name for alias in node.names if alias.name not in STAND_INS]
            if missing:
                raise ValueError(f"tools/{name}.py imports {', '.join(missing)} from project: give it a stand-in "
                                 f"in tools/generate/setup_cell.py STAND_INS")
            lines[node.lineno - 1:node.end_lineno] = [STAND_INS[alias.name] for alias in node.names]
    return "\n".join(lines)


# Files that say "this is the repository" (seen from notebooks/): there the step finds the dataset itself.
REPOSITORY = (("data", "names.txt"), ("tools", "dataset.py"))


def embedded(name):
    """tools/NAME.py (copied()) as a raw string literal, to be made into the module NAME in the notebook."""
    source = copied(name)
    if "'''" in source or source.rstrip("\n").endswith("\\"):
        raise ValueError(f"tools/{name}.py cannot be copied into a notebook as r'''…''': no ''' in it, please")
    return f"_module({name!r}, r'''{source}''')"


def source(modules=("dataset",), before=""):
    """The setup cell's code: `before` (plain code run first), then the modules copied in."""
    functions = "\n\n".join(inspect.getsource(f) for f in (_module, _one_line_exit, _dataset_beside_notebook))
    loads = "\n".join(f"{embedded(name)}\nimport {name}" for name in modules)
    return f"""\
# @title Setup: run this cell first (it is generated; nothing to change here)
# It lets this notebook work on its own, anywhere: a bad setting shows one line; in the repository
# the step finds data/names.txt itself; anywhere else names.txt is taken from beside this notebook,
# or downloaded there once (size and sha256 checked). Set os.environ["DATASET"] first to use your
# own file. The repository modules it needs are copied in below.
import os
import sys

REPOSITORY = {REPOSITORY!r}  # files only the repository has (seen from notebooks/)
{before}
{functions}

_one_line_exit()
{loads}
_dataset_beside_notebook()"""


def cell(code, id):
    """The setup cell: collapsed in JupyterLab, VS Code and Colab."""
    from nbformat.v4 import new_code_cell

    return new_code_cell(code, id=id, metadata=HIDDEN)


def lesson_cell(n):
    return cell(source(), f"train{n}-setup")


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write("error: tools/generate/setup_cell.py is a library, not a command: tools/generate/notebooks.py and "
                     "tools/exercises/student.py use it (`make notebooks`)\n")
    sys.exit(2)
