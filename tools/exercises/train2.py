"""The checkers of step 2's student notebook: the Value class (mul, power, log, backward)."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .compare import *  # noqa: F403
    from .worked2 import *  # noqa: F403
except ImportError:
    from compare import *  # noqa: F403
    from worked2 import *  # noqa: F403


def _node(shown, out, data, data_shapes=()):
    """A Value made by one operation: a Value, its data right, children and local_grads tuples, numbers."""
    if not all(hasattr(out, k) for k in ("data", "children", "local_grads")):
        raise Wrong(f"{shown} should be a Value, got {type(out).__name__} {_short(out)}")
    if not _close(out.data, data):
        why = next((f" — {t}" for v, t in data_shapes if _close(out.data, v)), "")
        raise Wrong(f"{shown}: data expected {_fmt(data)}, got {_fmt(out.data)}{why}")
    for k in ("children", "local_grads"):
        got = getattr(out, k)
        if not isinstance(got, (tuple, list)):
            raise Wrong(
                f"{shown}: {k} should be a tuple, one entry per child, got {type(got).__name__} {_short(got)}"
                " — (x) is x itself in parentheses; a tuple of one needs a comma: (x,)"
            )
    if len(out.children) != len(out.local_grads):
        raise Wrong(f"{shown}: {len(out.children)} children but {len(out.local_grads)} local_grads")
    if any(hasattr(g, "data") for g in out.local_grads):
        raise Wrong(
            f"{shown}: a local gradient is a Value; it should be a plain number (the .data of one): "
            "backward() multiplies it by a grad, and a Value there would build a new graph"
        )


def _towards(shown, out, leaf, name, want, shapes=()):
    """out's local gradient towards leaf (each use of it adds), against want (finite differences)."""
    if not any(child is leaf for child in out.children):
        raise Wrong(f"{shown}: its children must include {name} (so that backward() can reach it)")
    got = sum(g for child, g in zip(out.children, out.local_grads) if child is leaf)
    if not _grad_close(got, want):
        why = next((f" — {t}" for v, t in shapes if _grad_close(got, v)), "")
        raise Wrong(
            f"{shown}: local gradient towards {name} expected {_fmt(want)} (finite differences), got "
            f"{_fmt(got)}{why}"
        )


@checker("Value.__mul__")
def mul(Value):
    """a * b: the product, children (a, b), local gradients by finite differences; a * number, a * a."""
    cases = [(3.0, -2.0), (-0.5, 4.0), (0.0, 7.0)]
    of_sum = (1, "1 is the local gradient of a sum; of a product it is the other factor")
    for x, y in cases:
        shown = f"Value({_fmt(x)}) * Value({_fmt(y)})"
        _on(f"computing {shown}")
        a, b = Value(x), Value(y)
        out = a * b
        _node(shown, out, x * y)
        for leaf, name, own, other, o in ((a, "left", x, y, "y"), (b, "right", y, x, "x")):
            swapped = f"that is its own data: the local gradients are swapped, it is the other factor, {o}"
            want = _derivative(lambda t: t * other, own)
            _towards(shown, out, leaf, f"the {name} Value", want, [(own, swapped), of_sum])
    _on("computing Value(3.0) * 4 (a plain number on the right)")
    a = Value(3.0)
    _node("Value(3.0) * 4", a * 4, 12.0)
    _towards("Value(3.0) * 4", a * 4, a, "the Value", 4.0)
    _on("computing a * a for a = Value(3.0)")
    twice = [(3.0, "a is both children here, and each use adds its local gradient: 3 + 3")]
    _towards("a * a for a = Value(3.0) (d(a²)/da = 2a)", a * a, a, "a", 6.0, twice)
    return f"data and local gradients right on {len(cases) + 2} products"


@checker("Value.__pow__")
def power(Value):
    """x ** k for several k, negative and fractional too."""
    cases = [(2.0, 3), (4.0, -1), (9.0, 0.5), (-1.5, 2), (0.5, -2)]
    for x, k in cases:
        shown = f"Value({_fmt(x)}) ** {k}"
        _on(f"computing {shown}")
        a, slope = Value(x), _derivative(lambda t: t**k, x)
        _node(shown, a**k, x**k)
        shapes = [  # the right one times x, or over k
            (slope * x, "that is k·x^k: the power rule lowers the exponent by one, k·x^(k-1)"),
            (slope / k, "that is x^(k-1) without the factor k in front"),
        ]
        _towards(shown, a**k, a, "the Value", slope, shapes)
    return f"data and local gradient right on {len(cases)} powers"


@checker("Value.log")
def log(Value):
    """The natural logarithm and its local gradient."""
    cases = [2.0, 0.25, 10.0, 1.0]
    base10 = "the base-10 logarithm: log is the natural one, base e (math.log)"
    for x in cases:
        shown = f"Value({_fmt(x)}).log()"
        _on(f"computing {shown}")
        a = Value(x)
        _node(shown, a.log(), math.log(x), [(math.log10(x), "that is " + base10)])
        shapes = [
            (x, "that is x itself: d(log x)/dx = 1/x"),
            (_derivative(math.log10, x), "the gradient of " + base10),
        ]
        _towards(shown, a.log(), a, "the Value", _derivative(math.log, x), shapes)
    return f"data and local gradient right on {len(cases)} logarithms"


_WALKS = {  # the usual mistakes of tools/exercises/wrong.py, and what the line says
    "topological order not reversed": "the gradient never reached the inputs: walk the order backwards, from "
    "the output (grad 1) to the inputs, so that every node is done before the nodes it was made from",
    "grad overwritten instead of accumulated": "a node used more than once kept only the share of one use: "
    "each use adds (+=) its local_grad · grad to the child's grad",
    "a node visited twice": "a node sits in the order more than once, so it passes its grad on more than "
    "once: visit each node only once",
    "breadth-first instead of topological": "a node passed its grad on before all of it had arrived "
    "(breadth-first order): in a topological order each node comes only after every node that uses it",
    "parents first, not reversed": "a node passed its grad on before every node using it had added to it: "
    "parents first is not users first; append each node after its children, then walk reversed",
}


def _observe_backward(Value):
    """The grads [output, a, b] after backward() on small graphs made with Value(data, children,
    local_grads) only (no operators), and x.grad at the start of a 60-node chain fed by x throughout."""
    node = lambda data, children, grads: Value(data, tuple(children), tuple(grads))  # noqa: E731
    seen = {}
    for shown in ("f = 5(c + a) + c", "g = c + 3c"):
        a, b = Value(2.0), Value(-3.0)
        c = node(-5.0, (a, b), (2, 3))
        if shown[0] == "f":  # c used twice, a three times: diamonds everywhere
            d = node(-3.0, (c, a), (1, 1))
            out = node(-20.0, (node(-15.0, (d,), (5,)), c), (1, 1))
        else:  # the output's first input, c, is also used by its second
            out = node(-20.0, (c, node(-15.0, (c,), (3,))), (1, 1))
        shown += ", c = 2a + 3b, at a = 2, b = -3"
        _on(f"calling backward() on {shown}")
        out.backward()
        seen[shown] = [_number(v.grad, "each grad") for v in (out, a, b)]
    _on("calling backward() on a chain of 60 nodes, x feeding every other one")
    x = y = Value(0.7)
    for _ in range(30):
        y = node(y.data * 1.1, (y,), (1.1,))
        y = node(y.data + x.data, (y, x), (1, 1))
    y.backward()
    seen["a chain of 60 nodes, x feeding every other one"] = [_number(x.grad, "x.grad")]
    return seen


PROBES = {"Value.backward": (lambda scope: _observe_backward(scope["Value"]), _WALKS, None)}


@checker("Value.backward")
def backward(Value):
    """Leaf gradients of small graphs with shared nodes, against step 2's own backward."""
    got, want = _observe_backward(Value), WORKED["Value.backward"]["right"]
    why = _WALKS.get(_known(WORKED["Value.backward"], got)) or (
        "a node may pass its grad on only once it is complete, and every use of a node adds to its grad"
    )
    for shown, grads in got.items():
        names = ("x",) if "chain" in shown else (shown[0], "a", "b")
        if len(names) > 1 and grads[0] != 1:
            raise Wrong(
                f"{shown}: after backward() the output's grad should be 1 (d f / d f), got {_fmt(grads[0])}"
            )
        for name, g, w in zip(names, grads, want[shown]):
            if not _grad_close(g, w):
                raise Wrong(f"{shown}: {name}.grad expected {_fmt(w)}, got {_fmt(g)} — {why}")
    return f"leaf gradients right on {len(got)} graphs with shared nodes"


if __name__ == "__main__":
    not_a_command(__file__)
