"""The pictures of step 3: attention over one name (heads.py), and wte in 2-D."""

try:  # in the package; by path, or in a notebook whose carrying cell made the module, plainly:
    from .draw import *
    from .heads import *
except ImportError:
    from draw import *
    from heads import *


def project_2d(rows):
    """The rows (points) projected onto their two main directions (PCA: the covariance's top eigenvectors,
    each signed so that its largest entry is positive): [(x, y)], and the share of the variance kept."""
    import numpy as np

    x = np.array(rows, dtype=float)
    x = x - x.mean(axis=0)
    variances, vectors = np.linalg.eigh(x.T @ x)  # ascending
    top = vectors[:, ::-1][:, :2]
    top = top * np.sign(top[np.abs(top).argmax(axis=0), range(2)])
    kept = float(variances[::-1][:2].sum() / variances.sum()) if variances.sum() else 0.0
    return (x @ top).tolist(), kept


def embeddings(g):
    """The rows of wte, one per token, projected to two dimensions: the tokens the model treats alike land
    close together."""
    state_dict, chars = need(g, "state_dict", "chars")
    rows = [[getattr(p, "data", p) for p in row] for row in state_dict["wte"]]
    fig, (ax,) = figure(5, 5)
    if fig is None:  # before numpy: a kernel without matplotlib has no numpy either
        return None
    points, kept = project_2d(rows)
    names = labels(chars)
    ax.scatter([p[0] for p in points], [p[1] for p in points], s=4, color="lightgrey")
    for (x, y), label in zip(points, names):
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=10,
            color="tab:red" if label in "aeiou" else "black",
        )
    ax.set(
        title=f"wte in 2-D (PCA: {kept:.0%} of its variance)",
        xlabel="first direction",
        ylabel="second direction",
    )
    return Picture("embeddings", fig, {"labels": names, "points": points, "kept": kept})


if __name__ == "__main__":
    not_a_command(__file__)
