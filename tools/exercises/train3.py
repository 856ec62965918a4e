"""The checkers of step 3's student notebook: rmsnorm, and attention in gpt."""

import math

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .plain_gpt import *  # noqa: F403
except ImportError:
    from plain_gpt import *  # noqa: F403


@checker("rmsnorm")
def rmsnorm(rmsnorm, Value):
    """x / sqrt(mean(x²) + 1e-5), on Values, with gradients that flow (checked by finite differences)."""
    cases = [
        [3.0, -4.0],
        [1e-3, -2e-3, 0.0],
        [1.0, 2.0, 3.0, 4.0],
        [0.0, 0.0, 0.0],
        [-2.5, 0.5, 1.0, 7.0, -3.0],
    ]
    for x in cases:
        _on(f"calling rmsnorm on Values {_fmt(x)}")
        try:
            out = _list_of(rmsnorm([Value(v) for v in x]), len(x), f"rmsnorm of {_fmt(x)}")
        except ZeroDivisionError as error:
            raise Wrong(
                f"your code raised ZeroDivisionError: {error} (on x = {_fmt(x)}) — the mean square "
                "of an all-zero x is 0, and only the 1e-5 added under the root keeps the scale "
                "finite"
            ) from None
        if not all(hasattr(o, "data") for o in out):
            raise Wrong(
                f"rmsnorm of {_fmt(x)} should return Values (so that gradients can flow), got "
                f"{type(out[0]).__name__}"
            )
        got = [_number(o.data, f"rmsnorm's outputs' data (for x = {_fmt(x)})") for o in out]
        want = _plain_rmsnorm(x)
        n, squares = len(x), math.fsum(v * v for v in x)
        shapes = [
            (
                [xi / (squares / n + 1e-5) for xi in x],
                "that is x divided by the mean square itself; RMSNorm divides by its square root",
            ),
            (
                [xi / math.sqrt(squares + 1e-5) for xi in x],
                f"that is x / √(sum of the squares), √n = √{n} "
                f"times too small: the mean divides the sum by "
                f"n = {n}",
            ),
            (
                [xi * math.sqrt(squares / n + 1e-5) for xi in x],
                "x was multiplied by the root mean square; divide by it",
            ),
        ]
        for i, (g, w) in enumerate(zip(got, want)):
            if not _close(g, w, rel=1e-9, abs_tol=1e-12):
                why = next(
                    (
                        f" — {meaning}"
                        for value, meaning in shapes
                        if all(_close(a, b, rel=1e-9, abs_tol=1e-12) for a, b in zip(got, value))
                    ),
                    "",
                )
                if not why and math.isclose(g, w, rel_tol=1e-4):
                    why = " — close, but not equal: where is the 1e-5?"
                w, g = _both(w, g)
                raise Wrong(
                    f"on x = {_fmt(x)}: entry {i} expected {w} (x / sqrt(mean(x²) + 1e-5)), got {g}{why}"
                )
    x, c = [1.0, -2.0, 0.5], [0.3, -1.2, 0.7]
    _on(f"calling backward() through rmsnorm of {_fmt(x)}")
    xs = [Value(v) for v in x]
    loss = sum(ci * o for ci, o in zip(c, rmsnorm(xs)))  # a Value: some mix of the outputs
    loss.backward()
    for k in range(len(x)):
        want = _derivative(
            lambda t: sum(ci * o for ci, o in zip(c, _plain_rmsnorm(x[:k] + [t] + x[k + 1 :]))), x[k]
        )
        if not _grad_close(xs[k].grad, want):
            raise Wrong(
                f"the output is right but its gradient is not: for x = {_fmt(x)}, d loss / d x[{k}] "
                f"expected {_fmt(want)} (finite differences), got {_fmt(xs[k].grad)} — compute the "
                "scale with Value operations (no .data), so that backward() sees it"
            )
    return f"right on {len(cases)} inputs (tiny and all-zero too), its gradient matches finite differences"


@checker("attention")
def attention(gpt, state_dict):
    """Step 3's single head: gpt's logits against a plain-float model, and gradients to wq, wk, wv."""
    positions, grads = _check_gpt(
        gpt,
        state_dict,
        1,
        "with a single key the weights are softmax([score]) = [1], so the output must be that "
        "position's value",
        "the scores (q · k / sqrt(N_EMBD)), their softmax, and the weighted sum of the values",
    )
    return f"gpt's logits match at {positions} positions, and gradients reach wq, wk and wv"


if __name__ == "__main__":
    not_a_command(__file__)
