"""The cells a lesson notebook has beyond its step: a picture under the cell whose values it shows, and
at the end the trained model to play with. tools/generate/notebooks.py adds them (the student notebooks
get them from there); they call tools/sampling.py and the step's pictures, tools/pictures/trainN.py (every
name a step's cells call is in its module), which the notebook carries in a collapsed cell
(tools/generate/setup_cell.py's pictures_cell).

Each added code cell comes after a Markdown cell that says what it shows, as every code cell of a
lesson does. A picture's cell id ends in "-picture" (the browser proofs look for that), e.g.
"train0-07-counts-picture": the lesson cell it follows ("train0-07"), then what it draws.
"""

from collections import namedtuple

# After the lesson's code cell that contains `anchor`: the cells of `what` (a Markdown cell, then code).
Added = namedtuple("Added", "anchor what about code")

TRAINING = "for step in range(STOP_AFTER)"
SAMPLING = "--- inference"
LOSS = (
    "The losses printed above, step by step, and the dashed line of a uniform guess: a model that gives "
    "each of the V tokens 1/V has loss ln V (V = `vocab_size`). An untrained model guesses about that "
    "evenly, so the first loss of every lesson is near the line."
)


def play(temperature, top):
    """The cells after the sampling cell: names from a prefix, the next characters, a widget."""
    return [
        Added(
            SAMPLING,
            "names",
            "## Play with it\n\nNames that start with a prefix, at a temperature: the sampling loop above, "
            "with the prefix fed in before the first draw (`make sampleN PROMPT=ma` does the same from "
            "the command line). Change them and run the cell again.",
            f'sampling.names(globals(), "ma", temperature={temperature}, n=5)',
        ),
        Added(SAMPLING, "next-picture", top, 'pictures.next_chars(globals(), "emm")'),
    ]


WIDGET = Added(
    SAMPLING,
    "widget",
    "The same with a box for the prefix and a slider for the temperature (ipywidgets): the bars and five "
    "names follow each change.",
    'pictures.play(globals(), "ma")',
)


TOP = (
    "What the model thinks comes after a prefix: its likeliest next characters (*end*: BOS, the name "
    "ends there)."
)
ATTENTION = (
    "Attention over one name, fed one position at a time as in training: row *query* is the position "
    "being predicted from, column *key* a position it reads. Each row sums to 1, and above the diagonal "
    "it is 0: the key/value cache holds only the past, which is why the model needs no mask."
)
EMBEDDINGS = (
    "The rows of `wte`, one per token, projected onto the two directions along which they differ most "
    "(PCA): tokens the model treats alike end up close together (vowels in red). After a short run they "
    "are still mostly where the random start put them."
)

CELLS = {
    0: [
        Added(
            TRAINING,
            "counts-picture",
            "**See it.** The table after the names above: row *this character*, column *the next one*, the "
            "count in each cell. BOS is both where a name starts (its row) and where it ends (its column).",
            "pictures.count_table(globals())",
        ),
        Added(
            TRAINING,
            "smoothing-picture",
            "One row as probabilities, `probabilities(row)` against the counts over their total: without "
            "the +1 a pair never seen gets 0 (and its loss would be infinite), with it a little.",
            'pictures.smoothing(globals(), "a")',
        ),
        Added(TRAINING, "loss-picture", LOSS, "pictures.loss_curve(globals())"),
        *play(
            1.0,
            TOP + " train0 reads only the last character: after *emm* it predicts exactly what it "
            "predicts after *m*, the two charts side by side.",
        ),
    ],
    1: [
        Added(
            TRAINING,
            "gradcheck-picture",
            "**See it.** The gradient check above, one dot per checked parameter: its numerical gradient "
            "against its analytic one. When the chain rule is right, every dot is on the diagonal.",
            "pictures.gradient_check(globals())",
        ),
        Added(TRAINING, "loss-picture", LOSS, "pictures.loss_curve(globals())"),
        *play(0.5, TOP),
    ],
    2: [
        Added(
            "class Value",
            "graph-picture",
            "**See it.** The graph `Value` builds for `a*b + a` (a = 2, b = -3), after `backward()`: each "
            "node's data and grad, each edge's local gradient. `a` is used twice, so its grad is the sum "
            "of both paths back: b·1 + 1 = -2.",
            "pictures.graph(globals())",
        ),
        Added(TRAINING, "loss-picture", LOSS, "pictures.loss_curve(globals())"),
        *play(0.5, TOP),
    ],
    3: [
        Added(TRAINING, "loss-picture", LOSS, "pictures.loss_curve(globals())"),
        Added(
            TRAINING, "attention-picture", "**See it.** " + ATTENTION, 'pictures.attention(globals(), "emma")'
        ),
        Added(TRAINING, "wte-picture", EMBEDDINGS, "pictures.embeddings(globals())"),
        *play(0.5, TOP),
    ],
    4: [
        Added(TRAINING, "loss-picture", LOSS, "pictures.loss_curve(globals())"),
        Added(
            TRAINING,
            "heads-picture",
            "**See it.** " + ATTENTION + " Each head has its own slice of q, k and v, so each attends in "
            "its own way: the heads side by side.",
            'pictures.attention(globals(), "emma")',
        ),
        *play(0.5, TOP),
    ],
    5: [
        Added(
            "params = [",
            "start",
            "Kept for a picture after training: the weights as they start, where SGD will start from too.",
            "start = [p.data for p in params]",
        ),
        Added(TRAINING, "loss-picture", LOSS, "pictures.loss_curve(globals())"),
        Added(
            TRAINING,
            "adam-picture",
            "**See it.** Adam against SGD, step 4's rule (its learning rate 0.1), from the same start on the "
            "same names: the first `steps` steps of the run above, and as many of SGD from `start` (after a "
            "longer run, try `steps=100`). The weights the run trained are put back afterwards.",
            "pictures.sgd_vs_adam(globals(), steps=5)",
        ),
        *play(0.5, TOP),
        WIDGET,  # the finished model only: an import and a redraw that a short lesson run would feel
    ],
}


def uses_widgets(n):
    """Whether step n's notebook has a widget (its carrying cell imports ipywidgets then)."""
    return WIDGET in CELLS.get(n, [])


def added(n, cells):
    """{index of a lesson cell: [(id, Markdown, code)] to add after it}, for step n's cells; an anchor that
    no code cell has is an error naming it."""
    found = {}
    for cell in CELLS.get(n, []):
        at = [i for i, c in enumerate(cells) if c.cell_type == "code" and cell.anchor in c.source]
        if not at:
            raise ValueError(
                f"steps/train{n}.py: no code cell has {cell.anchor!r} (tools/generate/picture_cells.py)"
            )
        found.setdefault(at[0], []).append((f"train{n}-{at[0]:02d}-{cell.what}", cell.about, cell.code))
    return found


if __name__ == "__main__":  # run directly: one line saying what uses it, exit status 2
    import sys

    sys.stderr.write(
        "error: tools/generate/picture_cells.py is a library, not a command: tools/generate/notebooks.py "
        "uses it (`make notebooks`)\n"
    )
    sys.exit(2)
