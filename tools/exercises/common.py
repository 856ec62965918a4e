"""What every checker is made of (step N's checkers: tools/exercises/trainN.py), stdlib only.

A checker runs the student's code on small inputs, compares with ground truth worked out here (finite
differences, the definition in plain floats), never with the solution, and prints ONE line: "✓ name: …"
or "✗ name: what was wrong", naming a wrong answer of a known shape. It returns True or False and never
raises. A checker file takes all this with `from .common import *` (by path, or in a notebook whose
setup cell made the module common of this file: `from common import *`).
"""

import contextlib
import functools
import math
import os
import sys
import time

_context = [""]  # what the running checker is doing, for messages about exceptions


class Wrong(Exception):
    """Raised inside a checker when the student's answer is wrong; the message is the line to print."""


def _on(what):
    """Name the input being tried, so that an exception in the student's code can say where it happened."""
    _context[0] = what


def _cut(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value):
    return _cut(repr(value), 60)


# Student code under a check gets this many seconds (wall time) before it is stopped.
LIMIT = 10


class _Runaway(BaseException):
    """Raised into the student's code when the check's time is up (not an Exception: `except Exception`
    in the student's code does not swallow it)."""


def _codes(answer):
    """The code objects of the student's answer (a function, or a class and its methods), nested ones
    included: the frames the time limit watches line by line."""
    if isinstance(answer, type):
        found = set()
        for value in vars(answer).values():
            found |= _codes(getattr(value, "__func__", value))
        return found
    code = getattr(answer, "__code__", None)
    found, todo = set(), [code] if code is not None else []
    while todo:
        code = todo.pop()
        found.add(code)
        todo += [c for c in code.co_consts if hasattr(c, "co_code")]
    return found


@contextlib.contextmanager
def _deadline(seconds, answer):
    """Stop the student's code after `seconds`. A trace function, not a signal or a thread: it works the
    same in CPython and in JupyterLite's Pyodide. The answer's own frames are watched line by line (a loop
    that never ends), every other frame at its calls only (cheap: given code runs at nearly full speed).
    Code that never comes back to Python (one huge C call) is not stopped, and an answer that catches
    BaseException turns the trace off: the grader's cell timeout is behind both."""
    watched, end, count = _codes(answer), time.monotonic() + seconds, [0]

    def line(frame, event, arg):
        count[0] += 1
        if not count[0] & 255 and time.monotonic() > end:
            raise _Runaway
        return line

    def call(frame, event, arg):
        count[0] += 1
        if not count[0] & 63 and time.monotonic() > end:
            raise _Runaway
        return line if frame.f_code in watched else None

    before = sys.gettrace()
    sys.settrace(call)
    try:
        yield
    finally:
        sys.settrace(before)


def _verdict(label, body, args, kwargs):
    """(passed, the line to print) of one run of a checker's body."""
    _on("")
    try:
        with _deadline(LIMIT, args[0] if args else None):
            return True, f"✓ {label}: {body(*args, **kwargs)}"
    except Wrong as wrong:
        return False, f"✗ {label}: {_cut(wrong)}"
    except NotImplementedError as blank:
        return False, f"✗ {label}: not implemented yet" + (f" — {_cut(blank)}" if str(blank) else "")
    except _Runaway:
        where = f" (while {_context[0]})" if _context[0] else ""
        return False, f"✗ {label}: did not finish in {LIMIT} s{where} — a loop that never ends?"
    except BaseException as error:  # the student's code failed (SystemExit, KeyboardInterrupt too)
        where = f" (while {_context[0]})" if _context[0] else ""
        extra = " — does it call itself without end?" if isinstance(error, RecursionError) else ""
        return False, f"✗ {label}: your code raised {type(error).__name__}: {_cut(error)}{where}{extra}"


def checker(label):
    """Turn a function that raises Wrong (or lets the student's exception through) into a checker: it
    prints one line and returns True or False. `checker.verdict(…)` returns (passed, line) as well, for
    nbgrader's grade cells, whose assertion carries the line."""

    def wrap(body):
        @functools.wraps(body)
        def run(*args, **kwargs):
            return verdict(*args, **kwargs)[0]

        def verdict(*args, **kwargs):
            passed, line = _verdict(label, body, args, kwargs)
            _say(line)
            return passed, line

        run.verdict = verdict
        return run

    return wrap


# A console that cannot encode a character (Windows' cp1252, or ascii) gets these instead.
_PLAIN = {
    "✓": "OK",
    "✗": "X",
    "—": "-",
    "…": "...",
    "·": ".",
    "²": "^2",
    "√": "sqrt",
    "≈": "~",
    "Σ": "sum",
    "−": "-",
    "β": "beta",
    "ε": "eps",
    "×": "x",
}


def _say(line):
    try:
        print(line)
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        for char, plain in _PLAIN.items():
            try:
                char.encode(encoding)
            except UnicodeEncodeError:
                line = line.replace(char, plain)
        print(line.encode(encoding, "backslashreplace").decode(encoding))


@contextlib.contextmanager
def _given(function, **reference):
    """While the check runs, the names in `reference` (earlier exercises the student's function calls,
    such as rmsnorm) are ground truth in the function's globals, so that only its own code is checked."""
    scope = getattr(function, "__globals__", None)
    if not isinstance(scope, dict):
        yield
        return
    saved = {name: scope[name] for name in reference if name in scope}
    scope.update({name: reference[name] for name in saved})
    try:
        yield
    finally:
        scope.update(saved)


def _fmt(x):
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return repr(x)


def _both(expected, got):
    """expected and got as text, with just enough digits to tell them apart."""
    for digits in (6, 9, 12, 17):
        a, b = (f"{x:.{digits}g}" if isinstance(x, float) else _fmt(x) for x in (expected, got))
        if a != b:
            break
    return a, b


def _close(got, expected, rel=1e-9, abs_tol=1e-12):
    return isinstance(got, (int, float)) and math.isclose(got, expected, rel_tol=rel, abs_tol=abs_tol)


def _number(x, what):
    """A plain float from the student's result, or Wrong."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise Wrong(f"{what} should be a number, got {type(x).__name__} {_short(x)}")
    return float(x)


def _list_of(result, length, what):
    if not isinstance(result, (list, tuple)):
        raise Wrong(f"{what} should be a list of {length}, got {type(result).__name__} {_short(result)}")
    if len(result) != length:
        raise Wrong(f"{what} should have {length} entries, got {len(result)}")
    return list(result)


def _derivative(f, x, eps=1e-6):
    """d f / d x by central differences: the slope over a tiny step each side of x."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def _grad_close(got, expected):
    return isinstance(got, (int, float)) and abs(got - expected) <= 1e-6 + 1e-5 * abs(expected)


def _all_close(got, want, close=_grad_close):
    return len(got) == len(want) and all(close(g, w) for g, w in zip(got, want))


def _softmax(z):
    top = max(z)
    e = [math.exp(v - top) for v in z]
    s = math.fsum(e)
    return [v / s for v in e]


def not_a_command(file):
    """A checker file run directly: one line saying what uses it, exit status 2."""
    sys.stderr.write(
        f"error: tools/exercises/{os.path.basename(file)} is a library, not a command: the "
        "student notebooks carry it (`make exercises`)\n"
    )
    sys.exit(2)


__all__ = [name for name in globals() if not name.startswith("__")]  # `import *` takes the _names too

if __name__ == "__main__":
    not_a_command(__file__)
