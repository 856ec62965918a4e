"""Attention over one name, head by head: what the pictures of steps 3 and 4 share."""

try:  # in the package; by path, or in a notebook whose carrying cell made the module, plainly:
    from .draw import *
except ImportError:
    from draw import *


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


if __name__ == "__main__":
    not_a_command(__file__)
