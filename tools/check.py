"""Checkers for the student notebooks in notebooks/exercises/: one per exercise, stdlib only.

Each checker calls the student's code on small inputs made up here and compares the result with
ground truth worked out independently: finite differences for gradients, the definition of the
quantity (computed in plain floats) for everything else. It never compares with the solution's
text. It prints ONE line, "✓ name: …" or "✗ name: what was wrong (on which input, expected vs
got)", and returns True or False; it does not raise, whatever the student's code does.

    import check                      # the notebook's setup cell puts tools/ on sys.path
    check.rmsnorm(rmsnorm, Value);    # ";" keeps Jupyter from also showing True/False
"""

import functools
import math

_context = [""]  # what the running checker is doing, for messages about exceptions


class Wrong(Exception):
    """Raised inside a checker when the student's answer is wrong; the message is the line to print."""


def _on(what):
    """Name the input being tried, so an exception in the student's code can say where it happened."""
    _context[0] = what


def _one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _short(value, limit=60):
    """A value as the message shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def checker(label):
    """Turn a function that raises Wrong (or lets the student's exception through) into a checker."""

    def wrap(body):
        @functools.wraps(body)
        def run(*args, **kwargs):
            _on("")
            try:
                detail = body(*args, **kwargs)
            except Wrong as wrong:
                line = f"✗ {label}: {_one_line(wrong)}"
            except NotImplementedError as blank:
                hint = f" — {_one_line(blank)}" if str(blank) else ""
                line = f"✗ {label}: not implemented yet{hint}"
            except Exception as error:  # the student's code failed: say how, and where
                where = f" (while {_context[0]})" if _context[0] else ""
                extra = " — does it call itself without end?" if isinstance(error, RecursionError) else ""
                line = f"✗ {label}: your code raised {type(error).__name__}: {_one_line(error)}{where}{extra}"
            else:
                line = f"✓ {label}: {detail}"
            print(line)
            return line.startswith("✓")

        run.label = label
        return run

    return wrap


# ---------------------------------------------------------------------------------------------
# small helpers: formatting, comparing, finite differences


def _fmt(x):
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    return repr(x)


def _both(expected, got):
    """expected and got as text, with just enough digits to tell them apart."""
    for digits in (6, 9, 12, 17):
        a, b = (f"{x:.{digits}g}" if isinstance(x, float) else _fmt(x) for x in (expected, got))
        if a != b:
            break
    return a, b


def _close(got, expected, rel=1e-9, abs_tol=1e-12):
    return isinstance(got, (int, float)) and math.isclose(got, expected, rel_tol=rel, abs_tol=abs_tol)


def _number(x, what):
    """A plain float from the student's result, or Wrong."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise Wrong(f"{what} should be a number, got {type(x).__name__} {_short(x)}")
    return float(x)


def _list_of(result, length, what):
    if not isinstance(result, (list, tuple)):
        raise Wrong(f"{what} should be a list of {length}, got {type(result).__name__} {_short(result)}")
    if len(result) != length:
        raise Wrong(f"{what} should have {length} entries, got {len(result)}")
    return list(result)


def _derivative(f, x, eps=1e-6):
    """d f / d x by central differences: the slope over a tiny step each side of x."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def _grad_close(got, expected):
    return isinstance(got, (int, float)) and abs(got - expected) <= 1e-6 + 1e-5 * abs(expected)


# ---------------------------------------------------------------------------------------------
# train0: the bigram table


@checker("probabilities")
def probabilities(probabilities, vocab_size):
    """Add-one smoothing: every entry positive, proportional to count + 1, summing to one."""
    V = vocab_size
    rows = [
        ("a row with counts 3 and 1 and zeros elsewhere", [3, 1] + [0] * (V - 2)),
        ("an all-zero row (a token never seen yet)", [0] * V),
        ("a row with 9 in its last entry", [0] * (V - 1) + [9]),
    ]
    for what, row in rows:
        _on(f"computing probabilities for {what}")
        got = _list_of(probabilities(list(row)), V, f"probabilities() of {what}")
        got = [_number(p, f"each probability (for {what})") for p in got]
        total = sum(got)
        if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-9):
            raise Wrong(f"for {what}, the probabilities sum to {total:.6g}, not 1")
        for b, (count, p) in enumerate(zip(row, got)):
            if p <= 0:
                raise Wrong(f"for {what}, token {b} (count {count}) got probability {_fmt(p)}: with add-one "
                            "smoothing every token keeps some probability")
        # proportional to count + 1: p[b] / p[last] == (row[b] + 1) / (row[last] + 1)
        for b, count in enumerate(row):
            ratio, want = got[b] / got[-1], (count + 1) / (row[-1] + 1)
            if not math.isclose(ratio, want, rel_tol=1e-9):
                raise Wrong(f"for {what}, p[{b}] / p[{V - 1}] is {ratio:.6g}, expected (count + 1) ratios "
                            f"({count} + 1) / ({row[-1]} + 1) = {want:.6g}")
    return f"smoothed, proportional to count + 1 and summing to 1 on {len(rows)} rows"


# ---------------------------------------------------------------------------------------------
# train1: gradients by hand


def _plain_linear(x, w):
    return [sum(wij * xj for wij, xj in zip(row, x)) for row in w]


@checker("linear_backward")
def linear_backward(linear_backward):
    """dL/dx and dL/dw for L = sum_i dy[i] * y[i], y = w x, by finite differences; dw accumulates."""
    cases = [
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

        for j in range(len(x)):
            want = _derivative(lambda t: loss(x[:j] + [t] + x[j + 1:], w), x[j])
            if not _grad_close(dx[j], want):
                raise Wrong(f"for {shape}: dx[{j}] expected {_fmt(want)} (finite differences), got {_fmt(dx[j])}")
        for i in range(len(w)):
            for j in range(len(x)):
                def at(t):
                    ws = [list(row) for row in w]
                    ws[i][j] = t
                    return loss(x, ws)
                want, got = _derivative(at, w[i][j]), _number(dw[i][j], f"dw[{i}][{j}] (for {shape})")
                if _grad_close(got, want) and abs(want) > 1e-9:
                    raise Wrong(f"for {shape}: dw[{i}][{j}] was overwritten with {_fmt(got)}; it held {start} "
                                f"before, so it should be {_fmt(start + want)}: add (+=) into dw, positions add up")
                if not _grad_close(got - start, want):
                    raise Wrong(f"for {shape}: dw[{i}][{j}] should grow by {_fmt(want)} (finite differences), "
                                f"grew by {_fmt(got - start)}")
    return f"dx and dw match finite differences on {len(cases)} shapes, and dw accumulates"


@checker("analytic_gradient")
def analytic_gradient(analytic_gradient, loss_of, state_dict):
    """Every sampled entry of the returned gradient against central differences of loss_of."""
    names = list(state_dict)
    V = len(state_dict["wte"])
    BOS = V - 1
    tokens = [BOS, 0, 1, 0, BOS]  # token 0 comes twice: its embedding's gradient must add up
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
    result = analytic_gradient(list(tokens))
    if not isinstance(result, tuple) or len(result) != 2:
        raise Wrong(f"analytic_gradient should return (loss, gradients), got {type(result).__name__}")
    loss, grads = result
    grads = _list_of(grads, offset, "the list of gradients")
    want_loss = loss_of(tokens)
    if not _close(loss, want_loss, rel=1e-9):
        raise Wrong(f"on tokens {tokens}: loss expected {_fmt(want_loss)} (loss_of), got {_fmt(loss)}")
    advice = {  # the first matrix that is wrong, seen from the output side, points at the blank
        names[-1]: "the output layer's gradient is wrong: look at dlogits (softmax + cross-entropy, then / n)",
        "wte": "only the embedding's gradient is wrong: look at how dx reaches grad['wte']",
    }
    for name in reversed(names):
        matrix = state_dict[name]
        for i, j in picks[name]:
            old = matrix[i][j]

            def at(t):
                matrix[i][j] = t
                return loss_of(tokens)

            try:
                want = _derivative(at, old)
            finally:
                matrix[i][j] = old
            got = grads[offsets[name] + i * sizes[name][1] + j]
            if not _grad_close(got, want):
                why = advice.get(name, "the hidden layer's gradient is wrong: look at the ReLU backward (dh), "
                                       "or linear_backward's dx")
                raise Wrong(f"on tokens {tokens}: d loss / d {name}[{i}][{j}] expected {_fmt(want)} "
                            f"(finite differences), got {_fmt(got)} — {why}")
    total = sum(len(p) for p in picks.values())
    return f"loss and {total} gradient entries over {len(names)} matrices match finite differences"


# ---------------------------------------------------------------------------------------------
# train2: the Value class


def _local(node, leaf):
    """d node / d leaf as the node records it: the sum of its local gradients towards leaf."""
    children, local_grads = tuple(node.children), tuple(node.local_grads)
    if len(children) != len(local_grads):
        raise Wrong(f"the result has {len(children)} children but {len(local_grads)} local_grads: one per child")
    return sum(g for child, g in zip(children, local_grads) if child is leaf)


def _one_step(shown, out, data, inputs):
    """Check a Value made by one operation: its data, and its local gradient towards each input.

    inputs: [(the input Value, its name, the derivative by finite differences)]."""
    if not all(hasattr(out, name) for name in ("data", "children", "local_grads")):
        raise Wrong(f"{shown} should be a Value, got {type(out).__name__} {_short(out)}")
    if not _close(out.data, data):
        raise Wrong(f"{shown}: data expected {_fmt(data)}, got {_fmt(out.data)}")
    for leaf, name, want in inputs:
        if not any(child is leaf for child in out.children):
            raise Wrong(f"{shown}: its children must include {name} (so that backward() can reach it)")
        got = _local(out, leaf)
        if not _grad_close(got, want):
            raise Wrong(f"{shown}: local gradient towards {name} expected {_fmt(want)} (finite differences), "
                        f"got {_fmt(got)}")


@checker("Value.__mul__")
def mul(Value):
    """a * b: the product, children (a, b), local gradients from finite differences; also a * number and a * a."""
    cases = [(3.0, -2.0), (-0.5, 4.0), (0.0, 7.0)]
    for x, y in cases:
        shown = f"Value({_fmt(x)}) * Value({_fmt(y)})"
        _on(f"computing {shown}")
        a, b = Value(x), Value(y)
        _one_step(shown, a * b, x * y, [(a, "the left Value", _derivative(lambda t: t * y, x)),
                                        (b, "the right Value", _derivative(lambda t: x * t, y))])
    _on("computing Value(3.0) * 4 (a plain number on the right)")
    a = Value(3.0)
    _one_step("Value(3.0) * 4", a * 4, 12.0, [(a, "the Value", 4.0)])
    _on("computing a * a for a = Value(3.0)")
    _one_step("a * a for a = Value(3.0) (d(a²)/da = 2a)", a * a, 9.0, [(a, "a", 6.0)])
    return f"data and local gradients right on {len(cases) + 2} products"


@checker("Value.__pow__")
def power(Value):
    """x ** k for several k, negative and fractional too."""
    cases = [(2.0, 3), (4.0, -1), (9.0, 0.5), (-1.5, 2), (0.5, -2)]
    for x, k in cases:
        shown = f"Value({_fmt(x)}) ** {k}"
        _on(f"computing {shown}")
        a = Value(x)
        _one_step(shown, a**k, x**k, [(a, "the Value", _derivative(lambda t: t**k, x))])
    return f"data and local gradient right on {len(cases)} powers"


@checker("Value.log")
def log(Value):
    """The natural logarithm and its local gradient."""
    cases = [2.0, 0.25, 10.0, 1.0]
    for x in cases:
        shown = f"Value({_fmt(x)}).log()"
        _on(f"computing {shown}")
        a = Value(x)
        _one_step(shown, a.log(), math.log(x), [(a, "the Value", _derivative(math.log, x))])
    return f"data and local gradient right on {len(cases)} logarithms"


@checker("Value.backward")
def backward(Value):
    """Leaf gradients of small graphs built with Value(data, children, local_grads) only (no operators)."""

    def node(data, children, local_grads):
        return Value(data, tuple(children), tuple(local_grads))

    # f(a, b) = (a*b + a)**2 + a*b: c = a*b is used twice, and a three times (diamonds everywhere)
    def plain(x, y):
        return (x * y + x) ** 2 + x * y

    def graph(x, y):
        a, b = Value(x), Value(y)
        c = node(x * y, (a, b), (y, x))
        d = node(c.data + x, (c, a), (1, 1))
        e = node(d.data**2, (d,), (2 * d.data,))
        f = node(e.data + c.data, (e, c), (1, 1))
        return f, a, b

    for x, y in [(2.0, -3.0), (0.5, 1.5)]:
        shown = f"f(a, b) = (a*b + a)**2 + a*b at a = {_fmt(x)}, b = {_fmt(y)}"
        _on(f"calling backward() on {shown}")
        f, a, b = graph(x, y)
        f.backward()
        if f.grad != 1:
            raise Wrong(f"{shown}: after f.backward(), f.grad should be 1 (d f / d f), got {_fmt(f.grad)}")
        for leaf, name, want in [(a, "a", _derivative(lambda t: plain(t, y), x)),
                                 (b, "b", _derivative(lambda t: plain(x, t), y))]:
            if not _grad_close(leaf.grad, want):
                raise Wrong(f"{shown}: {name}.grad expected {_fmt(want)} (finite differences), got "
                            f"{_fmt(leaf.grad)} — a node may pass its grad on only once it is complete, "
                            "and every use of a node adds to its grad")
    # a long chain, with a side branch at every link: x -> x*1.1 + x -> ...
    _on("calling backward() on a chain of 60 nodes")
    x = Value(0.7)
    y, slope = x, 1.0
    for _ in range(30):
        y = node(y.data * 1.1, (y,), (1.1,))
        y = node(y.data + x.data, (y, x), (1, 1))
        slope = slope * 1.1 + 1
    y.backward()
    if not _grad_close(x.grad, slope):
        raise Wrong(f"on a chain of 60 nodes where x feeds every other link: x.grad expected {_fmt(slope)}, "
                    f"got {_fmt(x.grad)}")
    return "leaf gradients match finite differences on 3 graphs with shared nodes"


# ---------------------------------------------------------------------------------------------
# train3-5: RMSNorm, attention, multi-head attention


def _plain_rmsnorm(x):
    return [xi / math.sqrt(sum(v * v for v in x) / len(x) + 1e-5) for xi in x]


@checker("rmsnorm")
def rmsnorm(rmsnorm, Value):
    """x / sqrt(mean(x²) + 1e-5), on Values, with gradients that flow (checked by finite differences)."""
    cases = [[3.0, -4.0], [1e-3, -2e-3, 0.0], [1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0], [-2.5, 0.5, 1.0, 7.0, -3.0]]
    for x in cases:
        _on(f"calling rmsnorm on Values {_fmt(x)}")
        out = _list_of(rmsnorm([Value(v) for v in x]), len(x), f"rmsnorm of {_fmt(x)}")
        if not all(hasattr(o, "data") for o in out):
            raise Wrong(f"rmsnorm of {_fmt(x)} should return Values (so that gradients can flow), got "
                        f"{type(out[0]).__name__}")
        got, want = [o.data for o in out], _plain_rmsnorm(x)
        for i, (g, w) in enumerate(zip(got, want)):
            if not _close(g, w, rel=1e-9, abs_tol=1e-12):
                close = " — close, but not equal: where is the 1e-5?" if math.isclose(g, w, rel_tol=1e-4) else ""
                w, g = _both(w, g)
                raise Wrong(f"on x = {_fmt(x)}: entry {i} expected {w} (x / sqrt(mean(x²) + 1e-5)), got {g}{close}")
    x, c = [1.0, -2.0, 0.5], [0.3, -1.2, 0.7]
    _on(f"calling backward() through rmsnorm of {_fmt(x)}")
    xs = [Value(v) for v in x]
    loss = sum(ci * o for ci, o in zip(c, rmsnorm(xs)))  # a Value: some mix of the outputs
    loss.backward()
    for k in range(len(x)):
        want = _derivative(lambda t: sum(ci * o for ci, o in zip(c, _plain_rmsnorm(x[:k] + [t] + x[k + 1:]))), x[k])
        if not _grad_close(xs[k].grad, want):
            raise Wrong(f"the output is right but its gradient is not: for x = {_fmt(x)}, d loss / d x[{k}] "
                        f"expected {_fmt(want)} (finite differences), got {_fmt(xs[k].grad)} — compute the "
                        "scale with Value operations (no .data), so that backward() sees it")
    return f"right on {len(cases)} inputs (tiny and all-zero too), and its gradient matches finite differences"


def _matvec(w, x):
    return [math.fsum(wij * xj for wij, xj in zip(row, x)) for row in w]


def _plain_softmax(z):
    top = max(z)
    e = [math.exp(v - top) for v in z]
    s = math.fsum(e)
    return [v / s for v in e]


def _layers(state_dict):
    """The name prefixes of the blocks: "layer0.", "layer1.", … (steps 4-5) or just "" (step 3)."""
    n = sum(1 for name in state_dict if name.startswith("layer") and name.endswith(".attn_wq"))
    return [f"layer{i}." for i in range(n)] if n else [""]


def _plain_gpt(W, tokens, n_head):
    """The model's logits at every position, in plain floats, from the math of the lessons."""
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
            mixed = []
            for head in range(n_head):
                part = slice(head * size, (head + 1) * size)
                weights = _plain_softmax([math.fsum(a * b for a, b in zip(q[part], kt[part])) / math.sqrt(size)
                                          for kt in keys])
                mixed += [math.fsum(wt * vt[part][j] for wt, vt in zip(weights, values)) for j in range(size)]
            x = [a + b for a, b in zip(_matvec(W[pre + "attn_wo"], mixed), skip)]
            hidden = [max(0.0, a) for a in _matvec(W[pre + "mlp_fc1"], _plain_rmsnorm(x))]
            x = [a + b for a, b in zip(_matvec(W[pre + "mlp_fc2"], hidden), x)]
        every.append(_matvec(W["lm_head"], x))
    return every


def _check_gpt(gpt, state_dict, n_head, first, later):
    V = len(state_dict["wte"])
    tokens = [V - 1, 0, 1, 2][: len(state_dict["wpe"])]
    W = {name: [[p.data for p in row] for row in mat] for name, mat in state_dict.items()}
    params = [p for mat in state_dict.values() for row in mat for p in row]
    prefixes = _layers(state_dict)
    want = _plain_gpt(W, tokens, n_head)
    try:
        for p in params:
            p.grad = 0
        keys, values = ([[] for _ in prefixes], [[] for _ in prefixes]) if prefixes != [""] else ([], [])
        logits = []
        for pos, token in enumerate(tokens):
            _on(f"calling gpt at position {pos} of tokens {tokens}")
            out = _list_of(gpt(token, pos, keys, values), V, f"gpt's logits at position {pos}")
            if not all(hasattr(o, "data") for o in out):
                raise Wrong("gpt should return Values (so that gradients can flow)")
            logits.append(out)
            for t, (o, w) in enumerate(zip(out, want[pos])):
                if not math.isclose(o.data, w, rel_tol=1e-9, abs_tol=1e-9):
                    why = first if pos == 0 else "position 0 (one key) is right, so look at how several keys mix: " + later
                    w, g = _both(w, o.data)
                    raise Wrong(f"on tokens {tokens}: logit {t} at position {pos} expected {w}, got {g} — {why}")
        # gradients: a mix of the last logits, back to the attention weights, against finite differences
        mix = [((t % 5) - 2) * 0.5 for t in range(V)]
        _on("calling backward() from the logits")
        loss = sum(c * o for c, o in zip(mix, logits[-1]))
        loss.backward()
        pre = prefixes[0]
        n = len(W[pre + "attn_wq"])
        picks = [(pre + name, i, j) for name in ("attn_wq", "attn_wk", "attn_wv") for i, j in ((0, 1), (n - 1, 2))]
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
                raise Wrong(f"the logits are right but not their gradient: d loss / d {name}[{i}][{j}] expected "
                            f"{_fmt(expected)} (finite differences), got {_fmt(got)} — keep every step in Value "
                            "operations (no .data), so that backward() sees it")
    finally:
        for p in params:
            p.grad = 0
    return len(tokens), len(picks)


@checker("attention")
def attention(gpt, state_dict):
    """Step 3's single head: gpt's logits against a plain-float model, and gradients to wq, wk, wv."""
    positions, grads = _check_gpt(
        gpt, state_dict, 1,
        "with a single key the weights are softmax([score]) = [1], so the output must be that position's value",
        "the scores (q · k / sqrt(N_EMBD)), their softmax, and the weighted sum of the values")
    return f"gpt's logits match at {positions} positions, and gradients reach wq, wk and wv"


@checker("multi-head attention")
def multi_head_attention(gpt, state_dict, n_head):
    """Steps 4-5: every head on its own slice, scaled by sqrt(HEAD_DIM), outputs concatenated in order."""
    positions, grads = _check_gpt(
        gpt, state_dict, n_head,
        "with a single key each head's output is its own slice of v, so heads must be those slices, concatenated "
        "in order (head 0 first)",
        f"each of the {n_head} heads uses only its own slice of q, k and v and scales by sqrt(HEAD_DIM)")
    return f"gpt's logits match with {n_head} heads at {positions} positions, and gradients reach wq, wk and wv"


# ---------------------------------------------------------------------------------------------
# train5: Adam


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
    adam(params, m, v, 0, lr)
    for k, p in enumerate(params):
        g, moved = grads[0][k], p.data - start[k]
        if g == 0 and moved != 0:
            raise Wrong(f"first update: a parameter with gradient 0 moved by {_fmt(moved)}")
        want = -lr * (1 if g > 0 else -1) if g else 0.0
        if abs(g) >= 0.1 and abs(moved - want) > 1e-6 * lr:
            raise Wrong(f"first update (step 0): with gradient {_fmt(g)} the parameter should move by about "
                        f"-lr·sign(g) = {_fmt(want)} (the bias correction makes m_hat = g and v_hat = g²), "
                        f"it moved by {_fmt(moved)}")
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
                        raise Wrong(f"after the first update with gradients {_fmt(grads[0])}: {name}[{k}] expected "
                                    f"{_fmt(want[k])}, got {_fmt(got[k])} (update {name} in place, in the list "
                                    "passed in)")
            for k, p in enumerate(params):
                if not _close(p.data, want_p[k], rel=1e-9):
                    raise Wrong(f"first update, gradient {_fmt(grads[0][k])}: parameter expected "
                                f"{_fmt(want_p[k])}, got {_fmt(p.data)}")
                p.grad = grads[1][k]
            _on("calling adam(params, m, v, 1, 0.01), the second update (step 1)")
            adam(params, m, v, 1, lr)
    for k, p in enumerate(params):
        if not _close(p.data, want_p[k], rel=1e-9):
            raise Wrong(f"second update (step 1), gradients {_fmt(grads[0][k])} then {_fmt(grads[1][k])}: parameter "
                        f"expected {_fmt(want_p[k])}, got {_fmt(p.data)} — m and v carry over between updates, "
                        "and the bias correction counts the updates: step + 1")
    return "the first update moves by lr·sign(g), and two updates match Adam's definition"
