"""The model of steps 3-5 in plain floats, and the usual mistakes of attention: what the checkers of
steps 3 and 4 compare gpt with."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .common import *  # noqa: F403
except ImportError:
    from common import *  # noqa: F403


def _plain_rmsnorm(x):
    return [xi / math.sqrt(sum(v * v for v in x) / len(x) + 1e-5) for xi in x]


def _reference_rmsnorm(x):
    """Ground truth for rmsnorm while attention is checked: one Value per output, made directly with its
    local gradients (d out_i / d x_j = s·[i = j] - x_i·x_j·s³ / n, s = 1 / √(mean(x²) + 1e-5)), so that
    it uses none of the student's code."""
    data = [xi.data for xi in x]
    n = len(data)
    s = 1 / math.sqrt(math.fsum(d * d for d in data) / n + 1e-5)
    return [
        type(xi)(
            di * s, tuple(x), tuple((s if i == j else 0.0) - di * dj * s**3 / n for j, dj in enumerate(data))
        )
        for i, (xi, di) in enumerate(zip(x, data))
    ]


def _matvec(w, x):
    return [math.fsum(wij * xj for wij, xj in zip(row, x)) for row in w]


def _layers(state_dict):
    """The name prefixes of the blocks: "layer0.", "layer1.", … (steps 4-5) or just "" (step 3)."""
    n = sum(1 for name in state_dict if name.startswith("layer") and name.endswith(".attn_wq"))
    return [f"layer{i}." for i in range(n)] if n else [""]


def _plain_gpt(W, tokens, n_head, mistake=None):
    """The model's logits at every position, in plain floats, from the math of the lessons; or, with
    mistake (a key of _ATTENTION_MISTAKES), as that usual mistake makes them, to name it."""
    prefixes = _layers(W)
    cache = {p: ([], []) for p in prefixes}
    every = []
    for pos, token in enumerate(tokens):
        x = _plain_rmsnorm([t + p for t, p in zip(W["wte"][token], W["wpe"][pos])])
        for pre in prefixes:
            skip, h = x, _plain_rmsnorm(x)
            q, k, v = (_matvec(W[pre + name], h) for name in ("attn_wq", "attn_wk", "attn_wv"))
            keys, values = cache[pre]
            keys.append(k)
            values.append(v)
            size = len(q) // n_head
            scales = {"no scale": 1, "by d": size, "by sqrt(N_EMBD)": math.sqrt(len(q))}
            scale = scales.get(mistake, math.sqrt(size))
            mixed = []
            for head in range(n_head):
                start = 0 if mistake == "one head" else head * size
                part = slice(start, start + size)
                q_h = q[:size] if mistake == "start of q" else q[part]
                scores = [math.fsum(a * b for a, b in zip(q_h, kt[part])) / scale for kt in keys]
                weights = scores if mistake == "no softmax" else _softmax(scores)
                pairs = list(zip(weights, values))[-1 if mistake == "last only" else 0 :]
                out = [math.fsum(wt * vt[j] for wt, vt in pairs) for j in range(part.start, part.stop)]
                mixed = out + mixed if mistake == "reversed" else mixed + out
            x = [a + b for a, b in zip(_matvec(W[pre + "attn_wo"], mixed), skip)]
            hidden = [max(0.0, a) for a in _matvec(W[pre + "mlp_fc1"], _plain_rmsnorm(x))]
            x = [a + b for a, b in zip(_matvec(W[pre + "mlp_fc2"], hidden), x)]
        every.append(_matvec(W["lm_head"], x))
    return every


_ATTENTION_MISTAKES = {  # (single head too?, what the check says)
    "by sqrt(N_EMBD)": (
        False,
        "the scores are divided by √N_EMBD; each head's score is a dot product of "
        "HEAD_DIM = {size} numbers, so divide by √HEAD_DIM",
    ),
    "no scale": (True, "the scores are not divided by √d (here d = {size}): divide each q·k by √d"),
    "by d": (True, "the scores are divided by d = {size} itself; divide by its square root, √d"),
    "no softmax": (
        True,
        "the scores are used as weights as they are: softmax turns them into weights that "
        "are positive and sum to 1",
    ),
    "last only": (
        True,
        "only the current position's value is used: the output mixes the values of every "
        "position so far, Σ_t w_t·v_t",
    ),
    "start of q": (
        False,
        "every head uses the first HEAD_DIM entries of q: head h takes its own slice, "
        "entries h·HEAD_DIM to (h+1)·HEAD_DIM - 1, of q as of k and v",
    ),
    "one head": (
        False,
        "every head uses head 0's slice: head h takes entries h·HEAD_DIM to (h+1)·HEAD_DIM - 1",
    ),
    "reversed": (False, "the heads are concatenated in reverse order: head 0's output comes first"),
}


def _check_gpt(gpt, state_dict, n_head, first, later):
    V = len(state_dict["wte"])
    tokens = [V - 1, 0, 1, 2][: len(state_dict["wpe"])]
    W = {name: [[p.data for p in row] for row in mat] for name, mat in state_dict.items()}
    params = [p for mat in state_dict.values() for row in mat for p in row]
    prefixes = _layers(state_dict)
    want = _plain_gpt(W, tokens, n_head)
    size = len(W[prefixes[0] + "attn_wq"]) // n_head

    def shape(got):
        """What the logits so far look like, when they are those of a usual mistake."""
        for mistake, (single, text) in _ATTENTION_MISTAKES.items():
            if n_head > 1 or single:
                them = _plain_gpt(W, tokens[: len(got)], n_head, mistake)
                if all(
                    math.isclose(o.data, w, rel_tol=1e-7, abs_tol=1e-9)
                    for out, row in zip(got, them)
                    for o, w in zip(out, row)
                ):
                    return text.format(size=size)
        return None

    try:
        for p in params:
            p.grad = 0
        keys, values = ([[] for _ in prefixes], [[] for _ in prefixes]) if prefixes != [""] else ([], [])
        logits = []
        for pos, token in enumerate(tokens):
            _on(f"calling gpt at position {pos} of tokens {tokens}")
            with _given(gpt, rmsnorm=_reference_rmsnorm):  # rmsnorm is exercise 3.1's: its own check tells
                out = _list_of(gpt(token, pos, keys, values), V, f"gpt's logits at position {pos}")
            if not all(hasattr(o, "data") and isinstance(o.data, (int, float)) for o in out):
                raise Wrong("gpt should return Values (so that gradients can flow)")
            logits.append(out)
            for t, (o, w) in enumerate(zip(out, want[pos])):
                if not math.isclose(o.data, w, rel_tol=1e-9, abs_tol=1e-9):
                    why = shape(logits) or (
                        first
                        if pos == 0
                        else "position 0 (one key) is right, so look at how several keys mix: " + later
                    )
                    w, g = _both(w, o.data)
                    raise Wrong(
                        f"on tokens {tokens}: logit {t} at position {pos} expected {w}, got {g} — {why}"
                    )
        # gradients: a mix of the last logits, back to the attention weights, against finite differences
        mix = [((t % 5) - 2) * 0.5 for t in range(V)]
        _on("calling backward() from the logits")
        loss = sum(c * o for c, o in zip(mix, logits[-1]))
        loss.backward()
        pre = prefixes[0]
        n = len(W[pre + "attn_wq"])
        picks = [
            (pre + name, i, j) for name in ("attn_wq", "attn_wk", "attn_wv") for i, j in ((0, 1), (n - 1, 2))
        ]
        for name, i, j in picks:
            old = W[name][i][j]

            def at(t):
                W[name][i][j] = t
                return math.fsum(c * o for c, o in zip(mix, _plain_gpt(W, tokens, n_head)[-1]))

            try:
                expected = _derivative(at, old)
            finally:
                W[name][i][j] = old
            got = state_dict[name][i][j].grad
            if not _grad_close(got, expected):
                raise Wrong(
                    f"the logits are right but not their gradient: d loss / d {name}[{i}][{j}] "
                    f"expected {_fmt(expected)} (finite differences), got {_fmt(got)} — keep every "
                    "step in Value operations (no .data), so that backward() sees it"
                )
    finally:
        for p in params:
            p.grad = 0
    return len(tokens), len(picks)


__all__ = [name for name in globals() if not name.startswith("__")]  # `import *` takes the _names too

if __name__ == "__main__":
    not_a_command(__file__)
