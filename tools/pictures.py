"""A picture of each step's idea, drawn from a notebook's own run (the lesson and student notebooks).

    pictures.count_table(globals())       # train0: the bigram counts, "this character" x "next character"
    pictures.loss_curve(globals())        # every step: the losses the training cell printed, and ln V
    pictures.attention(globals(), "emma") # train3-5: each head's attention over one name

Each function takes the notebook's globals (so a name not defined yet is one line, not a NameError),
draws with matplotlib (its Figure alone: no pyplot, no backend of the notebook changed) and returns a
Picture: shown as a PNG in Jupyter, and holding `.data`, the numbers it drew, which the tests read
back (and which an executed notebook keeps in the output's metadata, under "microgpt"). What cannot
be drawn yet (a blank still to fill in, a cell not run) ends the cell with one line; a kernel without
matplotlib gets one line saying how to install it, and the rest of the notebook runs. Standard library
but for matplotlib (and numpy, which it brings), imported only when a picture is drawn; the notebook
carries this file in a collapsed cell (tools/generate/setup_cell.py) next to tools/sampling.py.
"""

import base64
import builtins
import io
import math
import re
import sys

try:  # in a notebook, its carried copy is a module of its own
    from . import sampling
except ImportError:
    import sampling

NO_MATPLOTLIB = (
    "no picture: matplotlib is not installed in this kernel: run `%pip install matplotlib` in a cell, "
    "restart the kernel and run the notebook again (everything else runs without it)"
)
NO_MATPLOTLIB_IN_BROWSER = (  # JupyterLite's Pyodide: the site's lock has no matplotlib build to offer
    "no picture: this in-browser kernel has no matplotlib; the pictures are drawn in JupyterLab, "
    "in a notebook on your own machine and on the course site (everything else runs here)"
)
NO_WIDGETS = (
    "no widget: ipywidgets is not installed in this kernel (`%pip install ipywidgets`): the two cells "
    "above do the same, with the prefix and the temperature typed into them"
)
LOSS = re.compile(r"step +(\d+) / +\d+ \| loss (\d+\.\d+)$")
LOSSES = []  # the loss lines of the last training cell run, kept by record() for loss_curve()
DPI = 80  # small PNGs: an executed notebook (the site's, a learner's saved one) stays light


class Picture:
    """A drawn figure and the numbers it shows; Jupyter displays it as a PNG."""

    def __init__(self, name, figure, data):
        self.name, self.figure, self.data = name, figure, data

    def png(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        out = io.BytesIO()
        FigureCanvasAgg(self.figure).print_png(out)
        return out.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        shown = {"image/png": base64.b64encode(self.png()).decode("ascii"), "text/plain": repr(self)}
        return shown, {"microgpt": {"picture": self.name, "data": self.data}}

    def __repr__(self):
        return f"<picture: {self.name}>"


def fail(message):
    """End the picture's cell with one line (the notebook's setup cell shows a SystemExit so)."""
    sys.exit(f"no picture yet: {message}")


def need(g, *names):
    """The notebook's values of `names`, or one line naming the first one not defined yet."""
    for name in names:
        if name not in g:
            fail(f"`{name}` is not defined yet: run the cells above first")
    return [g[name] for name in names]


def calling(f, *args):
    """f(*args), with a blank still to fill in (NotImplementedError) as one line."""
    try:
        return f(*args)
    except NotImplementedError as e:
        fail(f"a blank above is still to fill in (NotImplementedError: {e})")


def figure(width, height, cols=1, rows=1, top=0.45, left=0.9, bottom=0.6):
    """A matplotlib Figure (inches; margins in inches: fixed, as a layout engine would take as long
    again to draw) and its axes; the figure None (and the one line) when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print(NO_MATPLOTLIB_IN_BROWSER if sys.platform == "emscripten" else NO_MATPLOTLIB)
        return None, [None] * (cols * rows)
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(
        left=left / width, right=1 - 0.2 / width, bottom=bottom / height, top=1 - top / height, wspace=0.35
    )
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def letters(ax, names, axis="x", size=7):
    """The tokens along an axis, one text each: matplotlib's tick objects cost several times more to make."""
    ax.tick_params(axis=axis, length=0, labelbottom=False, labelleft=False, labeltop=False)
    getattr(ax, f"set_{axis}ticks")([])
    getattr(ax, f"{axis}axis").labelpad = 12  # below the texts, which the axis does not know of
    for i, name in enumerate(names):
        if axis == "x":
            ax.text(i, -0.01, name, transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=size)
        else:
            ax.text(
                -0.01, i, name, transform=ax.get_yaxis_transform(), ha="right", va="center", fontsize=size
            )


def labels(chars):
    """The tokens as the pictures write them: the characters, and BOS (the last id)."""
    return [*chars, "BOS"]


# --- the losses a training cell prints --------------------------------------------------------------


class record:
    """print, keeping the loss lines it prints in LOSSES (a new run from step 1 starts a new list): the
    carrying cell puts it in the notebook's globals, so the steps' own `print` calls feed loss_curve()."""

    def __init__(self, printer=builtins.print):
        self.printer = getattr(printer, "printer", printer)  # run twice, still one layer

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and isinstance(args[0], str) and kwargs.get("file") is None:
            m = LOSS.match(args[0])
            if m:
                if m.group(1) == "1":
                    LOSSES.clear()
                LOSSES.append(float(m.group(2)))
        return self.printer(*args, **kwargs)


def loss_curve(g, title="the loss of every training step"):
    """The losses the training cell above printed, and ln V: the loss of a uniform guess over V tokens."""
    (vocab_size,) = need(g, "vocab_size")
    if not LOSSES:
        fail("no loss printed yet: run the training cell above first")
    fig, (ax,) = figure(6, 3)
    if fig is None:
        return None
    losses, uniform = list(LOSSES), math.log(vocab_size)
    steps = range(1, len(losses) + 1)
    ax.plot(steps, losses, marker="." if len(losses) < 50 else None, label="loss")
    ax.axhline(
        uniform, color="grey", linestyle="--", label=f"ln {vocab_size} = {uniform:.2f}: a uniform guess"
    )
    ax.set(xlabel="step", ylabel="loss", title=title)
    ax.legend()
    return Picture("loss curve", fig, {"losses": losses, "ln_V": uniform, "vocab_size": vocab_size})


# --- train0: the count table ------------------------------------------------------------------------


def count_table(g):
    """The bigram counts as a heatmap: row "this character", column "next character", the count written in
    every cell that has one."""
    counts, chars = need(g, "counts", "chars")
    if not any(map(any, counts)):
        fail("the table is still empty: run the training cell above first")
    fig, (ax,) = figure(8, 8)
    if fig is None:
        return None
    names = labels(chars)
    ax.imshow(counts, cmap="Blues")
    top = max(map(max, counts))
    for a, row in enumerate(counts):
        for b, count in enumerate(row):
            if count:
                ax.text(
                    b,
                    a,
                    count,
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if count > top / 2 else "black",
                )
    letters(ax, names, "x")
    letters(ax, names, "y")
    ax.set(
        xlabel="next character", ylabel="this character", title=f"counts[a][b]: {sum(map(sum, counts))} pairs"
    )
    return Picture("count table", fig, {"labels": names, "counts": [list(row) for row in counts]})


def smoothing(g, ch="a"):
    """One row of the table as probabilities: its counts over their total (no smoothing: a pair never seen
    gets 0), and the step's probabilities(row), add-one smoothed (nothing gets 0)."""
    counts, chars, probabilities = need(g, "counts", "chars", "probabilities")
    names = labels(chars)
    if ch not in names:
        fail(f"{ch!r} is not a token of this dataset")
    row = counts[names.index(ch)]
    total = sum(row)
    raw = [count / total if total else 0.0 for count in row]
    smoothed = calling(probabilities, row)
    fig, (ax,) = figure(9, 3)
    if fig is None:
        return None
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], raw, width=0.4, label="count / total (no +1): a pair never seen is 0")
    ax.bar([i + 0.2 for i in x], smoothed, width=0.4, label="probabilities(row): +1 smoothing")
    letters(ax, names, "x")
    ax.set(
        xlabel=f"next character after {ch!r}", ylabel="probability", title=f"the row of {ch!r}: {total} pairs"
    )
    ax.legend(fontsize=8)
    return Picture("smoothing", fig, {"row": ch, "counts": list(row), "raw": raw, "smoothed": list(smoothed)})


# --- train1: the gradient check ---------------------------------------------------------------------


def gradient_check(g):
    """The checked parameters' numerical gradient against their analytic one: on the diagonal when the
    chain rule is right."""
    grad_n, grad_a, every = need(g, "grad_n", "grad_a", "every")
    analytic = list(grad_a[::every])
    diff = max(abs(n - a) for n, a in zip(grad_n, analytic))
    fig, (ax,) = figure(4.5, 4.5)
    if fig is None:
        return None
    low, high = min(grad_n + analytic), max(grad_n + analytic)
    ax.plot([low, high], [low, high], color="grey", linestyle="--", label="numerical = analytic")
    ax.scatter(analytic, grad_n, s=8, label=f"{len(grad_n)} checked parameters")
    ax.set(
        xlabel="analytic gradient", ylabel="numerical gradient", title=f"gradient check: max diff {diff:.2e}"
    )
    ax.legend(fontsize=8)
    return Picture("gradient check", fig, {"numerical": list(grad_n), "analytic": analytic, "max_diff": diff})


# --- train2: a computation graph --------------------------------------------------------------------


def graph(g, a=2.0, b=-3.0):
    """a*b + a as the step's Value builds it, after backward(): each node's data and grad, each edge's local
    gradient. `a` is used twice, so its grad is the sum of what both uses send back."""
    (Value,) = need(g, "Value")
    x, y = Value(a), Value(b)
    product = calling(Value.__mul__, x, y)
    out = calling(Value.__add__, product, x)
    calling(out.backward)
    nodes = {"a": x, "b": y, "a*b": product, "a*b + a": out}
    where = {"a": (0, 2), "b": (0, 0), "a*b": (1, 1), "a*b + a": (2, 2)}
    name_of = {id(v): k for k, v in nodes.items()}
    edges = [
        (name_of[id(child)], name, local)
        for name, v in nodes.items()
        for child, local in zip(v.children, v.local_grads)
    ]
    fig, (ax,) = figure(7, 3.5)
    if fig is None:
        return None
    for child, parent, local in edges:
        (x0, y0), (x1, y1) = where[child], where[parent]
        ax.annotate("", (x1 - 0.18, y1), (x0 + 0.18, y0), arrowprops={"arrowstyle": "->", "color": "grey"})
        ax.text(
            (x0 + x1) / 2,
            (y0 + y1) / 2 + 0.12,
            f"local grad {local:g}",
            ha="center",
            fontsize=8,
            color="grey",
        )
    for name, v in nodes.items():
        ax.text(
            *where[name],
            f"{name}\ndata {v.data:g}\ngrad {v.grad:g}",
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "facecolor": "white"},
        )
    ax.set(xlim=(-0.5, 2.5), ylim=(-0.6, 2.6), title="a*b + a after backward(): data and grad of every node")
    ax.axis("off")
    data = {name: {"data": v.data, "grad": v.grad} for name, v in nodes.items()}
    return Picture("graph", fig, {"nodes": data, "edges": edges})


# --- train3-5: attention and embeddings -------------------------------------------------------------


def attention_weights(g, name):
    """The tokens of BOS + name, and every softmax gpt() takes over them, fed one position at a time through
    the key/value cache: {(layer, head): rows, row t the weights of query t over keys 0..t}. The step's own
    gpt, with its softmax watched while it runs (the logits' softmax is not inside gpt)."""
    gpt, softmax, chars, BOS, BLOCK_SIZE = need(g, "gpt", "softmax", "chars", "BOS", "BLOCK_SIZE")
    try:
        tokens = [BOS] + sampling.encode(g, name)[: BLOCK_SIZE - 1]
    except sampling.SampleError as e:
        fail(str(e))
    layers, heads = g.get("N_LAYER", 1), g.get("N_HEAD", 1)
    seen = []

    def watched(scores):
        weights = softmax(scores)
        seen.append([w.data for w in weights])
        return weights

    keys, values = sampling.kv_cache(g)
    space = gpt.__globals__  # where gpt finds softmax: the notebook's globals (a script run's, in a test)
    space["softmax"] = watched
    try:
        for pos, token in enumerate(tokens):
            calling(gpt, token, pos, keys, values)
    finally:
        space["softmax"] = softmax
    found = {}
    for i, weights in enumerate(seen):  # per position: layer by layer, head by head
        pos, rest = divmod(i, layers * heads)
        found.setdefault(divmod(rest, heads), []).append(weights + [0.0] * (len(tokens) - pos - 1))
    return [labels(chars)[t] for t in tokens], found


def attention(g, name="emma"):
    """Each head's attention over BOS + name, side by side: row "query", the position whose next character
    is predicted; column "key", a position it reads. Above the diagonal is the future, which the cache does
    not hold yet: zero."""
    tokens, found = attention_weights(g, name)
    fig, axes = figure(3.2 * len(found) + 0.5, 3.6, cols=len(found))
    if fig is None:
        return None
    for ax, ((layer, head), rows) in zip(axes, found.items()):
        ax.imshow(rows, cmap="Oranges", vmin=0, vmax=1)
        letters(ax, tokens, "x", 9)
        letters(ax, tokens, "y", 9)
        for q, row in enumerate(rows):
            for k, w in enumerate(row[: q + 1]):
                ax.text(k, q, f"{w:.2f}"[1:] if w < 1 else "1", ha="center", va="center", fontsize=6)
        which = f"head {head}" if len(found) > 1 else "attention"
        ax.set(
            xlabel="key",
            ylabel="query",
            title=which if "N_LAYER" not in g or g["N_LAYER"] == 1 else f"layer {layer}, {which}",
        )
    data = {
        "tokens": tokens,
        "heads": [{"layer": i, "head": h, "weights": rows} for (i, h), rows in found.items()],
    }
    return Picture("attention", fig, data)


def project_2d(rows):
    """The rows (points) projected onto their two main directions (PCA: the covariance's top eigenvectors,
    each signed so that its largest entry is positive): [(x, y)], and the share of the variance kept."""
    import numpy as np

    x = np.array(rows, dtype=float)
    x = x - x.mean(axis=0)
    variances, vectors = np.linalg.eigh(x.T @ x)  # ascending
    top = vectors[:, ::-1][:, :2]
    top = top * np.sign(top[np.abs(top).argmax(axis=0), range(2)])
    kept = float(variances[::-1][:2].sum() / variances.sum()) if variances.sum() else 0.0
    return (x @ top).tolist(), kept


def embeddings(g):
    """The rows of wte, one per token, projected to two dimensions: the tokens the model treats alike land
    close together."""
    state_dict, chars = need(g, "state_dict", "chars")
    rows = [[getattr(p, "data", p) for p in row] for row in state_dict["wte"]]
    fig, (ax,) = figure(5, 5)
    if fig is None:  # before numpy: a kernel without matplotlib has no numpy either
        return None
    points, kept = project_2d(rows)
    names = labels(chars)
    ax.scatter([p[0] for p in points], [p[1] for p in points], s=4, color="lightgrey")
    for (x, y), label in zip(points, names):
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=10,
            color="tab:red" if label in "aeiou" else "black",
        )
    ax.set(
        title=f"wte in 2-D (PCA: {kept:.0%} of its variance)",
        xlabel="first direction",
        ylabel="second direction",
    )
    return Picture("embeddings", fig, {"labels": names, "points": points, "kept": kept})


# --- train5: SGD against Adam -----------------------------------------------------------------------


def sgd_losses(g, start, steps, learning_rate=0.1):
    """`steps` training steps of step 4's rule, p -= lr_t * grad with lr_t decaying over NUM_STEPS, from the
    weights `start`, on the names the training cell took: their losses. The step's weights are put back."""
    params, docs, chars, BOS, BLOCK_SIZE, NUM_STEPS, gpt, softmax = need(
        g, "params", "docs", "chars", "BOS", "BLOCK_SIZE", "NUM_STEPS", "gpt", "softmax"
    )
    trained = [p.data for p in params]
    losses = []
    try:
        for p, x in zip(params, start):
            p.data, p.grad = x, 0
        for step in range(steps):
            tokens = [BOS] + [chars.index(ch) for ch in docs[step % len(docs)]] + [BOS]
            n = min(BLOCK_SIZE, len(tokens) - 1)
            keys, values = sampling.kv_cache(g)
            loss = (1 / n) * sum(
                -softmax(gpt(tokens[pos], pos, keys, values))[tokens[pos + 1]].log() for pos in range(n)
            )
            loss.backward()
            lr_t = learning_rate * (1 - step / NUM_STEPS)
            for p in params:
                p.data -= lr_t * p.grad
                p.grad = 0
            losses.append(loss.data)
    finally:
        for p, x in zip(params, trained):
            p.data, p.grad = x, 0
    return losses


def sgd_vs_adam(g, steps=10):
    """The training cell's own Adam losses against SGD's (step 4's rule) from the same start (`start`, kept
    before training) on the same names, over the first `steps` steps."""
    (start,) = need(g, "start")
    if not LOSSES:
        fail("no loss printed yet: run the training cell above first")
    adam = LOSSES[:steps]
    sgd = sgd_losses(g, start, len(adam))
    fig, (ax,) = figure(6, 3)
    if fig is None:
        return None
    x = range(1, len(adam) + 1)
    ax.plot(x, sgd, marker=".", label="SGD, step 4's rule (learning rate 0.1)")
    ax.plot(x, adam, marker=".", label="Adam, this notebook's run (learning rate 0.01)")
    uniform = math.log(g["vocab_size"])
    ax.axhline(
        uniform, color="grey", linestyle="--", label=f"ln {g['vocab_size']} = {uniform:.2f}: a uniform guess"
    )
    ax.set(xlabel="step", ylabel="loss", title="the same start, the same names: SGD and Adam")
    ax.legend(fontsize=8)
    return Picture("sgd vs adam", fig, {"sgd": sgd, "adam": adam, "ln_V": uniform})


# --- playing with the trained model -----------------------------------------------------------------


def next_chars(g, prefix="", k=10, temperature=None):
    """The k likeliest next characters after `prefix` as bars (sampling.top_next). For train0, whose table
    reads only the last character, the same bars after that character alone beside them."""
    try:
        rows = [(prefix, sampling.top_next(g, prefix, k, temperature))]
        if "counts" in g and len(prefix) > 1:
            rows.append((prefix[-1], sampling.top_next(g, prefix[-1], k, temperature)))
    except sampling.SampleError as e:
        fail(str(e))
    except NotImplementedError as e:
        fail(f"a blank above is still to fill in (NotImplementedError: {e})")
    fig, axes = figure(4 * len(rows), 3, cols=len(rows), top=0.7 if len(rows) > 1 else 0.45)
    if fig is None:
        return None
    for ax, (after, top) in zip(axes, rows):
        ax.bar(range(len(top)), [p for _, p in top])
        letters(ax, ["end" if ch == sampling.END else ch for ch, _ in top], "x", 9)
        ax.set(ylabel="probability", title=f"after {after!r}" if after else "at the start of a name")
    if len(rows) > 1:
        fig.suptitle(f"train0 reads only the last character: after {prefix!r} as after {prefix[-1]!r}")
    data = {"top": [{"prefix": after, "rows": [list(r) for r in top]} for after, top in rows]}
    return Picture("next characters", fig, data)


def play(g, prefix="ma", temperature=None, n=5):
    """A prefix box and a temperature slider over the next characters' bars and n names, redrawn on each
    change (ipywidgets): returned, so that the cell shows it; without ipywidgets, one line."""
    try:
        import ipywidgets as widgets
        from IPython.display import display
    except ImportError:
        print(NO_WIDGETS)
        return None
    t = sampling.default_temperature(g) if temperature is None else temperature
    text = widgets.Text(value=prefix, description="prefix", continuous_update=False)
    heat = widgets.FloatSlider(
        value=t, min=0.1, max=2.0, step=0.1, description="temperature", continuous_update=False
    )
    out = widgets.Output()

    def update(_=None):
        out.clear_output(wait=True)
        with out:
            try:
                picture = next_chars(g, text.value, temperature=heat.value)
                if picture is not None:
                    display(picture)
                sampling.names(g, text.value, heat.value, n)
            except SystemExit as e:  # a prefix the model cannot read: its one line, and the widget stays
                print(e.code)

    text.observe(update, "value")
    heat.observe(update, "value")
    update()
    return widgets.VBox([widgets.HBox([text, heat]), out])


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write(
        "error: tools/pictures.py is a library, not a command: the lesson notebooks use it "
        "(`make notebooks`, python3 -m tools.generate.notebooks)\n"
    )
    sys.exit(2)
