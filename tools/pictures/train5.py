"""The pictures of step 5: SGD against Adam, and the widget to play with the trained model."""

try:  # in the package; by path, or in a notebook whose carrying cell made the module, plainly:
    from .draw import *
except ImportError:
    from draw import *


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


if __name__ == "__main__":
    not_a_command(__file__)
