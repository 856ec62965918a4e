"""A trained step's globals, played with: names that start with a prefix, and what comes next.

    from tools import sampling                                    # or, in a notebook, its carried copy
    sampling.sample(globals(), "ma", temperature=0.8, n=10)       # ['maria', …]
    sampling.top_next(globals(), "mar", k=5)                      # [('i', 0.41), …, ('', 0.05)]: '' ends it
    sampling.names(globals(), "ma")                               # the same, printed as the steps print

What tools/sample.py (`make sampleN`) answers with, and what a lesson notebook calls after training.
Standard library only and importing nothing of tools/, so that a notebook can carry this file alone.

The temperature divides the logits before softmax, as the steps' own sampling does. train0 has no
logits: a temperature T raises its probabilities to the power 1/T and renormalises, which is the
same as dividing logits by T. The names come from a random.Random(seed) of their own, so the step's
own random numbers are left as they were.
"""

import itertools
import os
import random
import sys

END = ""  # what top_next() calls BOS: nothing more, the name ends here


class SampleError(Exception):
    """What the user asked for cannot be done; the message is the one line we print."""


def kv_cache(step_globals):
    """An empty key/value cache for a step's gpt(token, pos, keys, values): one list of keys and one
    of values per layer in the steps with layers (N_LAYER, steps 4+), a single flat pair in step 3."""
    layers = step_globals.get("N_LAYER")
    return ([[] for _ in range(layers)], [[] for _ in range(layers)]) if layers else ([], [])


def shown(path):
    """A path as the user would type it: relative to the current folder when inside it."""
    path = os.path.abspath(path)
    inside = path.startswith(os.getcwd() + os.sep)
    return os.path.relpath(path) if inside else path


def default_temperature(g):
    return g.get("temperature", 1.0)  # train0 has none: it samples from its probabilities as they are


def reader(g, temperature=None):
    """feed(token) -> the probabilities of the next token, for one name from its start: each call feeds
    the next token (in steps 3-5 through the key/value cache, at the next position)."""
    t = default_temperature(g) if temperature is None else temperature
    if "counts" in g:  # train0: a row of its table; p**(1/t) is softmax(logits / t) for p = softmax(logits)

        def feed(token):
            probs = g["probabilities"](g["counts"][token])
            if t == 1:
                return probs
            top = max(probs)  # scaled first, so that a small t cannot make every power 0
            powered = [(p / top) ** (1 / t) for p in probs]
            return [p / sum(powered) for p in powered]

        return feed
    if "gpt" in g:
        keys, values = kv_cache(g)
        positions = itertools.count()

        def logits_of(token):
            return g["gpt"](token, next(positions), keys, values)
    else:
        logits_of = g["model"]

    def feed(token):  # the steps' own sampling line, with floats out of their Values
        return [getattr(p, "data", p) for p in g["softmax"]([logit / t for logit in logits_of(token)])]

    return feed


def vocabulary(chars):
    """The characters, with runs written as ranges: 'a-z' for names.txt."""
    parts, run = [], []
    for ch in chars + [None]:
        if run and (ch is None or ord(ch) != ord(run[-1]) + 1):
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else "".join(run))
            run = []
        if ch is not None:
            run.append(ch)
    text = " ".join(parts)
    return text if len(text) <= 60 else f"{text[:57]}… ({len(chars)} characters)"


def as_read(g, text):
    """A prefix as the model reads it: upper case lowered when the vocabulary has none (names.txt is a-z);
    a character it has never seen, or a prefix as long as the longest name, is a SampleError."""
    chars = g["chars"]
    if any(ch not in chars for ch in text) and not any(ch.isupper() for ch in chars):
        text = text.lower()
    for ch in text:
        if ch not in chars:
            raise SampleError(
                f"{ch!r} is not in the vocabulary of {shown(g.get('path', 'the dataset'))} "
                f"({vocabulary(chars)}): the model has never seen it"
            )
    if len(text) >= g["BLOCK_SIZE"]:
        raise SampleError(
            f"{text!r} has {len(text)} characters: names are at most BLOCK_SIZE = "
            f"{g['BLOCK_SIZE']} long, so a prefix may have {g['BLOCK_SIZE'] - 1}"
        )
    return text


def encode(g, text):
    return [g["chars"].index(ch) for ch in as_read(g, text)]


def next_probabilities(g, prefix="", temperature=None):
    """The probabilities of every token right after BOS + prefix."""
    feed = reader(g, temperature)
    probs = feed(g["BOS"])
    for token in encode(g, prefix):
        probs = feed(token)
    return probs


def top_next(g, prefix="", k=10, temperature=None):
    """The k likeliest next characters after `prefix`, likeliest first: [(char, probability)]; END ('')
    is BOS, the name ends here. At the step's own temperature unless one is given."""
    probs = next_probabilities(g, prefix, temperature)
    order = sorted(range(len(probs)), key=lambda token: -probs[token])[:k]
    return [(END if token == g["BOS"] else g["chars"][token], probs[token]) for token in order]


def sample(g, prompt="", temperature=None, n=20, seed=42):
    """n names that start with `prompt`: the step's sampling loop, with the prompt's tokens fed first
    instead of drawn, and a random.Random(seed) of its own."""
    rng, forced, names = random.Random(seed), encode(g, prompt), []
    for _ in range(n):
        feed, token, name = reader(g, temperature), g["BOS"], []
        for pos in range(g["BLOCK_SIZE"]):
            probs = feed(token)
            drawn = pos >= len(forced)
            token = rng.choices(range(g["vocab_size"]), weights=probs)[0] if drawn else forced[pos]
            if token == g["BOS"]:
                break
            name.append(g["chars"][token])
        names.append("".join(name))
    return names


def names(g, prompt="", temperature=None, n=10, seed=42):
    """sample(), printed as tools/sample.py prints it: a line that says what was asked, then the names in
    the steps' format, indented (`  sample  1: maria`) so that they are not taken for the step's own;
    nothing returned (a cell shows the lines alone). A prefix the model cannot read is its one line."""
    t = default_temperature(g) if temperature is None else temperature
    try:
        found = sample(g, prompt, temperature, n, seed)
    except SampleError as e:
        sys.exit(f"error: {e}")
    start = f"starting with {as_read(g, prompt)!r}" if prompt else "from scratch"
    print(f"--- {n} names {start}, temperature {t:g}, seed {seed} ---")
    for i, name in enumerate(found):
        print(f"  sample {i + 1:2d}: {name}")


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    sys.stderr.write(
        "error: tools/sampling.py is a library, not a command: tools/sample.py and the lesson notebooks "
        "use it (`python3 tools/sample.py --help`)\n"
    )
    sys.exit(2)
