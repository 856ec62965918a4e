"""The checker of step 5's student notebook: the Adam update."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .common import *  # noqa: F403
except ImportError:
    from common import *  # noqa: F403


class _Param:
    """A stand-in parameter: just .data and .grad, like a Value."""

    def __init__(self, data, grad):
        self.data, self.grad = data, grad


@checker("adam")
def adam(adam, beta1, beta2, eps):
    """Two updates (steps 0 and 1) of five parameters against Adam's definition; the first moves each
    by about lr·sign(g)."""
    lr = 0.01
    start = [1.0, -2.0, 0.3, 0.0, 5.0]
    grads = [[0.5, -3.0, 1e-3, 0.0, 2.0], [0.1, -3.0, -2e-3, 4.0, -1.0]]
    params = [_Param(d, g) for d, g in zip(start, grads[0])]
    m, v = [0.0] * len(params), [0.0] * len(params)
    _on("calling adam(params, m, v, 0, 0.01), the first update (step 0)")
    try:
        adam(params, m, v, 0, lr)
    except ZeroDivisionError as error:
        raise Wrong(
            f"your code raised ZeroDivisionError: {error} (at the first update, step 0) — if that is "
            "the bias correction: it divides by 1 - β^t, where t counts the updates made so far, "
            "this one included, t = step + 1 (1 - β^0 is 0)"
        ) from None
    moved = [_number(p.data, "each parameter's .data") - d for p, d in zip(params, start)]
    b1, b2 = 1 - beta1, 1 - beta2
    shapes = [  # how far each usual mistake moves a parameter with gradient g at the first update
        (
            lambda g: -lr * g,
            "it moved by -lr·g: that is plain gradient descent, Adam steps by lr·m̂ / (√v̂ + ε)",
        ),
        (lambda g: lr * g / (abs(g) + eps), "the sign is flipped: a step goes against the gradient"),
        (
            lambda g: -lr * b1 * g / (math.sqrt(b2) * abs(g) + eps),
            f"it moved (1 - β1)/√(1 - β2) = {b1 / math.sqrt(b2):.3g} times the right step: m and v start at "
            "zero, so early on they are too small; the bias correction divides them by 1 - β^t, with "
            "t = step + 1",
        ),
        (lambda g: -lr * g / (g * g + eps), "m̂ was divided by v̂; divide it by the square root, √v̂ + ε"),
        (
            lambda g: -lr * g / b1 / (abs(g) + eps),
            f"it moved 1/(1 - β1) = {1 / b1:.3g} times too far: m is the running mean β1·m + (1 - β1)·g, "
            "not g "
            "itself (the bias correction is made for that running mean)",
        ),
        (lambda g: -lr * g / math.sqrt(g * g + eps), "close: ε goes outside the square root, √v̂ + ε"),
    ]
    for step_of, meaning in shapes:
        made = all(_close(d, step_of(g), rel=1e-7, abs_tol=1e-15) for d, g in zip(moved, grads[0]) if g)
        if made and not all(_close(step_of(g), -lr * g / (abs(g) + eps), rel=1e-7) for g in grads[0] if g):
            raise Wrong(
                f"first update (step 0), gradients {_fmt(grads[0])}: the parameters moved by "
                f"{_fmt(moved)} — " + meaning
            )
    for k, p in enumerate(params):
        g, moved = grads[0][k], p.data - start[k]
        if g == 0 and moved != 0:
            raise Wrong(f"first update: a parameter with gradient 0 moved by {_fmt(moved)}")
        want = -lr * (1 if g > 0 else -1) if g else 0.0
        if abs(g) >= 0.1 and abs(moved - want) > 1e-6 * lr:
            raise Wrong(
                f"first update (step 0): with gradient {_fmt(g)} the parameter should move by about "
                f"-lr·sign(g) = {_fmt(want)} (the bias correction makes m_hat = g and v_hat = g²), "
                f"it moved by {_fmt(moved)}"
            )
    # two updates, exactly: the definition, step by step (m and v must be kept in the lists passed in)
    want_m, want_v, want_p = [0.0] * len(start), [0.0] * len(start), list(start)
    for t, gs in enumerate(grads, 1):
        for k, g in enumerate(gs):
            want_m[k] = beta1 * want_m[k] + (1 - beta1) * g
            want_v[k] = beta2 * want_v[k] + (1 - beta2) * g * g
            m_hat, v_hat = want_m[k] / (1 - beta1**t), want_v[k] / (1 - beta2**t)  # t updates so far
            want_p[k] -= lr * m_hat / (math.sqrt(v_hat) + eps)
        if t == 1:
            for name, got, want in (("m", m, want_m), ("v", v, want_v)):
                for k in range(len(start)):
                    if not _close(got[k], want[k], rel=1e-9):
                        raise Wrong(
                            f"after the first update with gradients {_fmt(grads[0])}: {name}[{k}] "
                            f"expected {_fmt(want[k])}, got {_fmt(got[k])} (update {name} in place, "
                            "in the list passed in)"
                        )
            for k, p in enumerate(params):
                if not _close(p.data, want_p[k], rel=1e-9):
                    raise Wrong(
                        f"first update, gradient {_fmt(grads[0][k])}: parameter expected "
                        f"{_fmt(want_p[k])}, got {_fmt(p.data)}"
                    )
                p.grad = grads[1][k]
            _on("calling adam(params, m, v, 1, 0.01), the second update (step 1)")
            try:
                adam(params, m, v, 1, lr)
            except ZeroDivisionError as error:
                raise Wrong(
                    f"your code raised ZeroDivisionError: {error} (at the second update, step 1) — "
                    "the bias correction divides by 1 - β^t, with t = step + 1"
                ) from None
    for k, p in enumerate(params):
        if not _close(p.data, want_p[k], rel=1e-9):
            raise Wrong(
                f"second update (step 1), gradients {_fmt(grads[0][k])} then {_fmt(grads[1][k])}: "
                f"parameter expected {_fmt(want_p[k])}, got {_fmt(p.data)} — m and v carry over "
                "between updates, and the bias correction counts the updates: step + 1"
            )
    return "the first update moves by lr·sign(g), and two updates match Adam's definition"


if __name__ == "__main__":
    not_a_command(__file__)
