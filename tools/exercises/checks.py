"""Checkers for the student notebooks in notebooks/exercises/: one per exercise, stdlib only.

Each checker calls the student's code on small inputs made up here and compares the result with
ground truth worked out independently: finite differences for gradients, the definition of the
quantity (computed in plain floats) for everything else. It never compares with the solution's
text. It prints ONE line, "✓ name: …" or "✗ name: what was wrong (on which input, expected vs
got)", and returns True or False; it does not raise, whatever the student's code does. Where a
wrong answer has a recognisable shape (a constant factor such as n, 2 or √d, a transposed matrix,
a flipped sign, swapped arguments), the line names it. A check reports on its own exercise only:
the code of earlier exercises it goes through (rmsnorm inside gpt, linear_backward inside
analytic_gradient) is replaced by ground truth while it runs. On a console that cannot show ✓
and ✗ (a Windows cp1252 console), the line says OK and X instead.

    import check                      # the notebook's setup cell puts tools/ on sys.path
    check.rmsnorm(rmsnorm, Value);    # ";" keeps Jupyter from also showing True/False
"""

import contextlib
import functools
import math
import sys

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
            _say(line)
            return line.startswith("✓")

        run.label = label
        return run

    return wrap


# A console that cannot encode a character (Windows' cp1252, or ascii) gets these instead.
_PLAIN = {"✓": "OK", "✗": "X", "—": "-", "…": "...", "·": ".", "²": "^2", "√": "sqrt", "≈": "~", "Σ": "sum",
          "−": "-", "β": "beta", "ε": "eps", "×": "x"}


def _say(line):
    """Print the line; where the console cannot show a character, a plain stand-in (never a traceback)."""
    try:
        print(line)
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        for char, plain in _PLAIN.items():
            try:
                char.encode(encoding)
            except UnicodeEncodeError:
                line = line.replace(char, plain)
        print(line.encode(encoding, "backslashreplace").decode(encoding))


@contextlib.contextmanager
def _given(function, **reference):
    """While the check runs, the names in `reference` (earlier exercises the student's function calls,
    such as rmsnorm) are ground truth in the function's globals, so that only its own code is checked."""
    scope = getattr(function, "__globals__", None)
    if not isinstance(scope, dict):
        yield
        return
    saved = {name: scope[name] for name in reference if name in scope}
    scope.update({name: value for name, value in reference.items() if name in saved})
    try:
        yield
    finally:
        scope.update(saved)


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


def _all_close(got, want, close=_grad_close):
    return len(got) == len(want) and all(close(g, w) for g, w in zip(got, want))


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
        for b, (count, p) in enumerate(zip(row, got)):
            if p <= 0:
                raise Wrong(f"for {what}, token {b} (count {count}) got probability {_fmt(p)}: with add-one "
                            "smoothing every token keeps some probability (count + 1 on top)")
        if not math.isclose(total, 1.0, rel_tol=0, abs_tol=1e-9):
            shape = ""
            for below, divided in ((sum(row) + 1, "the row's total + 1"), (sum(row), "the row's total")):
                if below and math.isclose(total, (sum(row) + V) / below, rel_tol=1e-9):
                    shape = (f" — you divided by {divided}, but each of the V = {V} counts got its +1, "
                             f"so the total grows by V")
            raise Wrong(f"for {what}, the probabilities sum to {total:.6g}, not 1{shape}")
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

        want_dx = [_derivative(lambda t: loss(x[:j] + [t] + x[j + 1:], w), x[j]) for j in range(len(x))]
        dx = [_number(d, f"each entry of dx (for {shape})") for d in dx]
        if not _all_close(dx, want_dx):
            shape_of = _named_factor(_factor(dx, want_dx), [])
            if len(w) == len(x) and _all_close(dx, _plain_linear(dy, w)):
                shape_of = "dx went through w itself; it goes back through w transposed: dx[j] = Σ_i w[i][j]·dy[i]"
            elif _all_close(dx, [sum(row[j] for row in w) for j in range(len(x))]):
                shape_of = "dx ignores dy: each w[i][j] counts as much as output i's gradient dy[i]"
            j = next(j for j in range(len(x)) if not _grad_close(dx[j], want_dx[j]))
            raise Wrong(f"for {shape}: dx[{j}] expected {_fmt(want_dx[j])} (finite differences), got {_fmt(dx[j])}"
                        + (f" — {shape_of}" if shape_of else ""))
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
            raise Wrong(f"for {shape}: dw[{i}][{j}] was overwritten with {_fmt(dw[i][j])}; it held {start} "
                        f"before, so it should be {_fmt(start + want_dw[i * len(x) + j])}: add (+=) into dw, "
                        "positions add up")
        if not _all_close(grew, want_dw):
            shape_of = _named_factor(_factor(grew, want_dw), [])
            if len(w) == len(x) and _all_close(grew, [dy[j] * x[i] for i in range(len(w)) for j in range(len(x))]):
                shape_of = ("dw is transposed: dw[i][j] grew by dy[j]·x[i]; row i of w made output i, from input j, "
                            "so it grows by dy[i]·x[j] (an outer product, dy xᵀ)")
            k = next(k for k in range(len(grew)) if not _grad_close(grew[k], want_dw[k]))
            i, j = divmod(k, len(x))
            raise Wrong(f"for {shape}: dw[{i}][{j}] should grow by {_fmt(want_dw[k])} (finite differences), "
                        f"grew by {_fmt(grew[k])}" + (f" — {shape_of}" if shape_of else ""))
    return f"dx and dw match finite differences on {len(cases)} shapes, and dw accumulates"


def _plain_mlp(W, tokens):
    """Step 1's model in plain floats: per position (token, target, x, h, a, probs)."""
    out = []
    for token, target in zip(tokens, tokens[1:]):
        x = W["wte"][token]
        h = _plain_linear(x, W["mlp_fc1"])
        a = [max(0.0, hi) for hi in h]
        out.append((token, target, x, h, a, _plain_softmax(_plain_linear(a, W["mlp_fc2"]))))
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
    first = (f"on tokens {tokens}: d loss / d {name}[{i}][{j}] expected {_fmt(want[wrong[0]])} (finite differences), "
             f"got {_fmt(got_at(*wrong[0]))} — ")
    shape = _named_factor(_factor([got_at(*key) for key in keys], [want[key] for key in keys]), [
        (n, f"every gradient is n = {n} times too large: the loss is the mean over the n = {n} positions, so the "
            "gradient at each position's logits carries a factor 1/n"),
        (1 / n, f"every gradient is n = {n} times too small: the 1/n of the mean is there twice")])
    if shape:
        raise Wrong(first + shape)
    layers = ("mlp_fc2", "mlp_fc1", "wte")
    if set(layers) <= set(names):  # step 1's model: the usual mistakes have a recognisable shape
        W = {name: [list(row) for row in mat] for name, mat in state_dict.items()}
        wrong_names = {key[0] for key in wrong}

        def matches(grad, name):
            return all(_grad_close(got_at(name, i, j), grad[name][i][j]) for i, j in picks[name])

        if "mlp_fc2" in wrong_names:
            shapes = [(_mlp_gradient(W, tokens, "none"), "the output layer's gradient has no -1 at the target: "
                       "softmax + cross-entropy give p - onehot(target) at the logits"),
                      (_mlp_gradient(W, tokens, "token"), "the -1 of p - onehot sits at the current token; it "
                       "belongs to the target, the next token")]
            for grad, what in shapes:
                if matches(grad, "mlp_fc2"):
                    raise Wrong(first + what)
            sums = [sum(got_at("mlp_fc2", i, j) for i in range(V)) for j in range(sizes["mlp_fc2"][1])]
            if any(abs(s) > 1e-6 for s in sums):
                raise Wrong(first + "the output layer's gradient should sum to zero over the vocabulary "
                            "(p sums to 1, and so does onehot(target)): look at dlogits, p - onehot, then / n")
            raise Wrong(first + "the output layer's gradient is wrong: look at dlogits (softmax + cross-entropy, "
                        "then / n)")
        if "mlp_fc1" in wrong_names:
            shapes = [(_mlp_gradient(W, tokens, gate=None), "the ReLU passes the gradient where its input was "
                       "negative too; there its output is constant 0, so its local gradient is 0"),
                      (_mlp_gradient(W, tokens, gate="gradient"), "the ReLU is gated by the sign of the gradient; "
                       "it is gated by its input h: 1 where h > 0, 0 elsewhere")]
            for grad, what in shapes:
                if matches(grad, "mlp_fc1"):
                    raise Wrong(first + what)
    advice = {  # the first matrix that is wrong, seen from the output side, points at the blank
        names[-1]: "the output layer's gradient is wrong: look at dlogits (softmax + cross-entropy, then / n)",
        "wte": "only the embedding's gradient is wrong: look at how dx reaches grad['wte']",
    }
    raise Wrong(first + advice.get(name, "the hidden layer's gradient is wrong: look at the ReLU backward (dh)"))


# ---------------------------------------------------------------------------------------------
# train2: the Value class


def _local(node, leaf):
    """d node / d leaf as the node records it: the sum of its local gradients towards leaf."""
    children, local_grads = tuple(node.children), tuple(node.local_grads)
    if len(children) != len(local_grads):
        raise Wrong(f"the result has {len(children)} children but {len(local_grads)} local_grads: one per child")
    return sum(g for child, g in zip(children, local_grads) if child is leaf)


def _shape(got, shapes, close=_close):
    """" — what that is" for the first (value, meaning) of shapes that got equals, else ""."""
    for value, meaning in shapes:
        if close(got, value):
            return f" — {meaning}"
    return ""


def _one_step(shown, out, data, inputs, data_shapes=()):
    """Check a Value made by one operation: its data, and its local gradient towards each input.

    inputs: [(the input Value, its name, the derivative by finite differences, [(a wrong local
    gradient, what it means)])]; data_shapes: [(a wrong data, what it means)]."""
    if not all(hasattr(out, name) for name in ("data", "children", "local_grads")):
        raise Wrong(f"{shown} should be a Value, got {type(out).__name__} {_short(out)}")
    if not _close(out.data, data):
        raise Wrong(f"{shown}: data expected {_fmt(data)}, got {_fmt(out.data)}{_shape(out.data, data_shapes)}")
    for leaf, name, want, shapes in inputs:
        if not any(child is leaf for child in out.children):
            raise Wrong(f"{shown}: its children must include {name} (so that backward() can reach it)")
        got = _local(out, leaf)
        if not _grad_close(got, want):
            raise Wrong(f"{shown}: local gradient towards {name} expected {_fmt(want)} (finite differences), "
                        f"got {_fmt(got)}{_shape(got, shapes, _grad_close)}")


@checker("Value.__mul__")
def mul(Value):
    """a * b: the product, children (a, b), local gradients from finite differences; also a * number and a * a."""
    cases = [(3.0, -2.0), (-0.5, 4.0), (0.0, 7.0)]
    for x, y in cases:
        shown = f"Value({_fmt(x)}) * Value({_fmt(y)})"
        _on(f"computing {shown}")
        a, b = Value(x), Value(y)
        _one_step(shown, a * b, x * y, [
            (a, "the left Value", _derivative(lambda t: t * y, x),
             [(x, f"that is the left Value's own data: the local gradients are swapped, d(xy)/dx is the "
                  f"other factor, y = {_fmt(y)}"), (1, "1 is the local gradient of a sum; of a product it is "
                                                     "the other factor")]),
            (b, "the right Value", _derivative(lambda t: x * t, y),
             [(y, f"that is the right Value's own data: the local gradients are swapped, d(xy)/dy is the "
                  f"other factor, x = {_fmt(x)}"), (1, "1 is the local gradient of a sum; of a product it is "
                                                     "the other factor")])])
    _on("computing Value(3.0) * 4 (a plain number on the right)")
    a = Value(3.0)
    _one_step("Value(3.0) * 4", a * 4, 12.0, [(a, "the Value", 4.0, [])])
    _on("computing a * a for a = Value(3.0)")
    _one_step("a * a for a = Value(3.0) (d(a²)/da = 2a)", a * a, 9.0, [
        (a, "a", 6.0, [(3.0, "a is both children here, and each use adds its local gradient: 3 + 3")])])
    return f"data and local gradients right on {len(cases) + 2} products"


@checker("Value.__pow__")
def power(Value):
    """x ** k for several k, negative and fractional too."""
    cases = [(2.0, 3), (4.0, -1), (9.0, 0.5), (-1.5, 2), (0.5, -2)]
    for x, k in cases:
        shown = f"Value({_fmt(x)}) ** {k}"
        _on(f"computing {shown}")
        a = Value(x)
        _one_step(shown, a**k, x**k, [(a, "the Value", _derivative(lambda t: t**k, x), [
            (k * x**k, "that is k·x^k: the power rule lowers the exponent by one, k·x^(k-1)"),
            (x ** (k - 1), "that is x^(k-1) without the factor k in front")])])
    return f"data and local gradient right on {len(cases)} powers"


@checker("Value.log")
def log(Value):
    """The natural logarithm and its local gradient."""
    cases = [2.0, 0.25, 10.0, 1.0]
    for x in cases:
        shown = f"Value({_fmt(x)}).log()"
        _on(f"computing {shown}")
        a = Value(x)
        _one_step(shown, a.log(), math.log(x), [(a, "the Value", _derivative(math.log, x), [
            (x, "that is x itself: d(log x)/dx = 1/x"),
            (1 / (x * math.log(10)), "that is the gradient of the base-10 log: log is the natural one, base e")])],
            [(math.log10(x), "that is the base-10 logarithm: log is the natural one, base e (math.log)")])
    return f"data and local gradient right on {len(cases)} logarithms"


def _walk(root, how):
    """{id(node): grad} after walking the graph from root one way: "right" (reverse topological order,
    each grad added), or as a usual mistake does it, to name the mistake from the numbers it gives."""
    order, seen = [], set()

    def visit(v):
        if how == "visited twice" or id(v) not in seen:
            seen.add(id(v))
            for child in v.children:
                visit(child)
            order.append(v)

    if how == "breadth-first":
        order, seen = [root], {id(root)}
        for v in order:
            for child in v.children:
                if id(child) not in seen:
                    seen.add(id(child))
                    order.append(child)
    else:
        visit(root)
        if how != "not reversed":
            order.reverse()
    grad = {id(root): 1}
    for v in order:
        for child, local_grad in zip(v.children, v.local_grads):
            share = local_grad * grad.get(id(v), 0)
            grad[id(child)] = share if how == "overwritten" else grad.get(id(child), 0) + share
    return grad


_WALKS = {
    "not reversed": "the gradient never reached the inputs: walk the order backwards, from the output (grad 1) "
                    "to the inputs, so that every node is done before the nodes it was made from",
    "overwritten": "a node used more than once kept only the share of one use: each use adds (+=) its "
                   "local_grad · grad to the child's grad",
    "visited twice": "a node sits in the order more than once, so it passes its grad on more than once: "
                     "visit each node only once",
    "breadth-first": "a node passed its grad on before all of it had arrived (breadth-first order): in a "
                     "topological order each node comes only after every node that uses it",
}


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
                why = ("a node may pass its grad on only once it is complete, and every use of a node adds "
                       "to its grad")
                for how, meaning in _WALKS.items():
                    fresh = graph(x, y)
                    walked = _walk(fresh[0], how)
                    leaves = [walked.get(id(fresh[1]), 0), walked.get(id(fresh[2]), 0)]
                    if _all_close([a.grad, b.grad], leaves) and not _all_close(leaves, [
                            _derivative(lambda t: plain(t, y), x), _derivative(lambda t: plain(x, t), y)]):
                        why = meaning
                        break
                raise Wrong(f"{shown}: {name}.grad expected {_fmt(want)} (finite differences), got "
                            f"{_fmt(leaf.grad)} — {why}")
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


def _reference_rmsnorm(x):
    """Ground truth for rmsnorm while attention is checked: one Value per output, made directly with its
    local gradients (d out_i / d x_j = s·[i = j] - x_i·x_j·s³ / n, s = 1 / √(mean(x²) + 1e-5)), so that
    it uses none of the student's code."""
    data = [xi.data for xi in x]
    n = len(data)
    s = 1 / math.sqrt(math.fsum(d * d for d in data) / n + 1e-5)
    return [type(xi)(di * s, tuple(x), tuple((s if i == j else 0.0) - di * dj * s**3 / n for j, dj in enumerate(data)))
            for i, (xi, di) in enumerate(zip(x, data))]


@checker("rmsnorm")
def rmsnorm(rmsnorm, Value):
    """x / sqrt(mean(x²) + 1e-5), on Values, with gradients that flow (checked by finite differences)."""
    cases = [[3.0, -4.0], [1e-3, -2e-3, 0.0], [1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0], [-2.5, 0.5, 1.0, 7.0, -3.0]]
    for x in cases:
        _on(f"calling rmsnorm on Values {_fmt(x)}")
        try:
            out = _list_of(rmsnorm([Value(v) for v in x]), len(x), f"rmsnorm of {_fmt(x)}")
        except ZeroDivisionError as error:
            raise Wrong(f"your code raised ZeroDivisionError: {error} (on x = {_fmt(x)}) — the mean square of an "
                        "all-zero x is 0, and only the 1e-5 added under the root keeps the scale finite") from None
        if not all(hasattr(o, "data") for o in out):
            raise Wrong(f"rmsnorm of {_fmt(x)} should return Values (so that gradients can flow), got "
                        f"{type(out[0]).__name__}")
        got, want = [_number(o.data, f"rmsnorm's outputs' data (for x = {_fmt(x)})") for o in out], _plain_rmsnorm(x)
        n, squares = len(x), math.fsum(v * v for v in x)
        shapes = [
            ([xi / (squares / n + 1e-5) for xi in x], "that is x divided by the mean square itself; RMSNorm divides "
                                                      "by its square root"),
            ([xi / math.sqrt(squares + 1e-5) for xi in x], f"that is x / √(sum of the squares), √n = √{n} times too "
                                                          f"small: the mean divides the sum by n = {n}"),
            ([xi * math.sqrt(squares / n + 1e-5) for xi in x], "x was multiplied by the root mean square; divide "
                                                              "by it"),
        ]
        for i, (g, w) in enumerate(zip(got, want)):
            if not _close(g, w, rel=1e-9, abs_tol=1e-12):
                why = next((f" — {meaning}" for value, meaning in shapes
                            if all(_close(a, b, rel=1e-9, abs_tol=1e-12) for a, b in zip(got, value))), "")
                if not why and math.isclose(g, w, rel_tol=1e-4):
                    why = " — close, but not equal: where is the 1e-5?"
                w, g = _both(w, g)
                raise Wrong(f"on x = {_fmt(x)}: entry {i} expected {w} (x / sqrt(mean(x²) + 1e-5)), got {g}{why}")
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
            scale = {"no scale": 1, "by d": size, "by sqrt(N_EMBD)": math.sqrt(len(q))}.get(mistake, math.sqrt(size))
            mixed = []
            for head in range(n_head):
                start = 0 if mistake == "one head" else head * size
                part = slice(start, start + size)
                q_h = q[:size] if mistake == "start of q" else q[part]
                scores = [math.fsum(a * b for a, b in zip(q_h, kt[part])) / scale for kt in keys]
                weights = scores if mistake == "no softmax" else _plain_softmax(scores)
                pairs = list(zip(weights, values))[-1 if mistake == "last only" else 0:]
                out = [math.fsum(wt * vt[j] for wt, vt in pairs) for j in range(part.start, part.stop)]
                mixed = out + mixed if mistake == "reversed" else mixed + out
            x = [a + b for a, b in zip(_matvec(W[pre + "attn_wo"], mixed), skip)]
            hidden = [max(0.0, a) for a in _matvec(W[pre + "mlp_fc1"], _plain_rmsnorm(x))]
            x = [a + b for a, b in zip(_matvec(W[pre + "mlp_fc2"], hidden), x)]
        every.append(_matvec(W["lm_head"], x))
    return every


_ATTENTION_MISTAKES = {  # (single head too?, what the check says)
    "by sqrt(N_EMBD)": (False, "the scores are divided by √N_EMBD; each head's score is a dot product of "
                               "HEAD_DIM = {size} numbers, so divide by √HEAD_DIM"),
    "no scale": (True, "the scores are not divided by √d (here d = {size}): divide each q·k by √d"),
    "by d": (True, "the scores are divided by d = {size} itself; divide by its square root, √d"),
    "no softmax": (True, "the scores are used as weights as they are: softmax turns them into weights that "
                         "are positive and sum to 1"),
    "last only": (True, "only the current position's value is used: the output mixes the values of every "
                        "position so far, Σ_t w_t·v_t"),
    "start of q": (False, "every head uses the first HEAD_DIM entries of q: head h takes its own slice, entries "
                          "h·HEAD_DIM to (h+1)·HEAD_DIM - 1, of q as of k and v"),
    "one head": (False, "every head uses head 0's slice: head h takes entries h·HEAD_DIM to (h+1)·HEAD_DIM - 1"),
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
                them = _plain_gpt(W, tokens[:len(got)], n_head, mistake)
                if all(math.isclose(o.data, w, rel_tol=1e-7, abs_tol=1e-9) for out, row in zip(got, them)
                       for o, w in zip(out, row)):
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
                    why = shape(logits) or (first if pos == 0 else
                                            "position 0 (one key) is right, so look at how several keys mix: " + later)
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
    try:
        adam(params, m, v, 0, lr)
    except ZeroDivisionError as error:
        raise Wrong(f"your code raised ZeroDivisionError: {error} (at the first update, step 0) — if that is the "
                    "bias correction: it divides by 1 - β^t, where t counts the updates made so far, this one "
                    "included, t = step + 1 (1 - β^0 is 0)") from None
    moved = [_number(p.data, "each parameter's .data") - d for p, d in zip(params, start)]
    b1, b2 = 1 - beta1, 1 - beta2
    shapes = [  # how far each usual mistake moves a parameter with gradient g at the first update
        (lambda g: -lr * g, "it moved by -lr·g: that is plain gradient descent, Adam steps by lr·m̂ / (√v̂ + ε)"),
        (lambda g: lr * g / (abs(g) + eps), "the sign is flipped: a step goes against the gradient"),
        (lambda g: -lr * b1 * g / (math.sqrt(b2) * abs(g) + eps),
         f"it moved (1 - β1)/√(1 - β2) = {b1 / math.sqrt(b2):.3g} times the right step: m and v start at zero, "
         "so early on they are too small; the bias correction divides them by 1 - β^t, with t = step + 1"),
        (lambda g: -lr * g / (g * g + eps), "m̂ was divided by v̂; divide it by the square root, √v̂ + ε"),
        (lambda g: -lr * g / b1 / (abs(g) + eps),
         f"it moved 1/(1 - β1) = {1 / b1:.3g} times too far: m is the running mean β1·m + (1 - β1)·g, not g "
         "itself (the bias correction is made for that running mean)"),
        (lambda g: -lr * g / math.sqrt(g * g + eps), "close: ε goes outside the square root, √v̂ + ε"),
    ]
    for step_of, meaning in shapes:
        if all(_close(d, step_of(g), rel=1e-7, abs_tol=1e-15) for d, g in zip(moved, grads[0]) if g) and not all(
                _close(step_of(g), -lr * g / (abs(g) + eps), rel=1e-7) for g in grads[0] if g):
            raise Wrong(f"first update (step 0), gradients {_fmt(grads[0])}: the parameters moved by {_fmt(moved)} — "
                        + meaning)
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
            try:
                adam(params, m, v, 1, lr)
            except ZeroDivisionError as error:
                raise Wrong(f"your code raised ZeroDivisionError: {error} (at the second update, step 1) — the "
                            "bias correction divides by 1 - β^t, with t = step + 1") from None
    for k, p in enumerate(params):
        if not _close(p.data, want_p[k], rel=1e-9):
            raise Wrong(f"second update (step 1), gradients {_fmt(grads[0][k])} then {_fmt(grads[1][k])}: parameter "
                        f"expected {_fmt(want_p[k])}, got {_fmt(p.data)} — m and v carry over between updates, "
                        "and the bias correction counts the updates: step + 1")
    return "the first update moves by lr·sign(g), and two updates match Adam's definition"


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write("error: tools/exercises/checks.py is a library, not a command: "
                     "the student notebooks run it, copied in by tools/exercises/student.py "
                     "(`make exercises`)\n")
    sys.exit(2)
