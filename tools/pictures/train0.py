"""The pictures of step 0: the count table, and one of its rows smoothed."""

try:  # in the package; by path, or in a notebook whose carrying cell made the module, plainly:
    from .draw import *
except ImportError:
    from draw import *


def count_table(g):
    """The bigram counts as a heatmap: row "this character", column "next character", the count written in
    every cell that has one."""
    counts, chars = need(g, "counts", "chars")
    if not any(map(any, counts)):
        fail("the table is still empty: run the training cell above first")
    fig, (ax,) = figure(8, 8)
    if fig is None:
        return None
    names = labels(chars)
    ax.imshow(counts, cmap="Blues")
    top = max(map(max, counts))
    for a, row in enumerate(counts):
        for b, count in enumerate(row):
            if count:
                ax.text(
                    b,
                    a,
                    count,
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if count > top / 2 else "black",
                )
    letters(ax, names, "x")
    letters(ax, names, "y")
    ax.set(
        xlabel="next character", ylabel="this character", title=f"counts[a][b]: {sum(map(sum, counts))} pairs"
    )
    return Picture("count table", fig, {"labels": names, "counts": [list(row) for row in counts]})


def smoothing(g, ch="a"):
    """One row of the table as probabilities: its counts over their total (no smoothing: a pair never seen
    gets 0), and the step's probabilities(row), add-one smoothed (nothing gets 0)."""
    counts, chars, probabilities = need(g, "counts", "chars", "probabilities")
    names = labels(chars)
    if ch not in names:
        fail(f"{ch!r} is not a token of this dataset")
    row = counts[names.index(ch)]
    total = sum(row)
    raw = [count / total if total else 0.0 for count in row]
    smoothed = calling(probabilities, row)
    fig, (ax,) = figure(9, 3)
    if fig is None:
        return None
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], raw, width=0.4, label="count / total (no +1): a pair never seen is 0")
    ax.bar([i + 0.2 for i in x], smoothed, width=0.4, label="probabilities(row): +1 smoothing")
    letters(ax, names, "x")
    ax.set(
        xlabel=f"next character after {ch!r}", ylabel="probability", title=f"the row of {ch!r}: {total} pairs"
    )
    ax.legend(fontsize=8)
    return Picture("smoothing", fig, {"row": ch, "counts": list(row), "raw": raw, "smoothed": list(smoothed)})


if __name__ == "__main__":
    not_a_command(__file__)
