"""train2: the Value autograd, operation by operation against finite differences; train2 is train1 with
the gradients computed for us (same losses, weights and names); its output and notebook."""

import math

import pytest

from gradcheck import assert_close, central_difference
from steptests import K, EveryStep, quick, tokens_of
from stepkit import losses, samples


class TestEveryStep(EveryStep):
    n, params = 2, 3184


# --- gradients, one operation at a time ----------------------------------------------------------

UNARY = {
    "log": (lambda a: a.log(), math.log, 1.7),
    "exp": (lambda a: a.exp(), math.exp, -0.3),
    "relu+": (lambda a: a.relu(), lambda a: max(0.0, a), 0.8),
    "relu-": (lambda a: a.relu(), lambda a: max(0.0, a), -0.8),
    "neg": (lambda a: -a, lambda a: -a, 0.4),
    "pow3": (lambda a: a**3, lambda a: a**3, -1.3),
    "pow-0.5": (lambda a: a**-0.5, lambda a: a**-0.5, 2.2),
    "radd": (lambda a: 2 + a, lambda a: 2 + a, 0.1),
    "rsub": (lambda a: 2 - a, lambda a: 2 - a, 0.1),
    "rmul": (lambda a: 3 * a, lambda a: 3 * a, 0.1),
    "rdiv": (lambda a: 3 / a, lambda a: 3 / a, 1.5),
    "div-const": (lambda a: a / 4, lambda a: a / 4, 1.5),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


def Value(x):
    """A Value of train2's autograd."""
    return quick(2)[0]["Value"](x)


@pytest.mark.parametrize("name", UNARY)
def test_value_unary_operations(name):
    op, plain, x = UNARY[name]
    a = Value(x)
    out = op(a)
    out.backward()
    assert out.data == pytest.approx(plain(x), rel=1e-15)
    assert_close(a.grad, central_difference(plain, x), name)


@pytest.mark.parametrize("name", BINARY)
def test_value_binary_operations(name):
    op = BINARY[name]
    x, y = 1.3, -0.7
    a, b = Value(x), Value(y)
    out = op(a, b)
    out.backward()
    assert_close(a.grad, central_difference(lambda t: op(t, y), x), f"{name} d/da")
    assert_close(b.grad, central_difference(lambda t: op(x, t), y), f"{name} d/db")


def composite(a, b, c):
    """Every operation, with reuse of the same inputs (so gradients must accumulate)."""
    d = a * b + b**3 - c / a
    e = (d * d + 1).log() - (-d).exp() * 0.5
    f = (e - a).relu() + (2 - b).relu() * c
    return f / (1 + a * a) + sum([a, b, c, e]) * f


def test_value_backward_on_a_composite_expression():
    point = (0.9, -1.1, 0.6)
    inputs = [Value(x) for x in point]
    out = composite(*inputs)
    out.backward()
    for k, v in enumerate(inputs):
        def along(t, k=k):
            args = list(point)
            args[k] = t
            return composite(*[Value(x) for x in args]).data
        assert_close(v.grad, central_difference(along, point[k]), f"composite d/d{'abc'[k]}")


def test_value_gradient_accumulates_over_reuse():
    a = Value(3.0)
    out = a * a + a  # d/da = 2a + 1
    out.backward()
    assert a.grad == 7.0


def test_finite_difference_check_can_fail():
    """The checker itself must reject a wrong derivative."""
    with pytest.raises(AssertionError):
        assert_close(2.0, central_difference(lambda x: x**3, 1.0), "x^3 at 1 has derivative 3, not 2")


# --- equivalence with train1 ---------------------------------------------------------------------

def test_gradient_equals_the_hand_derived_one_of_train1():
    """Two independent derivations, the chain rule by hand (train1) and autograd (train2), agree."""
    env1, _ = quick(1)
    env2, _ = quick(2)
    saved = [(p.data, p.grad) for p in env2["params"]]
    try:
        # same weights in both: train1's (after K steps) copied into train2's Values
        for (row, j), p in zip(env1["params"], env2["params"]):
            p.data, p.grad = row[j], 0
        tokens = tokens_of(env1, env1["docs"][11])
        loss1, grads1 = env1["analytic_gradient"](tokens)
        n = len(tokens) - 1
        loss2 = (1 / n) * sum(-env2["softmax"](env2["model"](tokens[pos]))[tokens[pos + 1]].log() for pos in range(n))
        loss2.backward()
        assert loss2.data == pytest.approx(loss1, abs=1e-12)
        assert max(abs(p.grad - g) for p, g in zip(env2["params"], grads1)) < 1e-12
    finally:
        for p, (data, grad) in zip(env2["params"], saved):
            p.data, p.grad = data, grad


def test_trains_exactly_like_train1():
    (env1, out1), (env2, out2) = quick(1), quick(2)
    assert losses(out1) == losses(out2) and len(losses(out1)) == K
    assert env2["loss"].data == pytest.approx(env1["loss"], abs=1e-9)
    weights1 = [row[j] for row, j in env1["params"]]
    weights2 = [p.data for p in env2["params"]]
    assert max(abs(a - b) for a, b in zip(weights1, weights2)) < 1e-9
    assert samples(out1) == samples(out2)
