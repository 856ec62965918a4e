"""The setup cell that lets a generated notebook work alone: one file on a hub, in Colab or VS Code.

A lesson notebook (tools/generate/notebooks.py) and a student notebook (tools/exercises/student.py)
start with a collapsed setup cell generated here. It carries files of the repository as they are,
each read as text and made into a module in the notebook: tools/dataset.py. So each fact is written
once, in tools/, and nothing has to sit beside the notebook. More collapsed cells carry, the same way,
one concern each: in a student notebook the checkers cell its step's checkers alone
(tools/exercises/trainN.py, as `check`, with the files they import: `from .common import *`, outside
the package `from common import *`); in both the pictures cell tools/sampling.py and its step's
pictures alone (tools/pictures/trainN.py, as `pictures`, with draw.py and what else it imports). The
setup cell:

- shows a bad setting (`os.environ["NUM_STEPS"] = "abc"`) as the step's own one line, on stderr,
  without IPython's "An exception has occurred…" and "To exit: use 'exit'…" around it (a script
  run is untouched: the step still prints its line and exits with status 1). IPython's run_code
  catches a SystemExit before it asks a handler of set_custom_exc, so in the kernel sys.exit with
  a message raises an exception of the cell's own instead, whose handler prints the message;
- leaves the dataset to the step inside the repository (it finds data/names.txt, or downloads it
  with tools/prepare.py); anywhere else it uses names.txt beside the notebook, downloaded there
  (tools/dataset.py: size and sha256 checked, atomic write, one line offline) when missing, and
  points DATASET at it. A DATASET set before always wins.
"""

import inspect
import os
import re
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent
ROOT = TOOLS.parent
# Colab shows a cell with this metadata and a "# @title" first line as a form (code hidden);
# JupyterLab and VS Code collapse a cell whose source_hidden is set.
HIDDEN = {"cellView": "form", "jupyter": {"source_hidden": True}}
# Files that say "this is the repository" (seen from notebooks/): there the step finds the dataset itself.
REPOSITORY = (("data", "names.txt"), ("tools", "prepare.py"))
# What the cell's functions share, as the cell itself defines them (here too, so that they run as a module).
_SOURCES = {}  # the files carried: {module name: (path, source)}
_BUILTINS = dict(__builtins__ if isinstance(__builtins__, dict) else vars(__builtins__))
IMPORTS = re.compile(r"^\s*from \.(\w+) import \*", re.M)  # a carried file's own imports


def _module(name, path, source):  # what `import name` would make of the file at path
    import types

    module = sys.modules[name] = types.ModuleType(name)
    exec(compile(source, path, "exec"), module.__dict__)
    return module


# The graded check (nbgrader's grade cells). Threat model: the answer cells are the student's code; they
# run in this kernel before and while it is checked, and may rebind or patch whatever they can name:
# `check.adam = …`, `check` itself, a helper of the checkers (`check._close`, `math.isclose`), a builtin
# (`builtins.abs`, `print`), or raise SystemExit. So a grade cell never uses `check`: _graded() makes a
# new copy of the checkers from the sources this locked cell carries (nbgrader restores locked cells
# from the course's copy), with a new `math` and the builtins as they were when this cell ran, none of
# it an object an answer cell has seen. What no code inside the kernel can stop (an answer that rebinds
# _graded, or reaches the checker through frames, gc or sys.modules) is stopped outside it: nbgrader's
# autograder reads every answer cell's code first (tools/nbgrader/audit.py, in nbgrader_config.py).
def _graded():
    import importlib.util
    import types

    spec = importlib.util.find_spec("math")
    fresh = {"math": importlib.util.module_from_spec(spec)}
    spec.loader.exec_module(fresh["math"])
    saved = {name: sys.modules.get(name) for name in ("math", *_SOURCES)}
    try:
        sys.modules["math"] = fresh["math"]
        for name, (path, source) in _SOURCES.items():  # each after the files it imports
            module = sys.modules[name] = fresh[name] = types.ModuleType(name)
            module.__builtins__ = dict(_BUILTINS)
            exec(compile(source, path, "exec"), module.__dict__)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return fresh["check"]


def _one_line_exit(shell):  # in IPython: sys.exit("error: …") shows that one line alone
    class Stopped(Exception):  # run_code would catch a SystemExit before set_custom_exc's handler
        pass

    exit = getattr(sys.exit, "__wrapped__", sys.exit)  # (the cell run again)

    def one_line(status=None):
        if not isinstance(status, str):
            exit(status)
        raise Stopped(status)

    one_line.__wrapped__, sys.exit = exit, one_line
    shell.set_custom_exc((Stopped,), lambda shell, kind, error, *_, **__: print(error, file=sys.stderr))


def _dataset_beside_notebook(dataset):  # in the repository the step finds data/names.txt itself
    if os.environ.get("DATASET") or any(os.path.isfile(os.path.join("..", *f)) for f in REPOSITORY):
        return
    path = os.path.abspath("names.txt")
    problem = dataset.problem(path)
    if problem:
        sys.exit(problem)
    os.environ["DATASET"] = path


def carried():
    """[(module name, file)] the setup cell carries: tools/dataset.py."""
    return [("dataset", TOOLS / "dataset.py")]


def checkers_carried(n):
    """[(module name, file)] step n's checkers cell carries: tools/exercises/trainN.py (as `check`), after
    the files it imports."""
    return with_imports([], "check", TOOLS / "exercises" / f"train{n}.py")


def with_imports(files, name, path):
    """files, then the file at path (as `name`) after the files it imports (IMPORTS: its siblings), each
    module once."""
    files = list(files)

    def add(name, path):
        for needed in IMPORTS.findall(path.read_text(encoding="utf-8")):
            add(needed, path.parent / f"{needed}.py")
        if name not in dict(files):
            files.append((name, path))

    add(name, path)
    return files


def embedded(name, path, graded=False):
    """`name = _module(…)` of the file at path, its text as it is in a raw string literal; graded: the
    text kept in _SOURCES too, for _graded()."""
    text = path.read_text(encoding="utf-8")
    shown = path.relative_to(ROOT).as_posix()
    if "'''" in text or text.rstrip("\n").endswith("\\"):
        raise ValueError(f"{shown} cannot go into a notebook as r'''…''': no ''' in it, please")
    if graded:
        kept = f"_SOURCES[{name!r}] = ({shown!r}, r'''{text}''')"
        return f"{kept}\n{name} = _module({name!r}, *_SOURCES[{name!r}])"
    return f"{name} = _module({name!r}, {shown!r}, r'''{text}''')"


def source(before=""):
    """The setup cell's code: `before` (plain code run first), then the files carried (carried())."""
    functions = "\n\n".join(inspect.getsource(f) for f in (_module, _one_line_exit, _dataset_beside_notebook))
    loads = "\n".join(embedded(name, path) for name, path in carried())
    return f"""\
# @title Setup: run this cell first (it is generated; nothing to change here)
# One-line errors, and outside the repository names.txt beside this notebook.
import os
import sys

REPOSITORY = {REPOSITORY!r}
{before}
{functions}

if "get_ipython" in globals():
    _one_line_exit(get_ipython())
{loads}
_dataset_beside_notebook(dataset)"""


def checkers_source(n, graded=False):
    """The checkers cell's code: step n's checkers (checkers_carried(n)); graded: also _graded(), the grade
    cells' copy of them (nbgrader's version)."""
    loads = "\n".join(embedded(name, path, graded) for name, path in checkers_carried(n))
    kept = ""
    if graded:
        kept = (
            "_BUILTINS = dict(__import__('builtins').__dict__)  # as they are before any answer ran\n"
            "_SOURCES = {}  # the files carried: {module name: (path, source)}\n\n\n"
            f"{inspect.getcomments(_graded)}{inspect.getsource(_graded)}\n\n"
        )
    return f"""\
# @title Checkers: run this cell too (it is generated; nothing to change here)
# The code of the check cells under the blanks: tools/exercises/train{n}.py, as `check`.
{kept}{loads}"""


def checkers_cell(n, graded=False):
    return cell(checkers_source(n, graded), f"train{n}-checkers-setup")


def cell(code, id):
    """The setup cell: collapsed in JupyterLab, VS Code and Colab."""
    from nbformat.v4 import new_code_cell

    return new_code_cell(code, id=id, metadata=HIDDEN)


def lesson_cell(n):
    return cell(source(), f"train{n}-setup")


def pictures_carried(n):
    """[(module name, file)] step n's pictures cell carries: tools/sampling.py, then the step's own
    drawings tools/pictures/trainN.py (as `pictures`, which the cells call) after what they import
    (tools/pictures/draw.py, and for steps 3 and 4 heads.py)."""
    return with_imports(
        [("sampling", TOOLS / "sampling.py")], "pictures", TOOLS / "pictures" / f"train{n}.py"
    )


def pictures_cell(n):
    """The collapsed cell that carries tools/sampling.py and step n's pictures (pictures_carried), which the
    pictures and the play cells call (a cell of its own: the setup cell stays short), run after the setup
    cell."""
    from .picture_cells import uses_widgets

    loads = "\n".join(embedded(name, path) for name, path in pictures_carried(n))
    packages = "matplotlib, ipywidgets" if uses_widgets(n) else "matplotlib"
    code = f"""\
# @title Pictures: run this cell too (it is generated; nothing to change here)
# It carries the code that draws the pictures under the lesson's cells (matplotlib: without it they say
# how to install it) and samples the trained model at the end. `print` keeps the loss lines the training
# cell prints, for the loss curve.
try:  # imported here too: JupyterLite loads the packages that a cell's own code imports
    import {packages}
except ImportError:
    pass  # each picture says how to install what it needs
{loads}
print = pictures.record(print)"""
    return cell(code, f"train{n}-pictures-setup")


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write(
        "error: tools/generate/setup_cell.py is a library, not a command: "
        "tools/generate/notebooks.py and tools/exercises/student.py use it (`make notebooks`)\n"
    )
    sys.exit(2)
