"""The checkers of step 1's student notebook: gradients by hand (linear_backward, analytic_gradient)."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .compare import *  # noqa: F403
except ImportError:
    from compare import *  # noqa: F403


def _linear(x, w):  # the forward pass, y = w x
    return [math.fsum(a * b for a, b in zip(row, x)) for row in w]


def _close_all(got, want):
    return len(got) == len(want) and all(_grad_close(g, w) for g, w in zip(got, want))


def _fd_linear_backward(x, w, dy, dw):
    """linear_backward (exercise 1.1) while analytic_gradient is checked, by central differences of the
    forward pass (exact for a linear map): so that only analytic_gradient's own code is checked."""
    for i, row in enumerate(w):
        for j in range(len(row)):
            dw[i][j] += _derivative(
                lambda t: dy[i] * _linear(x, [row[:j] + [t] + row[j + 1 :]])[0], row[j], 1.0
            )
    loss = lambda xs: math.fsum(d * y for d, y in zip(dy, _linear(xs, w)))  # noqa: E731
    return [_derivative(lambda t: loss(x[:j] + [t] + x[j + 1 :]), x[j], 1.0) for j in range(len(x))]


@checker("linear_backward")
def linear_backward(linear_backward):
    """dx and the growth of dw for L = Σ dy·(w x), against finite differences; inputs left as they are."""
    cases = [  # the square one first: there a w that is not transposed gives numbers, to name it
        ([0.5, -1.0, 2.0], [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9]], [1.5, -2.0, 0.5]),
        ([0.5, -1.0, 2.0], [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], [1.5, -2.0]),
        ([0.3, -0.7], [[1.0, 2.0], [-0.5, 0.25], [0.0, -1.5]], [0.2, -1.0, 0.6]),
    ]
    for x, w, dy in cases:
        shape = f"x = {_fmt(x)}, a {len(w)}x{len(x)} w and dy = {_fmt(dy)}"
        _on(f"calling linear_backward with {shape}")
        start = 0.25  # dw holds the earlier positions' gradient already: new terms add to it
        dw, args = [[start] * len(x) for _ in w], (list(x), [list(r) for r in w], list(dy))
        dx = _list_of(linear_backward(*args, dw), len(x), f"the returned dx (for {shape})")
        if args != (x, w, dy):
            raise Wrong(f"linear_backward changed its inputs x, w or dy (for {shape}): only dw may change")
        dx = [_number(d, f"each entry of dx (for {shape})") for d in dx]
        loss = lambda xs, ws: math.fsum(d * y for d, y in zip(dy, _linear(xs, ws)))  # noqa: E731
        want = [_derivative(lambda t: loss(x[:j] + [t] + x[j + 1 :], w), x[j]) for j in range(len(x))]
        if not _close_all(dx, want):
            why = "the sign is flipped" if _close(_factor(dx, want), -1, 1e-4) else ""
            if len(w) == len(x) and _close_all(dx, _linear(dy, w)):
                why = "dx went through w itself; it goes back through w transposed: dx[j] = Σ_i w[i][j]·dy[i]"
            elif _close_all(dx, [sum(row[j] for row in w) for j in range(len(x))]):
                why = "dx ignores dy: each w[i][j] counts as much as output i's gradient dy[i]"
            j = next(j for j in range(len(x)) if not _grad_close(dx[j], want[j]))
            raise Wrong(
                f"for {shape}: dx[{j}] expected {_fmt(want[j])} (finite differences), got {_fmt(dx[j])}"
                + (f" — {why}" if why else "")
            )
        grew, want = [], []
        for i in range(len(w)):
            for j in range(len(x)):
                at = lambda t: loss(x, [r if k != i else r[:j] + [t] + r[j + 1 :] for k, r in enumerate(w)])  # noqa: E731
                want.append(_derivative(at, w[i][j]))
                grew.append(_number(dw[i][j], f"dw[{i}][{j}] (for {shape})") - start)
        if _close_all(grew, want):
            continue
        k = next(k for k in range(len(grew)) if not _grad_close(grew[k], want[k]))
        i, j = divmod(k, len(x))
        why = ""
        if _close_all([g + start for g in grew], want):
            why = f"it was overwritten, it held {start} before: add (+=) into dw, positions add up"
        elif len(w) == len(x) and _close_all(
            grew, [want[j * len(x) + i] for i in range(len(w)) for j in range(len(x))]
        ):
            why = "dw is transposed: row i of w made output i from input j, so dw[i][j] grows by dy[i]·x[j]"
        raise Wrong(
            f"for {shape}: dw[{i}][{j}] should grow by {_fmt(want[k])} (finite differences), grew by "
            f"{_fmt(grew[k])}" + (f" — {why}" if why else "")
        )
    return f"dx and dw match finite differences on {len(cases)} shapes, and dw accumulates"


@checker("analytic_gradient")
def analytic_gradient(analytic_gradient, loss_of, state_dict):
    """Sampled entries of the returned gradient against central differences of loss_of; the
    linear_backward it calls is a stand-in here (exercise 1.1 has its own check)."""
    W, V = state_dict, len(state_dict["wte"])
    BOS = V - 1
    tokens = [BOS, 0, 1, 0, 2]  # token 0 twice: its embedding's gradient adds up; BOS never a target
    n = len(tokens) - 1
    sizes = {name: (len(m), len(m[0])) for name, m in W.items()}
    offsets = {name: sum(r * c for r, c in list(sizes.values())[:k]) for k, name in enumerate(W)}
    total = sum(r * c for r, c in sizes.values())
    _on(f"calling analytic_gradient({tokens})")
    with _given(analytic_gradient, linear_backward=_fd_linear_backward):
        result = analytic_gradient(list(tokens))
    if not isinstance(result, tuple) or len(result) != 2:
        raise Wrong(f"analytic_gradient should return (loss, gradients), got {type(result).__name__}")
    loss, grads = result
    grads = [_number(g, "each gradient") for g in _list_of(grads, total, "the list of gradients")]
    if not _close(loss, loss_of(tokens)):
        raise Wrong(f"on tokens {tokens}: loss expected {_fmt(loss_of(tokens))} (loss_of), got {_fmt(loss)}")
    got = lambda name, i, j: grads[offsets[name] + i * sizes[name][1] + j]  # noqa: E731
    want = {}
    for name, (rows, cols) in sizes.items():  # at most 12 rows (the tokens' own if a row is one) by 6 columns
        rows = sorted({0, 1, 2, BOS}) if rows == V else range(0, rows, -(-rows // 12))
        for i in rows:
            for j in range(0, cols, -(-cols // 6)):
                old = W[name][i][j]

                def at(t):
                    W[name][i][j] = t
                    return loss_of(tokens)

                try:
                    want[(name, i, j)] = _derivative(at, old)
                finally:
                    W[name][i][j] = old
    wrong = [key for key in want if not _grad_close(got(*key), want[key])]
    if not wrong:
        return f"loss and {len(want)} gradient entries over {len(W)} matrices match finite differences"
    key = wrong[0]
    first = f"on tokens {tokens}: d loss / d {key[0]}[{key[1]}][{key[2]}] expected {_fmt(want[key])} (finite "
    first += f"differences), got {_fmt(got(*key))} — "
    c = _factor([got(*k) for k in want], list(want.values()))
    if c is not None and not math.isclose(c, 1, rel_tol=1e-4):
        why = f"every gradient is {c:.3g} times the right one"
        if math.isclose(c, n, rel_tol=1e-4):
            why = (
                f"every gradient is n = {n} times too large: the loss is the mean over n = {n} positions, so "
            )
            why += "each position's logits carry a factor 1/n"
        raise Wrong(first + ("the sign is flipped" if math.isclose(c, -1, rel_tol=1e-4) else why))
    out = next(name for name, (rows, _) in sizes.items() if rows == V and name != "wte")
    if out in {k[0] for k in wrong}:
        if any(got(out, BOS, j) < -1e-9 for j in range(sizes[out][1])):
            raise Wrong(
                first
                + f"BOS's row of {out} has a negative gradient, but BOS is never a target here (a higher "
                "logit only raises the loss): the -1 of p - onehot sits at the current token, not the target"
            )
        if any(abs(math.fsum(got(out, i, j) for i in range(V))) > 1e-6 for j in range(sizes[out][1])):
            raise Wrong(
                first + f"the gradient of {out} has no -1 at the target: it sums to zero over the "
                "vocabulary, as p and onehot(target) both do"
            )
        raise Wrong(first + "the output layer's gradient is wrong: look at dlogits")
    if "mlp_fc1" in W and "mlp_fc1" in {k[0] for k in wrong}:
        hs = [_linear([float(v) for v in W["wte"][t]], W["mlp_fc1"]) for t in tokens[:-1]]
        dead = [i for i in range(sizes["mlp_fc1"][0]) if all(h[i] <= 0 for h in hs)]
        if any(abs(got("mlp_fc1", i, j)) > 1e-12 for i in dead for j in range(sizes["mlp_fc1"][1])):
            raise Wrong(
                first + "a unit whose input h was negative at every position got a gradient: the ReLU is "
                "gated by its input, 1 where h > 0, 0 elsewhere (not by the gradient's sign)"
            )
        raise Wrong(first + "the hidden layer's gradient is wrong: look at the ReLU backward (dh)")
    raise Wrong(first + "only the embedding's gradient is wrong: look at how dx reaches grad['wte']")


if __name__ == "__main__":
    not_a_command(__file__)
