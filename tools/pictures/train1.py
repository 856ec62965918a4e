"""The picture of step 1: the gradient check."""

try:  # in the package; by path, or in a notebook whose carrying cell made the module, plainly:
    from .draw import *
except ImportError:
    from draw import *


def gradient_check(g):
    """The checked parameters' numerical gradient against their analytic one: on the diagonal when the
    chain rule is right."""
    grad_n, grad_a, every = need(g, "grad_n", "grad_a", "every")
    analytic = list(grad_a[::every])
    diff = max(abs(n - a) for n, a in zip(grad_n, analytic))
    fig, (ax,) = figure(4.5, 4.5)
    if fig is None:
        return None
    low, high = min(grad_n + analytic), max(grad_n + analytic)
    ax.plot([low, high], [low, high], color="grey", linestyle="--", label="numerical = analytic")
    ax.scatter(analytic, grad_n, s=8, label=f"{len(grad_n)} checked parameters")
    ax.set(
        xlabel="analytic gradient", ylabel="numerical gradient", title=f"gradient check: max diff {diff:.2e}"
    )
    ax.legend(fontsize=8)
    return Picture("gradient check", fig, {"numerical": list(grad_n), "analytic": analytic, "max_diff": diff})


if __name__ == "__main__":
    not_a_command(__file__)
