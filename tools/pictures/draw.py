"""What the pictures of every step share: the Picture a notebook shows, the one-line failures, the figure
and its letters, the loss lines a training cell prints (record, LOSSES) and their curve, and the next
characters' bars of the play cells. Each step's own drawings are in trainN.py (see __init__.py), which
take all of this with `from .draw import *`: the names with a leading _ too (__all__ below).
"""

import base64
import builtins
import io
import math
import os
import re
import sys

try:  # in the package; in a notebook, the carrying cell made `sampling` a module first
    from .. import sampling
except ImportError:
    try:
        import sampling
    except ImportError:  # run by path (python3 tools/pictures/draw.py): nothing to draw, see the end
        sampling = None

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
LOSSES = []  # the loss lines of the last training cell run, kept by record() for loss_curve(): one list,
# changed in place, never rebound, as the package and every step's module share it
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


def not_a_command(file):
    sys.stderr.write(
        f"error: tools/pictures/{os.path.basename(file)} is a library, not a command: the lesson and "
        "student notebooks carry it (`make notebooks`, python3 -m tools.generate.notebooks)\n"
    )
    sys.exit(2)


__all__ = [name for name in globals() if not name.startswith("__")]  # `import *` takes the _names too


if __name__ == "__main__":
    not_a_command(__file__)
