"""The picture of step 2: the computation graph of a*b + a."""

try:  # in the package; by path, or in a notebook whose carrying cell made the module, plainly:
    from .draw import *
except ImportError:
    from draw import *


def graph(g, a=2.0, b=-3.0):
    """a*b + a as the step's Value builds it, after backward(): each node's data and grad, each edge's local
    gradient. `a` is used twice, so its grad is the sum of what both uses send back."""
    (Value,) = need(g, "Value")
    x, y = Value(a), Value(b)
    product = calling(Value.__mul__, x, y)
    out = calling(Value.__add__, product, x)
    calling(out.backward)
    nodes = {"a": x, "b": y, "a*b": product, "a*b + a": out}
    where = {"a": (0, 2), "b": (0, 0), "a*b": (1, 1), "a*b + a": (2, 2)}
    name_of = {id(v): k for k, v in nodes.items()}
    edges = [
        (name_of[id(child)], name, local)
        for name, v in nodes.items()
        for child, local in zip(v.children, v.local_grads)
    ]
    fig, (ax,) = figure(7, 3.5)
    if fig is None:
        return None
    for child, parent, local in edges:
        (x0, y0), (x1, y1) = where[child], where[parent]
        ax.annotate("", (x1 - 0.18, y1), (x0 + 0.18, y0), arrowprops={"arrowstyle": "->", "color": "grey"})
        ax.text(
            (x0 + x1) / 2,
            (y0 + y1) / 2 + 0.12,
            f"local grad {local:g}",
            ha="center",
            fontsize=8,
            color="grey",
        )
    for name, v in nodes.items():
        ax.text(
            *where[name],
            f"{name}\ndata {v.data:g}\ngrad {v.grad:g}",
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "facecolor": "white"},
        )
    ax.set(xlim=(-0.5, 2.5), ylim=(-0.6, 2.6), title="a*b + a after backward(): data and grad of every node")
    ax.axis("off")
    data = {name: {"data": v.data, "grad": v.grad} for name, v in nodes.items()}
    return Picture("graph", fig, {"nodes": data, "edges": edges})


if __name__ == "__main__":
    not_a_command(__file__)
