"""What the attention checks of steps 3 and 4 share: gpt run on a small model of the check's own (the
notebook's knobs aside), its logits and gradients against those of the step's own gpt (workedN.py)."""

import random

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .compare import *  # noqa: F403
except ImportError:
    from compare import *  # noqa: F403

V, TOKENS = 5, [4, 0, 1, 2, 0]  # BOS first; token 0 twice


def _model(Value, d, layers):
    """{name: matrix of Values}; layers None: step 3's names, one block, and a dead MLP (its first matrix
    zero, its ReLU passes nothing): the logits depend on the norms before attention only."""
    rng = random.Random(20)
    new = lambda rows, cols, k=0.6: [[Value(rng.uniform(-k, k)) for _ in range(cols)] for _ in range(rows)]  # noqa: E731
    W = {"wte": new(V, d), "wpe": new(len(TOKENS), d), "lm_head": new(V, d)}
    for pre in [""] if layers is None else [f"layer{i}." for i in range(layers)]:
        W.update({pre + k: new(d, d) for k in ("attn_wq", "attn_wk", "attn_wv", "attn_wo")})
        W[pre + "mlp_fc1"], W[pre + "mlp_fc2"] = new(4 * d, d, 0.6 * (layers is not None)), new(d, 4 * d)
    return W


def _observe_gpt(gpt, d, heads, layers, norms=None):
    """gpt's logits at every position of TOKENS, and the gradients a mix of them sends to some entries of
    wq, wk, wv. Step 3 (layers None): its rmsnorm scales by `norms` the two vectors a position normalises
    before attention, and gives zeros after it, for the dead MLP (norms None: the step's own rmsnorm,
    its scales recorded)."""
    scope = getattr(gpt, "__globals__", {})
    Value, seen = scope["Value"], {}
    W = _model(Value, d, layers)
    names = {"state_dict": W, "N_EMBD": d, "N_HEAD": heads, "HEAD_DIM": d // heads, "N_LAYER": layers}
    if layers is None:
        real, calls, seen["norms"] = norms is None and scope["rmsnorm"], [], norms or []

        def rmsnorm(x):  # calls 3p and 3p + 1 come before attention at position p, 3p + 2 after it
            k = len(calls)
            calls.append(k)
            if real:
                y = real(x)
                seen["norms"] += [y[0].data / x[0].data] if k % 3 < 2 else []
                return y
            return [Value(v.data * (norms[k // 3 * 2 + k % 3] if k % 3 < 2 else 0)) for v in x]

        names["rmsnorm"] = rmsnorm
    with _given(gpt, **{k: v for k, v in names.items() if v is not None}):
        keys, values = ([[] for _ in range(layers)], [[] for _ in range(layers)]) if layers else ([], [])
        out = []
        for pos, token in enumerate(TOKENS):
            _on(f"calling gpt at position {pos} of tokens {TOKENS} (on the check's own small model)")
            out.append(_list_of(gpt(token, pos, keys, values), V, f"gpt's logits at position {pos}"))
            if not all(isinstance(getattr(o, "data", None), (int, float)) for o in out[-1]):
                raise Wrong("gpt should return Values (so that gradients can flow)")
        _on("calling backward() from the logits")
        sum(((t + pos) % 5 - 2) * o for pos, row in enumerate(out) for t, o in enumerate(row)).backward()
    seen["logits"] = [[o.data for o in row] for row in out]
    seen["grads"] = [
        W[pre + k][i][j].grad
        for pre in ([""] if layers is None else [f"layer{i}." for i in range(layers)])
        for k in ("attn_wq", "attn_wk", "attn_wv")
        for i, j in ((0, 1), (d - 1, 2), (d // 2, d - 1))
    ]
    return seen


def _check_gpt(worked, messages, got, first, later):
    """got against the worked numbers: right, a usual mistake (named), or the first logit that is off."""
    want = worked["right"]
    if _same(got, want, 1e-9, 1e-9):
        return (
            f"gpt's logits at {len(TOKENS)} positions and {len(want['grads'])} gradients of wq, wk, wv match"
        )
    mistake = _known(worked, got, ["logits"])
    if mistake:
        raise Wrong(f"on tokens {TOKENS}: the logits are those of a usual mistake — {messages[mistake]}")
    for pos, (row, right) in enumerate(zip(got["logits"], want["logits"])):
        t = next((t for t, (g, w) in enumerate(zip(row, right)) if not _close(g, w, 1e-9, 1e-9)), None)
        if t is not None:
            w, g = _both(right[t], row[t])
            why = (
                first
                if pos == 0
                else "position 0 (one key) is right, so look at how several keys mix: " + later
            )
            raise Wrong(f"on tokens {TOKENS}: logit {t} at position {pos} expected {w}, got {g} — {why}")
    raise Wrong(
        "the logits are right but not their gradient — keep every step in Value operations (no .data), "
        "so that backward() sees it"
    )


__all__ = [name for name in globals() if not name.startswith("__")]  # `import *` takes the _names too

if __name__ == "__main__":
    not_a_command(__file__)
