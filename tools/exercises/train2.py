"""The checkers of step 2's student notebook: the Value class (mul, power, log, backward)."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .common import *  # noqa: F403
except ImportError:
    from common import *  # noqa: F403


def _local(node, leaf):
    """d node / d leaf as the node records it: the sum of its local gradients towards leaf."""
    children, local_grads = tuple(node.children), tuple(node.local_grads)
    if len(children) != len(local_grads):
        raise Wrong(
            f"the result has {len(children)} children but {len(local_grads)} local_grads: one per child"
        )
    return sum(g for child, g in zip(children, local_grads) if child is leaf)


def _shape(got, shapes, close=_close):
    """ " — what that is" for the first (value, meaning) of shapes that got equals, else ""."""
    for value, meaning in shapes:
        if close(got, value):
            return f" — {meaning}"
    return ""


def _one_step(shown, out, data, inputs, data_shapes=()):
    """Check a Value made by one operation: its data, and its local gradient towards each input.

    inputs: [(the input Value, its name, the derivative by finite differences, [(a wrong local
    gradient, what it means)])]; data_shapes: [(a wrong data, what it means)]."""
    if not all(hasattr(out, name) for name in ("data", "children", "local_grads")):
        raise Wrong(f"{shown} should be a Value, got {type(out).__name__} {_short(out)}")
    if not _close(out.data, data):
        raise Wrong(
            f"{shown}: data expected {_fmt(data)}, got {_fmt(out.data)}{_shape(out.data, data_shapes)}"
        )
    for leaf, name, want, shapes in inputs:
        if not any(child is leaf for child in out.children):
            raise Wrong(f"{shown}: its children must include {name} (so that backward() can reach it)")
        got = _local(out, leaf)
        if not _grad_close(got, want):
            raise Wrong(
                f"{shown}: local gradient towards {name} expected {_fmt(want)} (finite differences), "
                f"got {_fmt(got)}{_shape(got, shapes, _grad_close)}"
            )


@checker("Value.__mul__")
def mul(Value):
    """a * b: the product, children (a, b), local gradients from finite differences; a * number, a * a."""
    cases = [(3.0, -2.0), (-0.5, 4.0), (0.0, 7.0)]
    for x, y in cases:
        shown = f"Value({_fmt(x)}) * Value({_fmt(y)})"
        _on(f"computing {shown}")
        a, b = Value(x), Value(y)
        _one_step(
            shown,
            a * b,
            x * y,
            [
                (
                    a,
                    "the left Value",
                    _derivative(lambda t: t * y, x),
                    [
                        (
                            x,
                            "that is the left Value's own data: the local gradients are swapped, d(xy)/dx "
                            "is the "
                            f"other factor, y = {_fmt(y)}",
                        ),
                        (1, "1 is the local gradient of a sum; of a product it is the other factor"),
                    ],
                ),
                (
                    b,
                    "the right Value",
                    _derivative(lambda t: x * t, y),
                    [
                        (
                            y,
                            "that is the right Value's own data: the local gradients are swapped, d(xy)/dy "
                            "is the "
                            f"other factor, x = {_fmt(x)}",
                        ),
                        (1, "1 is the local gradient of a sum; of a product it is the other factor"),
                    ],
                ),
            ],
        )
    _on("computing Value(3.0) * 4 (a plain number on the right)")
    a = Value(3.0)
    _one_step("Value(3.0) * 4", a * 4, 12.0, [(a, "the Value", 4.0, [])])
    _on("computing a * a for a = Value(3.0)")
    _one_step(
        "a * a for a = Value(3.0) (d(a²)/da = 2a)",
        a * a,
        9.0,
        [(a, "a", 6.0, [(3.0, "a is both children here, and each use adds its local gradient: 3 + 3")])],
    )
    return f"data and local gradients right on {len(cases) + 2} products"


@checker("Value.__pow__")
def power(Value):
    """x ** k for several k, negative and fractional too."""
    cases = [(2.0, 3), (4.0, -1), (9.0, 0.5), (-1.5, 2), (0.5, -2)]
    for x, k in cases:
        shown = f"Value({_fmt(x)}) ** {k}"
        _on(f"computing {shown}")
        a = Value(x)
        _one_step(
            shown,
            a**k,
            x**k,
            [
                (
                    a,
                    "the Value",
                    _derivative(lambda t: t**k, x),
                    [
                        (k * x**k, "that is k·x^k: the power rule lowers the exponent by one, k·x^(k-1)"),
                        (x ** (k - 1), "that is x^(k-1) without the factor k in front"),
                    ],
                )
            ],
        )
    return f"data and local gradient right on {len(cases)} powers"


@checker("Value.log")
def log(Value):
    """The natural logarithm and its local gradient."""
    cases = [2.0, 0.25, 10.0, 1.0]
    for x in cases:
        shown = f"Value({_fmt(x)}).log()"
        _on(f"computing {shown}")
        a = Value(x)
        _one_step(
            shown,
            a.log(),
            math.log(x),
            [
                (
                    a,
                    "the Value",
                    _derivative(math.log, x),
                    [
                        (x, "that is x itself: d(log x)/dx = 1/x"),
                        (
                            1 / (x * math.log(10)),
                            "that is the gradient of the base-10 log: log is the natural one, base e",
                        ),
                    ],
                )
            ],
            [(math.log10(x), "that is the base-10 logarithm: log is the natural one, base e (math.log)")],
        )
    return f"data and local gradient right on {len(cases)} logarithms"


def _walk(root, how):
    """{id(node): grad} after walking the graph from root one way: "right" (reverse topological order,
    each grad added), or as a usual mistake does it, to name the mistake from the numbers it gives."""
    order, seen = [], set()

    def visit(v):
        if how == "visited twice" or id(v) not in seen:
            seen.add(id(v))
            for child in v.children:
                visit(child)
            order.append(v)

    if how == "breadth-first":
        order, seen = [root], {id(root)}
        for v in order:
            for child in v.children:
                if id(child) not in seen:
                    seen.add(id(child))
                    order.append(child)
    else:
        visit(root)
        if how != "not reversed":
            order.reverse()
    grad = {id(root): 1}
    for v in order:
        for child, local_grad in zip(v.children, v.local_grads):
            share = local_grad * grad.get(id(v), 0)
            grad[id(child)] = share if how == "overwritten" else grad.get(id(child), 0) + share
    return grad


_WALKS = {
    "not reversed": "the gradient never reached the inputs: walk the order backwards, from the output "
    "(grad 1) to the inputs, so that every node is done before the nodes it was made from",
    "overwritten": "a node used more than once kept only the share of one use: each use adds (+=) its "
    "local_grad · grad to the child's grad",
    "visited twice": "a node sits in the order more than once, so it passes its grad on more than once: "
    "visit each node only once",
    "breadth-first": "a node passed its grad on before all of it had arrived (breadth-first order): in a "
    "topological order each node comes only after every node that uses it",
}


@checker("Value.backward")
def backward(Value):
    """Leaf gradients of small graphs built with Value(data, children, local_grads) only (no operators)."""

    def node(data, children, local_grads):
        return Value(data, tuple(children), tuple(local_grads))

    # f(a, b) = (a*b + a)**2 + a*b: c = a*b is used twice, and a three times (diamonds everywhere)
    def plain(x, y):
        return (x * y + x) ** 2 + x * y

    def graph(x, y):
        a, b = Value(x), Value(y)
        c = node(x * y, (a, b), (y, x))
        d = node(c.data + x, (c, a), (1, 1))
        e = node(d.data**2, (d,), (2 * d.data,))
        f = node(e.data + c.data, (e, c), (1, 1))
        return f, a, b

    for x, y in [(2.0, -3.0), (0.5, 1.5)]:
        shown = f"f(a, b) = (a*b + a)**2 + a*b at a = {_fmt(x)}, b = {_fmt(y)}"
        _on(f"calling backward() on {shown}")
        f, a, b = graph(x, y)
        f.backward()
        if f.grad != 1:
            raise Wrong(f"{shown}: after f.backward(), f.grad should be 1 (d f / d f), got {_fmt(f.grad)}")
        for leaf, name, want in [
            (a, "a", _derivative(lambda t: plain(t, y), x)),
            (b, "b", _derivative(lambda t: plain(x, t), y)),
        ]:
            if not _grad_close(leaf.grad, want):
                why = (
                    "a node may pass its grad on only once it is complete, and every use of a node adds "
                    "to its grad"
                )
                for how, meaning in _WALKS.items():
                    fresh = graph(x, y)
                    walked = _walk(fresh[0], how)
                    leaves = [walked.get(id(fresh[1]), 0), walked.get(id(fresh[2]), 0)]
                    if _all_close([a.grad, b.grad], leaves) and not _all_close(
                        leaves, [_derivative(lambda t: plain(t, y), x), _derivative(lambda t: plain(x, t), y)]
                    ):
                        why = meaning
                        break
                raise Wrong(
                    f"{shown}: {name}.grad expected {_fmt(want)} (finite differences), got "
                    f"{_fmt(leaf.grad)} — {why}"
                )
    # a long chain, with a side branch at every link: x -> x*1.1 + x -> ...
    _on("calling backward() on a chain of 60 nodes")
    x = Value(0.7)
    y, slope = x, 1.0
    for _ in range(30):
        y = node(y.data * 1.1, (y,), (1.1,))
        y = node(y.data + x.data, (y, x), (1, 1))
        slope = slope * 1.1 + 1
    y.backward()
    if not _grad_close(x.grad, slope):
        raise Wrong(
            f"on a chain of 60 nodes where x feeds every other link: x.grad expected {_fmt(slope)}, "
            f"got {_fmt(x.grad)}"
        )
    return "leaf gradients match finite differences on 3 graphs with shared nodes"


if __name__ == "__main__":
    not_a_command(__file__)
