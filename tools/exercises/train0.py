"""The checker of step 0's student notebook: add-one smoothing (probabilities)."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .common import *  # noqa: F403
except ImportError:
    from common import *  # noqa: F403


@checker("probabilities")
def probabilities(probabilities, vocab_size):
    """Add-one smoothing: every entry positive, proportional to count + 1, summing to one."""
    V = vocab_size
    rows = [
        ("a row with counts 3 and 1 and zeros elsewhere", [3, 1] + [0] * (V - 2)),
        ("an all-zero row (a token never seen yet)", [0] * V),
        ("a row with 9 in its last entry", [0] * (V - 1) + [9]),
    ]
    for what, row in rows:
        _on(f"computing probabilities for {what}")
        given = list(row)  # the caller's row itself: a probabilities that changes it changes the table
        got = _list_of(probabilities(given), V, f"probabilities() of {what}")
        if given != row:
            b = next(b for b, (old, new) in enumerate(zip(row, given)) if old != new)
            raise Wrong(
                f"for {what}, probabilities() changed the row it was given: entry {b} went from "
                f"{_fmt(row[b])} to {_fmt(given[b])}; the row is the count table's own, so leave it as it "
                "is and work out the +1 in new numbers"
            )
        got = [_number(p, f"each probability (for {what})") for p in got]
        total = sum(got)
        for b, (count, p) in enumerate(zip(row, got)):
            if p <= 0:
                raise Wrong(
                    f"for {what}, token {b} (count {count}) got probability {_fmt(p)}: with add-one "
                    "smoothing every token keeps some probability (count + 1 on top)"
                )
        if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-9):
            shape = ""
            divisor = (row[-1] + 1) / got[-1]  # what the last entry was divided by, if its top is count + 1
            for below, divided in ((sum(row) + 1, "the row's total + 1"), (sum(row), "the row's total")):
                if below and math.isclose(divisor, below, rel_tol=1e-9):
                    shape = (
                        f" — you divided by {divided}, but each of the V = {V} counts got its +1, "
                        f"so the total grows by V"
                    )
            raise Wrong(f"for {what}, the probabilities sum to {total:.6g}, not 1{shape}")
        # proportional to count + 1: p[b] / p[last] == (row[b] + 1) / (row[last] + 1)
        for b, count in enumerate(row):
            ratio, want = got[b] / got[-1], (count + 1) / (row[-1] + 1)
            if not math.isclose(ratio, want, rel_tol=1e-9):
                raise Wrong(
                    f"for {what}, p[{b}] / p[{V - 1}] is {ratio:.6g}, expected (count + 1) ratios "
                    f"({count} + 1) / ({row[-1]} + 1) = {want:.6g}"
                )
    return f"smoothed, proportional to count + 1 and summing to 1 on {len(rows)} rows"


if __name__ == "__main__":
    not_a_command(__file__)
