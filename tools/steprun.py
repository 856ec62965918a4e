"""Running a step and reading what it prints: the one place that does either.

    from tools import steprun
    result = steprun.run(5, {"NUM_STEPS": 20})          # `python3 steps/train5.py` in a process of its own
    g, output = steprun.execute(5, {"NUM_STEPS": 20})   # the same in this process: its globals too
    printed = steprun.parse(output)                     # .docs .vocab .params .check .losses .samples

A run's environment is the caller's without its knobs (but those in `keep`; keep=project.KNOBS
leaves them all), with `knobs` over it: a run with knobs={} is a run with the defaults. What a step
prints, in this order (the README's "The steps"):

    num docs: 32033
    vocab size: 27
    num params: 4192                    (the steps with parameters)
    gradient check | loss_n … | …       (train1)
    step    1 / 1000 | loss 3.3660      (one per training step)

    --- inference (new, hallucinated names) ---
    sample  1: kamon                    (NUM_SAMPLES of them)

parse() reads exactly that, or a first part of it (a run that stopped early), and says in one line
where any other output goes wrong; parse(text, strict=False) picks those lines out of a notebook's
output, between the lines the notebook prints itself. Stdlib only: tools/sample.py, run by path, uses it.
"""

import contextlib
import dataclasses
import io
import os
import re
import runpy
import subprocess
import sys

try:  # part of the tools package, or imported by a tool run by path (python3 tools/sample.py)
    from .project import ROOT, step_path, without_knobs
except ImportError:
    from project import ROOT, step_path, without_knobs

PATTERNS = {
    kind: re.compile(pattern)
    for kind, pattern in {  # each kind of line a step prints, in order
        "docs": r"num docs: (\d+)",
        "vocab": r"vocab size: (\d+)",
        "params": r"num params: (\d+)",
        "check": r"gradient check \| .+",
        "step": r"step +(\d+) / +(\d+) \| loss (-?\d+\.\d+|-?inf|nan)",
        "blank": r"",
        "heading": r"--- inference \(new, hallucinated names\) ---",
        "sample": r"sample +(\d+):(?: (.*))?",  # an empty name, its space stripped (a notebook's output), too
    }.items()
}
NEXT = {  # what may follow each kind of line
    None: ("docs",),
    "docs": ("vocab",),
    "vocab": ("params", "check", "step", "blank"),
    "params": ("check", "step", "blank"),
    "check": ("step", "blank"),
    "step": ("step", "blank"),
    "blank": ("heading",),
    "heading": ("sample",),
    "sample": ("sample",),
}
FIGURES = ("docs", "vocab", "params", "step", "sample")  # the lines two runs of the same model must share


class OutputError(ValueError):
    """Output that is not what a step prints; the message says which line and why."""


@dataclasses.dataclass
class Printed:
    """What a step printed, read back: None or empty for what it did not print (yet)."""

    docs: int = None
    vocab: int = None
    params: int = None
    check: str = None  # train1's gradient check line, as printed
    num_steps: int = None  # the N of `step k / N`
    losses: list = dataclasses.field(default_factory=list)
    samples: list = dataclasses.field(default_factory=list)
    lines: list = dataclasses.field(default_factory=list)  # (kind, line) of each line read, in order

    def figure_lines(self):
        """The lines with a figure in them (header, losses, samples) as printed, trailing spaces aside."""
        return [line.rstrip() for kind, line in self.lines if kind in FIGURES]


def kind_of(line):
    """Which kind of line a step prints `line` is (a key of PATTERNS), or None."""
    return next((kind for kind, pattern in PATTERNS.items() if pattern.fullmatch(line)), None)


def loss_of(line):
    """The loss a `step … | loss …` line prints, or None for any other line."""
    match = PATTERNS["step"].fullmatch(line)
    return float(match.group(3)) if match else None


def parse(output, strict=True):
    """Read a step's printed output back (see the module doc); strict=False: only the lines a step prints,
    wherever they are, every other line (and any order) let through."""
    printed, last = Printed(), None
    for number, line in enumerate(output.removesuffix("\n").split("\n") if output else [], 1):
        line = line.removesuffix("\r")
        kind = kind_of(line)
        if not strict and kind in (None, "blank"):
            continue
        problem = strict and out_of_place(printed, kind, last, line)
        if problem:
            raise OutputError(f"not a step's output: line {number}, {line[:60]!r}: {problem}")
        read(printed, kind, PATTERNS[kind].fullmatch(line))
        last = kind
    return printed


def out_of_place(printed, kind, last, line):
    """Why `line`, of `kind`, cannot come next in a step's output after a line of kind `last`; or None."""
    if kind is None:
        return "no step prints such a line"
    if kind not in NEXT[last]:
        after = f"after a {last!r} line" if last else "first"
        return f"out of order: a step prints a {' or '.join(map(repr, NEXT[last]))} line {after}"
    match = PATTERNS[kind].fullmatch(line)
    if kind == "step":
        step, total = int(match.group(1)), int(match.group(2))
        if step != len(printed.losses) + 1 or total != (printed.num_steps or total) or step > total:
            return f"step {step} of {total} after step {len(printed.losses)} of {printed.num_steps}"
    if kind == "sample" and int(match.group(1)) != len(printed.samples) + 1:
        return f"sample {match.group(1)} after sample {len(printed.samples)}"
    return None


def read(printed, kind, match):
    """One line's figure into `printed`."""
    printed.lines.append((kind, match.group(0)))
    if kind in ("docs", "vocab", "params"):
        setattr(printed, kind, int(match.group(1)))
    elif kind == "check":
        printed.check = match.group(0)
    elif kind == "step":
        printed.losses.append(float(match.group(3)))
        printed.num_steps = int(match.group(2))
    elif kind == "sample":
        printed.samples.append(match.group(2) or "")


# --- running a step -------------------------------------------------------------------------------


def environment(knobs=None, env=None, keep=()):
    """The environment of one run: `env` (this process's by default) without its knobs but those in
    `keep`, then `knobs` over it (as strings)."""
    wanted = without_knobs(os.environ if env is None else env, keep)
    wanted.update({k: str(v) for k, v in (knobs or {}).items()})
    return wanted


def run(n, knobs=None, *, env=None, keep=(), root=ROOT, cwd=ROOT, timeout=None, capture=True, popen=False):
    """`python3 steps/trainN.py` (this Python, the step under `root`) with environment(knobs, env, keep):
    its CompletedProcess, text; `capture`: True (stdout and stderr), "stdout" or False. popen=True: the
    Popen at once, for a caller that times the run itself (no timeout then)."""
    pipe = subprocess.PIPE
    stdout, stderr = {True: (pipe, pipe), "stdout": (pipe, None), False: (None, None)}[capture]
    args = dict(cwd=cwd, env=environment(knobs, env, keep), stdout=stdout, stderr=stderr, text=True)
    command = [sys.executable, str(step_path(n, root))]
    if popen:
        return subprocess.Popen(command, **args)
    return subprocess.run(command, timeout=timeout, **args)


def execute(n, knobs=None, *, env=None, keep=(), root=ROOT, init_globals=None, out=None):
    """Run steps/trainN.py in this process as `python3 steps/trainN.py` would (runpy, as __main__), with
    environment(knobs, env, keep) as os.environ for the run only; return (its globals, what it printed).
    `out`: a text stream of the caller's to print into (an io.StringIO, or a subclass). A step that stops
    (a bad knob, a missing dataset) raises its SystemExit, the environment restored."""
    wanted, saved = environment(knobs, env, keep), dict(os.environ)
    stream = io.StringIO() if out is None else out
    os.environ.clear()
    os.environ.update(wanted)
    try:
        with contextlib.redirect_stdout(stream):
            g = runpy.run_path(str(step_path(n, root)), init_globals=init_globals, run_name="__main__")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return g, stream.getvalue()


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write(
        "error: tools/steprun.py is a library, not a command: the tools that run a step use "
        "it, e.g. tools/sample.py (`python3 tools/sample.py --help`)\n"
    )
    sys.exit(2)
