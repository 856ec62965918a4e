"""What comparing with numbers takes (steps 1-5): a factor, equality up to rounding, signatures."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .common import *  # noqa: F403
except ImportError:
    from common import *  # noqa: F403


def _both(want, got):  # as text, with just enough digits to tell them apart
    for digits in (6, 9, 12, 17):
        a, b = (f"{x:.{digits}g}" if isinstance(x, float) else _fmt(x) for x in (want, got))
        if a != b:
            return a, b
    return a, b


def _factor(got, want, rel=1e-4):
    """The constant c with got = c · want in every entry (want not all zero), or None."""
    top, c = max((abs(w) for w in want), default=0), None
    for g, w in zip(got, want):
        if not isinstance(g, (int, float)) or (abs(w) <= 1e-6 * top and abs(g) > 1e-5 * top):
            return None
        if abs(w) > 1e-6 * top:
            if c is not None and not math.isclose(g / w, c, rel_tol=rel):
                return None
            c = g / w
    return c


def _flat(v):  # the numbers of v (a number, or dicts and lists of them), in order
    if isinstance(v, (dict, list, tuple)):
        return [x for e in (v.values() if isinstance(v, dict) else v) for x in _flat(e)]
    return [v]


def _same(got, want, rel=1e-7, abs_tol=1e-10):
    a, b = _flat(got), _flat(want)
    return len(a) == len(b) and all(_close(g, w, rel, abs_tol) for g, w in zip(a, b))


def _signature(seen, keys=None):  # one number for the numbers of seen[keys]: no two answers share it
    return math.fsum(v * math.sin(k + 1.5) for k, v in enumerate(_flat([seen[k] for k in keys or seen])))


def _known(worked, seen, keys=None):
    """The usual mistake (worked["mistakes"]: the signature of what each gave) that seen is, or None."""
    mine = _signature(seen, keys)
    return next((m for m, sig in worked["mistakes"].items() if _close(mine, sig or math.nan, 1e-8)), None)


__all__ = [name for name in globals() if not name.startswith("__")]  # `import *` takes the _names too

if __name__ == "__main__":
    not_a_command(__file__)
