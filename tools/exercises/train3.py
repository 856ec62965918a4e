"""The checkers of step 3's student notebook: rmsnorm, and attention in gpt."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .attention import *  # noqa: F403
    from .worked3 import *  # noqa: F403
except ImportError:
    from attention import *  # noqa: F403
    from worked3 import *  # noqa: F403

CASES = [[3.0, -4.0], [1e-3, -2e-3, 0.0], [1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0], [-2.5, 0.5, 1.0, 7.0, -3.0]]
X, MIX = [1.0, -2.0, 0.5], [0.3, -1.2, 0.7]  # the gradient of Σ MIX·rmsnorm(X) is checked


def _observe_rmsnorm(rmsnorm, Value):
    seen = {"out": []}
    for x in CASES:
        _on(f"calling rmsnorm on Values {_fmt(x)}")
        try:
            out = _list_of(rmsnorm([Value(v) for v in x]), len(x), f"rmsnorm of {_fmt(x)}")
        except ZeroDivisionError as error:  # said in its turn
            seen["out"].append(str(error))
            continue
        if not all(hasattr(o, "data") for o in out):
            raise Wrong(f"rmsnorm of {_fmt(x)} should return Values (so that gradients can flow)")
        seen["out"].append([_number(o.data, f"rmsnorm's outputs' data (for x = {_fmt(x)})") for o in out])
    _on(f"calling backward() through rmsnorm of {_fmt(X)}")
    xs = [Value(v) for v in X]
    sum(c * o for c, o in zip(MIX, rmsnorm(xs))).backward()
    seen["grad"] = [x.grad for x in xs]
    return seen


ATTENTION = {  # the usual mistakes of tools/exercises/wrong.py, and what the line says
    "no 1/sqrt(d) scale": "the scores are not divided by √d (here d = 8): divide each q·k by √d",
    "divides by d, not sqrt(d)": "the scores are divided by d = 8 itself; divide by its square root, √d",
    "weights not softmaxed": "the scores are used as weights as they are: softmax turns them into weights "
    "that are positive and sum to 1",
    "attends to the current position only": "only the current position's value is used: the output mixes "
    "the values of every position so far, Σ_t w_t·v_t",
}
PROBES = {
    "rmsnorm": (lambda scope: _observe_rmsnorm(scope["rmsnorm"], scope["Value"]), {}, []),
    "gpt": (lambda scope: _observe_gpt(scope["gpt"], 8, 1, None), ATTENTION, ["logits"]),
}


@checker("rmsnorm")
def rmsnorm(rmsnorm, Value):
    """Five inputs (tiny and all-zero too) and a gradient, against step 3's own rmsnorm."""
    want = WORKED["rmsnorm"]["right"]
    got = _observe_rmsnorm(rmsnorm, Value)
    for x, out, right in zip(CASES, got["out"], want["out"]):
        if isinstance(out, str):
            raise Wrong(
                f"your code raised ZeroDivisionError: {out} (on x = {_fmt(x)}) — the mean square of an "
                "all-zero x is 0, and only the 1e-5 added under the root keeps the scale finite"
            )
        i = next((i for i, (g, w) in enumerate(zip(out, right)) if not _close(g, w)), None)
        if i is None:
            continue
        scale, top = _factor(out, x, 1e-9), max(range(len(x)), key=lambda i: abs(x[i]))
        s, n = right[top] / x[top], len(x)  # the right scale, read off the worked numbers
        shapes = [
            (s * s, 1e-9, "that is x divided by the mean square itself; RMSNorm divides by its square root"),
            (
                s / math.sqrt(n),
                1e-4,
                f"x / √(sum of the squares) is √n = √{n} times too small: the mean "
                f"divides the sum by n = {n}",
            ),
            (1 / s, 1e-9, "x was multiplied by the root mean square; divide by it"),
            (s, 1e-4, "close, but not equal: where is the 1e-5?"),
        ]
        why = next((f" — {t}" for v, rel, t in shapes if scale and math.isclose(scale, v, rel_tol=rel)), "")
        w, g = _both(right[i], out[i])
        raise Wrong(f"on x = {_fmt(x)}: entry {i} expected {w} (x / sqrt(mean(x²) + 1e-5)), got {g}{why}")
    k = next((k for k, (g, w) in enumerate(zip(got["grad"], want["grad"])) if not _grad_close(g, w)), None)
    if k is not None:
        raise Wrong(
            f"the output is right, its gradient not: for x = {_fmt(X)}, d loss / d x[{k}] expected "
            f"{_fmt(want['grad'][k])}, got {_fmt(got['grad'][k])} — compute the scale with Value operations "
            "(no .data), so that backward() sees it"
        )
    return f"right on {len(CASES)} inputs (tiny and all-zero too), and its gradient"


@checker("attention")
def attention(gpt):
    """Step 3's single head, on the check's own small model, against step 3's gpt."""
    got = _observe_gpt(gpt, 8, 1, None, WORKED["gpt"]["right"]["norms"])
    first = "with a single key the weights are softmax([score]) = [1], so the output is that position's value"
    later = "the scores (q · k / sqrt(N_EMBD)), their softmax, and the weighted sum of the values"
    return _check_gpt(WORKED["gpt"], ATTENTION, got, first, later)


if __name__ == "__main__":
    not_a_command(__file__)
