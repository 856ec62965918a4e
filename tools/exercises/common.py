"""What every checker (tools/exercises/trainN.py) is made of, stdlib only. A checker runs the student's
code on fixed inputs and compares with finite differences, defining properties, or the numbers the
step's own code gave on them (workedN.py, by worked.py): never with code that computes the answer.
It prints one line, "✓ name: …" or "✗ name: what was wrong", returns True or False, never raises."""

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


_PLAIN = dict(zip("✓✗—…·²√Σ−βε×ᵀ", "OK X - ... . ^2 sqrt sum - beta eps x T".split(" ")))


def _say(line):  # on a console that cannot show a character (cp1252, ascii), a plain stand-in
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
def _given(function, **names):
    """These names in the function's globals while the check runs: an earlier exercise as ground truth
    (only this one's code is checked), or the check's own model (state_dict, N_EMBD, …)."""
    scope = getattr(function, "__globals__", None)
    saved = {k: scope[k] for k in names if k in scope} if isinstance(scope, dict) else None
    if saved is not None:
        scope.update(names)
    try:
        yield
    finally:
        if saved is not None:
            for k in names:
                scope.pop(k, None)
            scope.update(saved)


def _fmt(x):
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return repr(x)


def _close(got, want, rel=1e-9, abs_tol=1e-12):
    return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=rel, abs_tol=abs_tol)


def _grad_close(got, want):
    return _close(got, want, 1e-5, 1e-6)


def _number(x, what):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise Wrong(f"{what} should be a number, got {type(x).__name__} {_short(x)}")
    return float(x)


def _list_of(result, length, what):
    if not isinstance(result, (list, tuple)):
        raise Wrong(f"{what} should be a list of {length}, got {type(result).__name__} {_short(result)}")
    if len(result) != length:
        raise Wrong(f"{what} should have {length} entries, got {len(result)}")
    return list(result)


def _derivative(f, x, eps=1e-6):  # central differences: the slope over a tiny step each side of x
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def not_a_command(file):
    sys.stderr.write(
        f"error: tools/exercises/{os.path.basename(file)} is a library, not a command: the "
        "student notebooks carry it (`make exercises`)\n"
    )
    sys.exit(2)


__all__ = [name for name in globals() if not name.startswith("__")]  # `import *` takes the _names too

if __name__ == "__main__":
    not_a_command(__file__)
