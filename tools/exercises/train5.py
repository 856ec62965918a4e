"""The checker of step 5's student notebook: the Adam update."""

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .compare import *  # noqa: F403
    from .worked5 import *  # noqa: F403
except ImportError:
    from compare import *  # noqa: F403
    from worked5 import *  # noqa: F403


class _Param:  # a stand-in parameter: .data and .grad, like a Value
    def __init__(self, data):
        self.data, self.grad = data, 0


LR = 0.0037  # no notebook's rate, decayed or not: an adam stepping by a global one shows
START = [1.0, -2.0, 0.3, 0.0, 5.0]
GRADS = [[0.5, -3.0, 1e-3, 0.0, 2.0], [0.1, -3.0, -2e-3, 4.0, -1.0]]


def _observe(adam):
    """Two updates (steps 0 and 1, lr_t = LR): the parameters after each, m and v after the first."""
    scope = getattr(adam, "__globals__", {})
    seen = {"hyper": [scope.get(k) for k in ("beta1", "beta2", "eps")]}
    params, m, v = [_Param(d) for d in START], [0.0] * 5, [0.0] * 5
    for step, grads in enumerate(GRADS):
        for p, g in zip(params, grads):
            p.grad = g
        _on(f"calling adam(params, m, v, {step}, {LR}), the update of step {step}")
        try:
            adam(params, m, v, step, LR)
        except ZeroDivisionError as error:
            raise Wrong(
                f"your code raised ZeroDivisionError: {error} (at step {step}) — if that is the bias "
                "correction: it divides by 1 - β^t, t the updates so far, this one included: t = step + 1"
            ) from None
        seen[f"step {step}"] = [_number(p.data, "each parameter's .data") for p in params]
        if step == 0:
            seen["m"], seen["v"] = (
                [_number(x, k) for x in _list_of(s, 5, k)] for k, s in (("m", m), ("v", v))
            )
    return seen


MISTAKES = {  # of tools/exercises/wrong.py, and what the line says; {c}: how far it moved
    "plain SGD": "it moved by -lr·g: that is plain gradient descent, Adam steps by lr·m̂ / (√v̂ + ε)",
    "steps up the gradient": "the sign is flipped: a step goes against the gradient",
    "no bias correction": "it moved {c} times the right step: m and v start at zero, so early on they are "
    "too small; the bias correction divides them by 1 - β^t, with t = step + 1",
    "no square root of v_hat": "m̂ was divided by v̂; divide it by the square root, √v̂ + ε",
    "no momentum (m forgets the past)": "it moved {c} times too far: m is the running mean "
    "β1·m + (1 - β1)·g, "
    "not g itself (the bias correction is made for that running mean)",
    "epsilon inside the square root": "close: ε goes outside the square root, √v̂ + ε",
    "the global learning_rate, not lr_t": "it moved {c} times the right step: called with lr_t = "
    f"{LR}, it stepped by another rate; step by the argument lr_t (training decays it)",
    "m_hat stored into m": "m holds m̂ after the update: m[i] is the running mean and stays one (the next "
    "update builds on it); keep the bias-corrected m̂ in a name of its own",
}
KEYS = ["step 0", "m", "v", "step 1"]
PROBES = {"adam": (lambda scope: _observe(scope["adam"]), MISTAKES, KEYS)}


@checker("adam")
def adam(adam, beta1, beta2, eps):
    """Two updates of five parameters against the numbers step 5's own adam gives on them."""
    want = WORKED["adam"]["right"]
    if not _same([beta1, beta2, eps], want["hyper"]):
        raise Wrong(f"the check's numbers are for β1, β2, ε = {_fmt(want['hyper'])}: set them back")
    got = _observe(adam)
    moved = [a - b for a, b in zip(got["step 0"], START)]
    if moved[3] != 0:
        raise Wrong(f"first update: a parameter with gradient 0 moved by {_fmt(moved[3])}")
    if _same(got, want, 1e-9, 1e-15):
        return f"two updates match step 5's adam, with lr_t = {LR} passed in"
    c = _factor(moved, [a - b for a, b in zip(want["step 0"], START)], 1e-3)
    c = c and f"{c:.3g}"
    mistake = _known(WORKED["adam"], got, KEYS)
    first = f"first update (step 0), gradients {_fmt(GRADS[0])}: the parameters moved by {_fmt(moved)} — "
    if mistake or not _same(got["step 0"], want["step 0"], 1e-9, 1e-15):
        raise Wrong(
            first
            + (
                MISTAKES[mistake].format(c=c)
                if mistake
                else f"{c} times the right step"
                if c
                else f"expected {_fmt([a - b for a, b in zip(want['step 0'], START)])}"
            )
        )
    for k in KEYS[1:]:
        i = next((i for i in range(5) if not _close(got[k][i], want[k][i])), None)
        if i is not None:
            raise Wrong(
                f"gradients {_fmt(GRADS[0])}, then {_fmt(GRADS[1])}: "
                + (f"{k}[{i}] after step 0" if len(k) == 1 else f"parameter {i} after {k}")
                + f" expected {_fmt(want[k][i])}, got "
                f"{_fmt(got[k][i])} — m and v are running means, kept in the lists passed in (in place) "
                "from one update to the next; the bias correction counts the updates: step + 1"
            )


if __name__ == "__main__":
    not_a_command(__file__)
