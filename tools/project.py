"""The facts the tools (and the tests) share, each written once here.

    import project        # a tool in tools/ finds it next to itself; tests put tools/ on sys.path

Where things are (ROOT, STEPS, DATASET, SHARED), which steps exist (step_numbers), the knobs a
step reads (KNOBS), the reference log, and the three rules of every tool's command line:
  - command_line(__doc__, __file__): an argparse parser whose --help shows the tool's docstring and exits 0
    before the tool does anything, and whose errors are ONE line on stderr, exit status 2;
  - `with pinned_environment(): import jupytext` for a tool that needs the pinned .venv: run
    without it, the tool says so in one line (how to build it, how to run the tool with it),
    exit status 1, instead of a ModuleNotFoundError traceback;
  - `if __name__ == "__main__": run_main(main)`: sys.exit(main()), except that a reader who closes the
    pipe early (`tools/diff.py --all | head`) ends the tool quietly, exit status 0.
Stdlib only, so that every tool can import it whatever Python runs it.
"""

import argparse
import contextlib
import errno
import os
import re
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
STEPS = ROOT / "steps"
DATASET = ROOT / "data" / "names.txt"  # where the steps fetch the dataset to, and read it from
RESULTS = (
    ROOT / "docs" / "results"
)  # measured results (make ladder, make bench): committed, never edited by hand
BUILD = ROOT / "build"  # everything built, in one folder git ignores (make clean removes it)
SITE = BUILD / "site"  # make docs; the JupyterLite course beside it in SITE / "lite" (make lite)
# ../shared sits beside the clone in CI (and in the project's own worktrees) only: a learner's
# clone never has it, so nothing may need it. The tests and tools/measure/fidelity.py read the
# reference log there.
SHARED = ROOT.parent / "shared"
SHARED_REFERENCE_LOG = SHARED / "reference" / "train5.log"
GOLDEN_REFERENCE_LOG = ROOT / "tests" / "golden" / "train5.log"  # the copy kept in the repo
# The environment variables a step reads (the README's table of knobs).
KNOBS = ("NUM_STEPS", "STOP_AFTER", "N_EMBD", "N_HEAD", "N_LAYER", "BLOCK_SIZE", "NUM_SAMPLES", "DATASET")
# Quick mode, for each place that runs the steps short: the knobs as the environment gets them (strings).
LESSON = {"NUM_STEPS": "3", "NUM_SAMPLES": "20"}
QUICK = {
    "test": {"STOP_AFTER": "5", "NUM_SAMPLES": "3"},  # a step in the tests: 5 steps of its real schedule
    "notebook": LESSON,  # a lesson notebook, in the tests and on the quick site (which shares their runs)
    # the quick site (tools.site.build --quick): its ladder's steps and held-out names, its notebooks' steps
    "site": {"notebook_steps": int(LESSON["NUM_STEPS"])},  # the lessons as the course site runs them
    "lite": {"NUM_STEPS": "20"},  # typed into a JupyterLite notebook (make lite-proof), every sample compared
    "lab": {"NUM_STEPS": "20", "NUM_SAMPLES": "5"},  # the kernels of the JupyterLab proof (make lab-proof)
    "grader": {"NUM_STEPS": "2", "NUM_SAMPLES": "1"},  # nbgrader's autograder: the checks need no training
    "code": {"NUM_STEPS": "1", "STOP_AFTER": "1", "NUM_SAMPLES": "1"},  # a step's globals, not its weights
}


def step_numbers(root=ROOT):
    """The steps that exist (steps/trainN.py under `root`), in order: every tool loops over these."""
    found = (re.fullmatch(r"train(\d+)\.py", name) for name in os.listdir(Path(root) / "steps"))
    return sorted(int(m.group(1)) for m in found if m)


def step_path(n, root=ROOT):
    return Path(root) / "steps" / f"train{n}.py"


def reference_log():
    """The reference microgpt's printed output (train5 with its defaults must print exactly this):
    ../shared/reference/train5.log when it is there, else the repo's copy in tests/golden/."""
    return SHARED_REFERENCE_LOG if SHARED_REFERENCE_LOG.is_file() else GOLDEN_REFERENCE_LOG


def without_knobs(env, keep=()):
    """A copy of an environment (dict) with no knob in it but those in `keep`: a run with the defaults."""
    return {k: v for k, v in env.items() if k not in KNOBS or k in keep}


# --- command lines ---------------------------------------------------------------------------------


def tool_name(path=None):
    """A tool as the user types it: `tools/diff.py` for a learner's command (run by path), `python3 -m
    tools.measure.bench` for one of the workshop's rooms (a package module); the one being run by default."""
    path = path or (sys.argv[0] if sys.argv and sys.argv[0] else None)
    if not path:
        return "this tool"
    path = Path(path).resolve()
    if path.parent == TOOLS:
        return f"tools{os.sep}{path.name}"
    if TOOLS in path.parents:
        return "python3 -m " + ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return str(path)


class OneLineParser(argparse.ArgumentParser):
    """argparse, with every error on one line: "error: tools/X.py: what was wrong (see tools/X.py --help)"."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def command_line(doc, file):
    """The parser of the tool in `file` (its __file__): its docstring is the --help text (examples and
    all), its name in messages the one the user types (tool_name), errors are one line."""
    return OneLineParser(
        prog=tool_name(file), description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


WINDOWS = os.name == "nt"


def reader_left(error):
    """Whether an OSError is stdout's reader having closed the pipe: EPIPE, or on Windows EINVAL
    (with no file name: a failed open() is EINVAL there too, and must still be reported)."""
    windows = WINDOWS and error.errno == errno.EINVAL and error.filename is None
    return isinstance(error, BrokenPipeError) or windows


def run_main(main):
    """sys.exit(main()) for a tool's `if __name__ == "__main__":`, quiet when the reader leaves early
    (`| head`): no traceback, and exit status 0, so that make prints no Error line either (a tool that
    had finished before its last output was refused keeps its own status)."""
    code = 0  # stopped early: the reader has seen what it wanted
    try:
        try:
            code = main()
        except SystemExit as exit:  # --help, a one-line error: the same exit, once stdout is flushed
            code = exit.code
        sys.stdout.flush()  # now, where a closed pipe can be caught, not in the interpreter's last flush
    except OSError as error:
        if not reader_left(error):
            raise
        # What is still buffered goes nowhere: the interpreter's own flush at exit must not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)


def positive_int(text):
    """An argparse type: a whole number > 0, by the steps' own rule for a knob (knob(): decimal digits,
    spaces around them aside); a bad one is the usual one-line error."""
    if not text.strip().isdecimal() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


def step_list(text):
    """An argparse type: comma-separated numbers of steps that exist, e.g. "2,5"."""
    wanted, have = [n.strip() for n in text.split(",")], step_numbers()
    bad = [n for n in wanted if not n.isdecimal() or int(n) not in have]
    if bad:
        raise argparse.ArgumentTypeError(
            f"no step {', '.join(map(repr, bad))} (the steps are {', '.join(map(str, have))})"
        )
    return [int(n) for n in wanted]


def venv_python():
    """The pinned environment's Python, as the user would type it on this system."""
    return r".venv\Scripts\python" if os.name == "nt" else ".venv/bin/python"


def needs_venv(missing):
    """The one line a tool prints when a module of the pinned environment is missing."""
    build = "python tools\\run_tests.py --venv" if os.name == "nt" else "make venv"
    name = tool_name()
    rerun = (
        name.replace("python3 ", f"{venv_python()} ", 1)
        if name.startswith("python3 ")
        else f"{venv_python()} {name}"
    )
    return (
        f"error: {name} needs the project's pinned environment ({missing} is not installed here): "
        f"run `{build}`, then `{rerun}`"
    )


@contextlib.contextmanager
def pinned_environment():
    """Around a tool's imports of the pinned environment's packages (jupytext, nbformat, …): without
    them, one line that says how to get them, exit status 1, no traceback."""
    try:
        yield
    except ModuleNotFoundError as e:
        tool = sys.modules["__main__"]
        if {"-h", "--help"} & set(sys.argv[1:]) and tool.__doc__:  # the help needs nothing but the docstring
            print(tool.__doc__.strip() + "\n\n" + needs_venv(e.name).removeprefix("error: "))
            sys.exit(0)
        sys.exit(needs_venv(e.name))


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write(
        "error: tools/project.py is a library, not a command: "
        "every command in tools/ uses it, e.g. tools/diff.py "
        "(`python3 tools/diff.py --help`)\n"
    )
    sys.exit(2)
