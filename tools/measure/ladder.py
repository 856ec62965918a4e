"""The ladder: every step trained with its defaults, then scored on 1,000 names it never saw.

    python3 -m tools.measure.ladder                          # full length (minutes): writes
    docs/results/ladder.md,
                                                     # docs/results/ladder.json and
                                                     docs/results/loss_curves.svg/.png
    python3 -m tools.measure.ladder --steps 20 --out DIR     # quick mode: NUM_STEPS=20 for every step, into
    DIR
    LADDER_STEPS=20 python3 -m tools.measure.ladder --out DIR    # the same, from the environment
    python3 -m tools.measure.ladder --plot-only              # redraw the plot from docs/results/ladder.json,
    no training

Each step runs in this process (runpy), exactly as `python3 steps/trainN.py` would run it, with
its printed output captured. Its training losses are recorded at full precision: the step's own
`print` is shadowed by a recorder that, on each `step … | loss …` line, reads the `loss` the
step has just printed (a float, or a `Value`'s .data) from the step's globals. Nothing in the
step changes; the recorder checks that every recorded loss prints as the step printed it.

Held-out names: the last 1,000 names of the step's own shuffled `docs` list. A run of N steps
trains on docs[0:N] (one name per step), so with the default 1,000 steps these names are never
trained on. The held-out loss is token-weighted: the mean of -log p(next token) over every
position of every held-out name (BOS → first letter, …, last letter → BOS), computed with the
step's own trained model and functions; steps with a context window (3+) see at most
BLOCK_SIZE positions per name, as in training. Perplexity = exp(held-out loss).

The plot needs matplotlib (the pinned .venv: `make ladder`); without it the tables are still
written and the plot is skipped with a note.
"""

import builtins
import gc
import io
import json
import math
import os
import platform
import sys
import time

from .. import (
    diff,  # the steps' titles, the same helper the diff printer uses
    steprun,
)
from ..project import RESULTS, command_line, positive_int, run_main, step_list, step_numbers
from ..sampling import kv_cache
from . import bench  # the machine description the benchmark uses

DOCS = str(RESULTS)
HELD_OUT = 1000  # the last this many names of the shuffled list
LAST = 100  # the ladder's train loss = mean of the last this many step losses
SMOOTH = 50  # running-mean window of the plotted curves


def progress(message):
    print(message, file=sys.__stderr__, flush=True)


# --- running a step -------------------------------------------------------------------------------


class Recorder:
    """Stands in for `print` inside a step: prints as usual, and keeps each training loss at full
    precision."""

    def __init__(self, label, started, every=10.0):
        self.label, self.started, self.every = label, started, every
        self.losses, self.printed = [], []
        self.last_report = started

    def __call__(self, *args, **kwargs):
        builtins.print(*args, **kwargs)
        text = kwargs.get("sep", " ").join(str(a) for a in args)
        printed = steprun.loss_of(text)
        if printed is None:
            return
        # the training loop's `loss`: runpy runs the step as sys.modules["__main__"] while it runs
        loss = vars(sys.modules["__main__"]).get("loss")
        value = getattr(loss, "data", loss)
        self.losses.append(float(value) if isinstance(value, (int, float)) else printed)
        self.printed.append(printed)
        now = time.perf_counter()
        if now - self.last_report >= self.every:  # a heartbeat on long runs
            self.last_report = now
            progress(f"    {self.label}: {text.split(' |')[0].strip()}  ({now - self.started:.0f} s)")


def run_step(n, knobs):
    """Run steps/trainN.py in this process; return (its globals, its output, the recorder, wall seconds).
    DATASET is the caller's, if set: it says where the names are, not how to train (the tests point it
    at names.txt)."""
    started = time.perf_counter()
    recorder = Recorder(f"train{n}", started)
    out = io.StringIO()
    try:
        env, output = steprun.execute(n, knobs, keep=("DATASET",), init_globals={"print": recorder}, out=out)
    except SystemExit as exc:  # a step reports a bad knob or a missing dataset this way
        raise SystemExit(f"error: train{n} stopped: {exc.code}\n{out.getvalue()[-2000:]}") from None
    wall = time.perf_counter() - started
    mismatched = [
        i for i, (x, p) in enumerate(zip(recorder.losses, recorder.printed)) if f"{x:.4f}" != f"{p:.4f}"
    ]
    if mismatched:
        raise SystemExit(
            f"error: train{n}: recorded loss of step {mismatched[0] + 1} does not print as printed"
        )
    return env, output, recorder, wall


# --- held-out evaluation --------------------------------------------------------------------------


def tokens_of(env, name):
    return [env["BOS"]] + [env["chars"].index(ch) for ch in name] + [env["BOS"]]


def position_losses(env, tokens):
    """-log p(next token) at every position the step's model scores, with the step's own functions."""
    if "counts" in env:  # step 0: the count table
        return [-math.log(env["probabilities"](env["counts"][a])[b]) for a, b in zip(tokens, tokens[1:])]
    if "gpt" in env:  # steps 3+: a context window and a key/value cache
        keys, values = kv_cache(env)
        out = []
        for pos in range(min(env["BLOCK_SIZE"], len(tokens) - 1)):
            probs = env["softmax"](env["gpt"](tokens[pos], pos, keys, values))
            out.append(-math.log(getattr(probs[tokens[pos + 1]], "data", probs[tokens[pos + 1]])))
        return out
    out = []  # steps 1-2: the MLP, on floats (1) or on Values (2)
    for pos in range(len(tokens) - 1):
        p = env["softmax"](env["model"](tokens[pos]))[tokens[pos + 1]]
        out.append(-math.log(getattr(p, "data", p)))
    return out


def held_out(env, count=HELD_OUT):
    """Score the trained model on the last `count` names; say whether any of them was trained on."""
    docs = env["docs"]
    first = max(0, len(docs) - count)
    trained = {s % len(docs) for s in range(env["STOP_AFTER"])}  # training step s used docs[s % len(docs)]
    seen = len(trained & set(range(first, len(docs))))
    total, positions, per_name = 0.0, 0, []
    for name in docs[first:]:
        losses = position_losses(env, tokens_of(env, name))
        total += sum(losses)
        positions += len(losses)
        per_name.append(sum(losses) / len(losses))
    loss = total / positions
    return {
        "heldout_names": len(docs) - first,
        "heldout_first_index": first,
        "heldout_trained_on": seen,
        "heldout_positions": positions,
        "heldout_loss": loss,
        "heldout_perplexity": math.exp(loss),
        "heldout_loss_name_weighted": sum(per_name) / len(per_name),
    }


# --- the ladder -----------------------------------------------------------------------------------


def idea(n):
    """The new idea of step n: its title after the dash."""
    return diff.title(n).split("—", 1)[-1].strip()


def ladder(num_steps=None, only=None, heldout=HELD_OUT):
    """Run every step (or `only` these) and score it; return the ladder as one JSON-ready dict."""
    knobs = {"NUM_STEPS": num_steps} if num_steps else {}
    rows, began = [], time.perf_counter()
    for n in only or step_numbers():
        progress(f"train{n}: training ({num_steps or 'default'} steps) …")
        env, output, recorder, wall = run_step(n, knobs)
        started = time.perf_counter()
        scores = held_out(env, heldout)
        evaluation = time.perf_counter() - started
        losses = recorder.losses
        row = {
            "step": n,
            "file": f"steps/train{n}.py",
            "title": diff.title(n),
            "idea": idea(n),
            "params": len(env["params"]) if "params" in env else None,
            "vocab_size": env["vocab_size"],
            "num_steps": env["NUM_STEPS"],
            "trained_steps": len(losses),
            "final_train_loss": sum(losses[-LAST:]) / len(losses[-LAST:]),
            "final_train_window": len(losses[-LAST:]),
            **scores,
            "wall_seconds": wall,
            "eval_seconds": evaluation,
            "samples": steprun.parse(output).samples,
            "losses": losses,
        }
        del env
        gc.collect()
        rows.append(row)
        warn = (
            f"  WARNING: {row['heldout_trained_on']} held-out names were trained on"
            if row["heldout_trained_on"]
            else ""
        )
        progress(
            f"train{n}: done in {wall:.1f} s + {evaluation:.1f} s held-out | {train_loss_header(rows)} "
            f"{row['final_train_loss']:.4f} | held-out {row['heldout_loss']:.4f} "
            f"(ppl {row['heldout_perplexity']:.2f}) | {time.perf_counter() - began:.0f} s so far{warn}"
        )
    return {
        "generated_by": "tools/measure/ladder.py",
        "python": platform.python_version(),
        "machine": bench.machine(),
        "num_steps": num_steps or "default",
        "heldout_names": heldout,
        "final_train_window": LAST,
        "definition": DEFINITION.format(count=heldout),
        "steps": rows,
    }


DEFINITION = (
    "the mean of -log p(next token) over every position of the last {count:,} names of the step's own "
    "shuffled list (token-weighted: a long name counts more than a short one; steps with a context window "
    "score at most BLOCK_SIZE positions per name, as in training). A run of N steps trains on names "
    "0..N-1 only, so with N = 1,000 none of these was trained on. Perplexity = exp(held-out loss)."
)


def fmt_params(p):
    return "— (counts)" if p is None else f"{p:,}"


def train_loss_header(rows):
    """The train-loss column's name, saying what it is: a run's last line is one name's loss, not a mean."""
    return f"train loss, mean of last {rows[0]['final_train_window'] if rows else LAST} steps"


def table(data, link=lambda row: f"[train{row['step']}](../../{row['file']})", wall=True):
    """The ladder as a Markdown table (`link` makes the first cell; `wall`: with the wall-time column)."""
    loss = train_loss_header(data["steps"])
    head = f"| step | new idea | parameters | {loss} | held-out loss | perplexity |"
    lines = [
        head + (" wall time |" if wall else ""),
        "|---|---|---:|---:|---:|---:|" + ("---:|" if wall else ""),
    ]
    for r in data["steps"]:
        lines.append(
            f"| {link(r)} | {r['idea']} | {fmt_params(r['params'])} | {r['final_train_loss']:.4f} | "
            f"{r['heldout_loss']:.4f} | {r['heldout_perplexity']:.2f} |"
            + (f" {r['wall_seconds']:.1f} s |" if wall else "")
        )
    return "\n".join(lines)


def duration(data):
    """How long `make ladder` took: every step's run and its held-out scoring."""
    return sum(r["wall_seconds"] + r["eval_seconds"] for r in data["steps"])


def markdown(data):
    first = data["steps"][0]
    steps = data["num_steps"] if data["num_steps"] != "default" else first["num_steps"]
    quick = data["num_steps"] != "default"
    lines = [
        "# The ladder",
        "",
        "Every step, trained with its defaults"
        + (f" (quick mode: NUM_STEPS={steps})" if quick else "")
        + f" on one name per step for {steps:,} steps, then scored on names it never saw. "
        f"Regenerate with `make ladder` ({bench.about(duration(data))}); the plot is "
        "`docs/results/loss_curves.svg`.",
        "",
        table(data),
        "",
        f"- **train loss**: the mean of the last {first['final_train_window']} training losses (each "
        "the mean loss over one name, as the step prints it), so not the loss on the last "
        "`step … | loss …` line a run prints, which is one name's.",
        f"- **held-out loss**: {data['definition']}",
        "- **wall time**: the whole step as `python3 steps/trainN.py` runs it (train1's gradient check, "
        "training, "
        f"sampling {len(first['samples'])} names), in one process ({data['machine']}); the held-out scoring "
        "is not "
        "included.",
        *same_as_before(data),
        "",
        "![training loss of every step](loss_curves.svg)",
        "",
        "## Five names each step makes up",
        "",
        "| step | samples 1–5 |",
        "|---|---|",
    ]
    lines += [f"| train{r['step']} | {' · '.join(r['samples'][:5])} |" for r in data["steps"]]
    return "\n".join(lines) + "\n"


def same_as_before(data):
    """A note for each step whose figures equal the step before's (train2 redoes train1 with autograd)."""
    notes = []
    for before, row in zip(data["steps"], data["steps"][1:]):
        if (
            f"{before['final_train_loss']:.4f} {before['heldout_loss']:.4f}"
            == f"{row['final_train_loss']:.4f} {row['heldout_loss']:.4f}"
        ):
            notes.append(
                f"- train{row['step']} has the same figures as train{before['step']}: the same model and the "
                "same arithmetic, computed another way; only the time differs."
            )
    return notes


def write(data, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "ladder.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "ladder.md"), "w", encoding="utf-8") as f:
        f.write(markdown(data))


def load(out=DOCS):
    with open(os.path.join(out, "ladder.json"), encoding="utf-8") as f:
        return json.load(f)


# --- the plot -------------------------------------------------------------------------------------


def running_mean(values, window=SMOOTH):
    """Mean of the last `window` values at each point (fewer at the start)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot(data, out):
    """docs/results/loss_curves.svg and .png: the smoothed training curves and each step's held-out loss."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "microgpt", "font.size": 11})
    fig, ax = plt.subplots(figsize=(10, 7.2), dpi=100, layout="constrained")
    colours = plt.get_cmap("tab10").colors
    ends, previous = [], None
    for i, r in enumerate(data["steps"]):
        colour = colours[i % len(colours)]
        smooth = running_mean(r["losses"])
        # A curve on top of the one before it is dashed, so that both stay visible, and the legend says so.
        gap = max((abs(a - b) for a, b in zip(smooth, previous)), default=1) if previous else 1
        like = "=" if gap < 1e-9 else "≈" if gap < 0.01 else ""
        label = f"train{r['step']}: {r['idea'].replace('`', '')}"
        label += f" ({like} train{data['steps'][i - 1]['step']})" if like else ""
        ax.plot(
            range(1, len(smooth) + 1),
            smooth,
            color=colour,
            lw=1.8 if like else 2.2,
            ls=(0, (4, 3)) if like else "-",
            label=label,
            zorder=3 if like else 2,
        )
        ends.append((len(r["losses"]), r["heldout_loss"], colour))
        previous = smooth
    span = max(e[0] for e in ends)
    for j, (end, loss, colour) in enumerate(ends):  # spread the markers a little so equal ones stay visible
        ax.plot(
            end + span * (0.02 + 0.012 * j),
            loss,
            marker="D",
            ms=8,
            color=colour,
            mec="black",
            mew=0.7,
            ls="none",
            zorder=4,
        )
    top = max(loss for _, loss, _ in ends)
    ax.text(span * 1.05, top + 0.03, "held-out", ha="center", va="bottom", fontsize=9, color="dimgrey")
    ax.axvline(span, color="grey", lw=0.8, ls=":")
    ax.plot(
        [],
        [],
        marker="D",
        ms=8,
        color="white",
        mec="black",
        ls="none",
        label=f"held-out loss after training ({data['heldout_names']:,} names never trained on)",
    )
    vocab = data["steps"][0]["vocab_size"]
    uniform = math.log(vocab)
    ax.axhline(uniform, color="grey", lw=0.9, ls=":")
    ax.text(
        span * 0.99,
        uniform + 0.008,
        f"uniform guess over {vocab} tokens: ln {vocab} = {uniform:.3f}",
        color="dimgrey",
        ha="right",
        va="bottom",
        fontsize=9,
    )
    ax.set_xlim(0, span * 1.1)
    ax.set_xlabel("training step (one name per step)")
    ax.set_ylabel(f"loss (nats per token), running mean over {SMOOTH} steps")
    quick = f" (quick mode: {span} steps)" if data["num_steps"] != "default" else ""
    ax.set_title(f"microgpt, step by step: the training loss of every step{quick}")
    ax.grid(True, alpha=0.3)
    tick = next(t * 10**k for k in range(7) for t in (1, 2, 5) if t * 10**k * 10 >= span)  # about ten ticks
    ax.set_xticks(range(0, span + 1, tick))
    fig.legend(loc="outside lower center", ncol=2, fontsize=9.5, frameon=False)
    paths = [os.path.join(out, "loss_curves.svg"), os.path.join(out, "loss_curves.png")]
    fig.savefig(paths[0], metadata={"Date": None, "Creator": "tools/measure/ladder.py"})
    fig.savefig(paths[1], metadata={"Software": "tools/measure/ladder.py"})
    plt.close(fig)
    return paths


def try_plot(data, out):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        progress("note: matplotlib is not installed here, so no plot; `make ladder` runs this with the .venv")
        return []
    return plot(data, out)


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=os.environ.get("LADDER_STEPS") or None,
        help="quick mode: NUM_STEPS for every step (or env LADDER_STEPS); needs --out",
    )
    parser.add_argument("--out", help="output folder (default docs/, for full-length runs only)")
    parser.add_argument("--only", type=step_list, help="comma-separated step numbers (needs --out)")
    parser.add_argument(
        "--heldout",
        type=positive_int,
        default=HELD_OUT,
        help=f"held-out names (default {HELD_OUT}; needs --out)",
    )
    parser.add_argument(
        "--plot-only", action="store_true", help="redraw the plot from ladder.json, run nothing"
    )
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out or DOCS)
    if args.plot_only:
        for path in try_plot(load(out), out):
            print(f"wrote {os.path.relpath(path)}")
        return 0
    partial = args.steps or args.only or args.heldout != HELD_OUT
    if partial and out == os.path.abspath(DOCS):
        parser.error("a quick or partial run must not overwrite the committed docs/results/: add --out DIR")
    data = ladder(args.steps, args.only, args.heldout)
    write(data, out)
    paths = [os.path.join(out, "ladder.md"), os.path.join(out, "ladder.json")] + try_plot(data, out)
    print(table(data, link=lambda r: f"train{r['step']}"))
    for path in paths:
        print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    run_main(main)
