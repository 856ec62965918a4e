"""The checkers of step 1's student notebook: gradients by hand (linear_backward, analytic_gradient)."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .common import *  # noqa: F403
except ImportError:
    from common import *  # noqa: F403


def _factor(got, want, rel=1e-4):
    """The constant c with got = c · want in every entry (want not all zero), or None."""
    top = max((abs(w) for w in want), default=0)
    if top == 0 or not all(isinstance(g, (int, float)) for g in got):
        return None
    c = None
    for g, w in zip(got, want):
        if abs(w) <= 1e-6 * top:
            if abs(g) > 1e-5 * top:
                return None
            continue
        if c is None:
            c = g / w
        elif not math.isclose(g / w, c, rel_tol=rel):
            return None
    return c


def _named_factor(c, named):
    """What a constant factor c means: the first (value, meaning) of named that it equals, a flipped
    sign, or None."""
    if c is None or math.isclose(c, 1, rel_tol=1e-4):
        return None
    for value, meaning in named:
        if math.isclose(c, value, rel_tol=1e-4):
            return meaning
    if math.isclose(c, -1, rel_tol=1e-4):
        return "the sign is flipped (-1 times the right value)"
    return None


def _plain_linear(x, w):
    return [math.fsum(wij * xj for wij, xj in zip(row, x)) for row in w]


def _plain_linear_backward(x, w, dy, dw):
    """Ground truth for linear_backward, while analytic_gradient is checked: dw += dy xᵀ, return Wᵀ dy."""
    for i, row in enumerate(dw):
        for j in range(len(row)):
            row[j] += dy[i] * x[j]
    return _plain_linear(dy, [list(column) for column in zip(*w)])


@checker("linear_backward")
def linear_backward(linear_backward):
    """dL/dx and dL/dw for L = sum_i dy[i] * y[i], y = w x, by finite differences; dw accumulates."""
    cases = [  # the square one first: there a transposed w gives numbers, and the message can name it
        ([0.5, -1.0, 2.0], [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9]], [1.5, -2.0, 0.5]),
        ([0.5, -1.0, 2.0], [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], [1.5, -2.0]),
        ([0.3, -0.7], [[1.0, 2.0], [-0.5, 0.25], [0.0, -1.5]], [0.2, -1.0, 0.6]),
    ]
    for x, w, dy in cases:
        shape = f"x = {_fmt(x)}, a {len(w)}x{len(x)} w and dy = {_fmt(dy)}"
        _on(f"calling linear_backward with {shape}")
        start = 0.25  # dw already holds the gradient of earlier positions: new terms must be added to it
        dw = [[start] * len(x) for _ in w]
        x_in, w_in, dy_in = list(x), [list(row) for row in w], list(dy)
        dx = _list_of(linear_backward(x_in, w_in, dy_in, dw), len(x), f"the returned dx (for {shape})")
        if (x_in, w_in, dy_in) != (x, [list(row) for row in w], dy):
            raise Wrong(f"linear_backward changed its inputs x, w or dy (for {shape}): only dw may change")

        def loss(xs, ws):
            return sum(d * y for d, y in zip(dy, _plain_linear(xs, ws)))

        want_dx = [_derivative(lambda t: loss(x[:j] + [t] + x[j + 1 :], w), x[j]) for j in range(len(x))]
        dx = [_number(d, f"each entry of dx (for {shape})") for d in dx]
        if not _all_close(dx, want_dx):
            shape_of = _named_factor(_factor(dx, want_dx), [])
            if len(w) == len(x) and _all_close(dx, _plain_linear(dy, w)):
                shape_of = (
                    "dx went through w itself; it goes back through w transposed: dx[j] = Σ_i w[i][j]·dy[i]"
                )
            elif _all_close(dx, [sum(row[j] for row in w) for j in range(len(x))]):
                shape_of = "dx ignores dy: each w[i][j] counts as much as output i's gradient dy[i]"
            j = next(j for j in range(len(x)) if not _grad_close(dx[j], want_dx[j]))
            raise Wrong(
                f"for {shape}: dx[{j}] expected {_fmt(want_dx[j])} (finite differences), got "
                f"{_fmt(dx[j])}" + (f" — {shape_of}" if shape_of else "")
            )
        grew, want_dw = [], []
        for i in range(len(w)):
            for j in range(len(x)):

                def at(t):
                    ws = [list(row) for row in w]
                    ws[i][j] = t
                    return loss(x, ws)

                want_dw.append(_derivative(at, w[i][j]))
                grew.append(_number(dw[i][j], f"dw[{i}][{j}] (for {shape})") - start)
        if _all_close([g + start for g in grew], want_dw) and any(abs(v) > 1e-9 for v in want_dw):
            i, j = divmod(next(k for k, v in enumerate(want_dw) if abs(v) > 1e-9), len(x))
            raise Wrong(
                f"for {shape}: dw[{i}][{j}] was overwritten with {_fmt(dw[i][j])}; it held {start} "
                f"before, so it should be {_fmt(start + want_dw[i * len(x) + j])}: add (+=) into dw, "
                "positions add up"
            )
        if not _all_close(grew, want_dw):
            shape_of = _named_factor(_factor(grew, want_dw), [])
            swapped = [dy[j] * x[i] for i in range(len(w)) for j in range(len(x))]
            if len(w) == len(x) and _all_close(grew, swapped):
                shape_of = (
                    "dw is transposed: dw[i][j] grew by dy[j]·x[i]; row i of w made output i, from "
                    "input j, so it grows by dy[i]·x[j] (an outer product, dy xᵀ)"
                )
            k = next(k for k in range(len(grew)) if not _grad_close(grew[k], want_dw[k]))
            i, j = divmod(k, len(x))
            raise Wrong(
                f"for {shape}: dw[{i}][{j}] should grow by {_fmt(want_dw[k])} (finite differences), "
                f"grew by {_fmt(grew[k])}" + (f" — {shape_of}" if shape_of else "")
            )
    return f"dx and dw match finite differences on {len(cases)} shapes, and dw accumulates"


def _plain_mlp(W, tokens):
    """Step 1's model in plain floats: per position (token, target, x, h, a, probs)."""
    out = []
    for token, target in zip(tokens, tokens[1:]):
        x = W["wte"][token]
        h = _plain_linear(x, W["mlp_fc1"])
        a = [max(0.0, hi) for hi in h]
        out.append((token, target, x, h, a, _softmax(_plain_linear(a, W["mlp_fc2"]))))
    return out


def _mlp_gradient(W, tokens, onehot_at="target", gate="input"):
    """The gradients of the output and hidden matrices, worked out by hand, with the -1 of the one-hot
    at the target (right), at the current token or nowhere, and the ReLU gated by its input (right),
    not at all, or by the gradient's sign: ground truth, and the shapes of the usual mistakes."""
    positions = _plain_mlp(W, tokens)
    n = len(positions)
    grads = {name: [[0.0] * len(W[name][0]) for _ in W[name]] for name in ("mlp_fc2", "mlp_fc1")}
    for token, target, x, h, a, probs in positions:
        k = {"target": target, "token": token}.get(onehot_at)
        dlogits = [(p - (i == k)) / n for i, p in enumerate(probs)]
        da = _plain_linear_backward(a, W["mlp_fc2"], dlogits, grads["mlp_fc2"])
        dh = [d if (hi if gate == "input" else d) > 0 else 0.0 for d, hi in zip(da, h)] if gate else da
        _plain_linear_backward(x, W["mlp_fc1"], dh, grads["mlp_fc1"])
    return grads


@checker("analytic_gradient")
def analytic_gradient(analytic_gradient, loss_of, state_dict):
    """Every sampled entry of the returned gradient against central differences of loss_of; the
    linear_backward it calls is ground truth here (that is exercise 1.1's check)."""
    names = list(state_dict)
    V = len(state_dict["wte"])
    BOS = V - 1
    tokens = [BOS, 0, 1, 0, BOS]  # token 0 comes twice: its embedding's gradient must add up
    n = len(tokens) - 1
    sizes = {name: (len(mat), len(mat[0])) for name, mat in state_dict.items()}
    offset, offsets = 0, {}
    for name in names:
        offsets[name] = offset
        offset += sizes[name][0] * sizes[name][1]

    def spread(n, k):  # about k indices spread over range(n)
        return list(range(0, n, max(1, n // k)))

    picks = {}  # name -> [(i, j)], the entries compared
    rows_used = sorted({0, 1, 2, BOS})
    for name in names:
        rows, cols = sizes[name]
        if name == "wte":
            picks[name] = [(i, j) for i in rows_used for j in spread(cols, 8)]
        elif rows == V:  # the output layer: the target rows matter most (the -1 of the target)
            picks[name] = [(i, j) for i in rows_used for j in spread(cols, 12)]
        else:
            picks[name] = [(i, j) for i in spread(rows, 16) for j in spread(cols, 4)]

    _on(f"calling analytic_gradient({tokens})")
    with _given(analytic_gradient, linear_backward=_plain_linear_backward):
        result = analytic_gradient(list(tokens))
    if not isinstance(result, tuple) or len(result) != 2:
        raise Wrong(f"analytic_gradient should return (loss, gradients), got {type(result).__name__}")
    loss, grads = result
    grads = [_number(g, "each gradient") for g in _list_of(grads, offset, "the list of gradients")]
    want_loss = loss_of(tokens)
    if not _close(loss, want_loss, rel=1e-9):
        raise Wrong(f"on tokens {tokens}: loss expected {_fmt(want_loss)} (loss_of), got {_fmt(loss)}")

    def got_at(name, i, j):
        return grads[offsets[name] + i * sizes[name][1] + j]

    want = {}  # (name, i, j) -> d loss / d entry, by finite differences
    for name in reversed(names):
        matrix = state_dict[name]
        for i, j in picks[name]:
            old = matrix[i][j]

            def at(t):
                matrix[i][j] = t
                return loss_of(tokens)

            try:
                want[(name, i, j)] = _derivative(at, old)
            finally:
                matrix[i][j] = old
    keys = list(want)
    wrong = [key for key in keys if not _grad_close(got_at(*key), want[key])]
    if not wrong:
        return f"loss and {len(keys)} gradient entries over {len(names)} matrices match finite differences"
    name, i, j = wrong[0]
    first = (
        f"on tokens {tokens}: d loss / d {name}[{i}][{j}] expected {_fmt(want[wrong[0]])} (finite "
        f"differences), got {_fmt(got_at(*wrong[0]))} — "
    )
    shape = _named_factor(
        _factor([got_at(*key) for key in keys], [want[key] for key in keys]),
        [
            (
                n,
                f"every gradient is n = {n} times too large: the loss is the mean over the n = {n} "
                "positions, so "
                "the gradient at each position's logits carries a factor 1/n",
            ),
            (1 / n, f"every gradient is n = {n} times too small: the 1/n of the mean is there twice"),
        ],
    )
    if shape:
        raise Wrong(first + shape)
    layers = ("mlp_fc2", "mlp_fc1", "wte")
    if set(layers) <= set(names):  # step 1's model: the usual mistakes have a recognisable shape
        W = {name: [list(row) for row in mat] for name, mat in state_dict.items()}
        wrong_names = {key[0] for key in wrong}

        def matches(grad, name):
            return all(_grad_close(got_at(name, i, j), grad[name][i][j]) for i, j in picks[name])

        if "mlp_fc2" in wrong_names:
            shapes = [
                (
                    _mlp_gradient(W, tokens, "none"),
                    "the output layer's gradient has no -1 at the "
                    "target: softmax + cross-entropy give p - onehot(target) at the logits",
                ),
                (
                    _mlp_gradient(W, tokens, "token"),
                    "the -1 of p - onehot sits at the current token; "
                    "it belongs to the target, the next token",
                ),
            ]
            for grad, what in shapes:
                if matches(grad, "mlp_fc2"):
                    raise Wrong(first + what)
            sums = [sum(got_at("mlp_fc2", i, j) for i in range(V)) for j in range(sizes["mlp_fc2"][1])]
            if any(abs(s) > 1e-6 for s in sums):
                raise Wrong(
                    first + "the output layer's gradient should sum to zero over the vocabulary (p "
                    "sums to 1, and so does onehot(target)): look at dlogits, p - onehot, then / n"
                )
            raise Wrong(
                first + "the output layer's gradient is wrong: look at dlogits (softmax + "
                "cross-entropy, then / n)"
            )
        if "mlp_fc1" in wrong_names:
            shapes = [
                (
                    _mlp_gradient(W, tokens, gate=None),
                    "the ReLU passes the gradient where its input "
                    "was negative too; there its output is constant 0, so its local gradient is 0",
                ),
                (
                    _mlp_gradient(W, tokens, gate="gradient"),
                    "the ReLU is gated by the sign of the "
                    "gradient; it is gated by its input h: 1 where h > 0, 0 elsewhere",
                ),
            ]
            for grad, what in shapes:
                if matches(grad, "mlp_fc1"):
                    raise Wrong(first + what)
    advice = {  # the first matrix that is wrong, seen from the output side, points at the blank
        names[-1]: "the output layer's gradient is wrong: look at dlogits (softmax + cross-entropy, "
        "then / n)",
        "wte": "only the embedding's gradient is wrong: look at how dx reaches grad['wte']",
    }
    hidden = "the hidden layer's gradient is wrong: look at the ReLU backward (dh)"
    raise Wrong(first + advice.get(name, hidden))


if __name__ == "__main__":
    not_a_command(__file__)
