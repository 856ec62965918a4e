"""Play with a trained step: sample names that start with a prompt, or see what it predicts next.

    python3 tools/sample.py 5                     # make sample5: 20 names from train5
    python3 tools/sample.py 5 --prompt ma         # make sample5 PROMPT=ma: every name starts with "ma"
    python3 tools/sample.py 3 --temperature 1.0   # make sample3 TEMPERATURE=1.0
    python3 tools/sample.py 5 --top mar           # make sample5 TOP=mar: the likeliest next characters
    NUM_STEPS=50 python3 tools/sample.py 4        # the steps' knobs say how it trains

The first call trains step N once, with the knobs in the environment (NUM_STEPS, N_EMBD, …) as
`make stepN` would, and keeps its weights in build/sample/trainN-KEY.json, KEY a hash of the step's
code, the dataset and the knobs that change training. A later call with the same three loads them and
answers in about a second; a changed step, dataset or knob trains again. Each option can also be set
as an environment variable, the way make passes them: PROMPT, TEMPERATURE, TOP, SEED, NUM_SAMPLES
(the option wins).

The temperature divides the logits before softmax, as the steps' own sampling does (their 0.5 is the
default). train0 has no logits: it samples from its probabilities as they are (temperature 1, its
default here), and a temperature T raises them to the power 1/T and renormalises, which is the same
as dividing logits by T. The names come from a random.Random(SEED) of their own (default 42), so the
same call prints the same names.

The sampling itself is tools/sampling.py's, which a lesson notebook carries and calls after training.
"""

import hashlib
import io
import json
import math
import os
import sys
import time
from argparse import ArgumentTypeError
from pathlib import Path

try:  # part of the tools package (python3 -m tools.X, the workshop, the tests), or run by path
    from . import dataset, project, sampling, steprun
except ImportError:  # python3 tools/sample.py: tools/ is the script's folder
    import dataset
    import project
    import sampling
    import steprun

CACHE = project.BUILD / "sample"
CHEAP = project.QUICK["code"]  # a run for the code, not for the weights
FORMAT = 1  # of the cache files: a new one retrains


# --- training once, and the weights kept ------------------------------------------------------------


def shown(path):
    """A path as the user would type it: relative to the repo when inside it."""
    path = os.path.abspath(path)
    inside = path.startswith(str(project.ROOT) + os.sep)
    return os.path.relpath(path, project.ROOT) if inside else path


class Progress(io.StringIO):
    """Where a step's output goes: its `step …` lines, shown as one line updated in place on a terminal."""

    def __init__(self, show):
        super().__init__()
        self.show, self.shown = show, False

    def write(self, text):
        for line in text.splitlines():
            if self.show and steprun.loss_of(line) is not None:
                sys.stderr.write(f"\r  {line}")
                sys.stderr.flush()
                self.shown = True
        return super().write(text)


def run_step(n, show=False, **knobs):
    """Run steps/train{n}.py in this process with `knobs` over the environment (the caller's knobs say
    how it trains); return its globals."""
    out = Progress(show)
    try:
        return steprun.execute(n, knobs, keep=project.KNOBS, out=out)[0]
    except SystemExit as e:  # the step's own one line (a bad knob, a wrong dataset)
        raise sampling.SampleError(str(e.code).removeprefix("error: ")) from None
    finally:
        if out.shown:
            sys.stderr.write("\n")


def training_knobs(n, g):
    """The knobs that change the trained weights, as the step reads them from the environment (its own
    knob(), so a bad value is its own one line): all it reads but NUM_SAMPLES and DATASET."""
    try:  # here: only a call that trains or loads needs it
        from . import prepare
    except ImportError:
        import prepare

    found = {}
    for name, default, _ in prepare.knobs(str(project.step_path(n)))[
        :-1
    ]:  # DATASET, last: its content counts
        if name != "NUM_SAMPLES":
            found[name] = g["knob"](name, found[default] if default in found else int(default))
    return found


def cache_key(n, source, data, knobs):
    """What the weights depend on: the step's code, the dataset's bytes and the training knobs."""
    what = {
        "format": FORMAT,
        "step": n,
        "source": hashlib.sha256(source).hexdigest(),
        "dataset": hashlib.sha256(data).hexdigest(),
        "knobs": knobs,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def weights_of(g):
    """The trained numbers: counts for train0, floats for train1, the Values' data for train2-5."""
    tables = {"counts": g["counts"]} if "counts" in g else g["state_dict"]
    return {name: [[getattr(x, "data", x) for x in row] for row in table] for name, table in tables.items()}


def load(g, weights):
    """Put saved numbers into the step's own tables, in place (its functions read them); False if they
    do not fit."""
    tables = {"counts": g["counts"]} if "counts" in g else g["state_dict"]
    if weights.keys() != tables.keys() or any(
        [len(row) for row in tables[name]] != [len(row) for row in weights[name]] for name in tables
    ):
        return False
    for name, table in tables.items():
        for row, saved in zip(table, weights[name]):
            if row and hasattr(row[0], "data"):
                for p, x in zip(row, saved):
                    p.data = x
            else:
                row[:] = saved
    return True


def trained(n, cache=CACHE, check=lambda g: None):
    """Step n's globals with trained weights: loaded from `cache` when this code, data and knobs were
    trained before, else trained now (and saved). `check(g)` vets the request on a cheap run first."""
    g = run_step(n, **CHEAP)
    check(g)
    with open(g["path"], "rb") as f:
        data = f.read()
    try:
        knobs = training_knobs(n, g)
    except SystemExit as e:  # the step's knob(): a bad value
        raise sampling.SampleError(str(e.code).removeprefix("error: ")) from None
    path = cache / f"train{n}-{cache_key(n, project.step_path(n).read_bytes(), data, knobs)[:16]}.json"
    try:
        if load(g, json.loads(path.read_text(encoding="utf-8"))["weights"]):
            print(
                f"train{n}'s weights: {shown(path)} (trained before with this code, data and knobs)",
                file=sys.stderr,
            )
            return g
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # none yet, or not one we wrote: train
        pass
    settings = " ".join(f"{k}={v}" for k, v in knobs.items())
    print(f"training steps/train{n}.py once ({settings}); its weights go to {shown(path)}", file=sys.stderr)
    start = time.perf_counter()
    g = run_step(n, show=sys.stderr.isatty(), NUM_SAMPLES="1")
    saved = {
        "step": n,
        "knobs": knobs,
        "dataset": shown(g["path"]),
        "chars": g["chars"],
        "weights": weights_of(g),
    }
    print(f"trained in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    try:
        dataset.write_atomically(path, json.dumps(saved).encode("utf-8"))
    except OSError as e:  # the names can still be sampled; only the next call pays again
        print(
            f"note: could not keep the weights in {shown(path)} ({e.strerror or e}): "
            "the next call trains again",
            file=sys.stderr,
        )
    return g


# --- the command line -------------------------------------------------------------------------------


def temperature_of(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.001 <= value <= 1000:  # past these: the likeliest or uniform anyway, and logits / T may overflow
        raise ValueError(f"{text!r} is not a number from 0.001 to 1000")
    return value


def seed_of(text):
    if not text.isdecimal():
        raise ValueError(f"{text!r} is not a whole number >= 0")
    return int(text)


def setting(parser, args, name, env, parse=str, default=None):
    """An option, else its environment variable (empty is unset, as for the knobs), else its default."""
    given = getattr(args, name)
    text = given if given is not None else os.environ.get(env, "").strip() or None
    if text is None:
        return default
    try:
        return parse(text)
    except (ValueError, ArgumentTypeError) as e:
        parser.error(f"argument --{name.replace('_', '-')}: {e}" if given is not None else f"{env}: {e}")


def print_top(g, n, prefix, k, temperature):
    t = sampling.default_temperature(g) if temperature is None else temperature
    rows = sampling.top_next(g, prefix, k, temperature)
    after = f"after {prefix!r}" if prefix else "at the start of a name"
    print(f"train{n} at temperature {t:g}, {after}: the {len(rows)} likeliest next characters")
    if "counts" in g:
        same = f": after {prefix!r} it predicts exactly what it predicts after {prefix[-1:]!r}"
        print(f"(train0 looks only at the last character{same if prefix[1:] else ''})")
    for ch, p in rows:
        print(f"  {'end' if ch == sampling.END else repr(ch)}  {p:.4f}")
    if sampling.END in [ch for ch, _ in rows]:
        print("(end: BOS, the name ends here)")


def main(argv=None):
    available = project.step_numbers()
    parser = project.command_line(__doc__, __file__)
    parser.add_argument(
        "n",
        nargs="?",
        type=int,
        choices=available,
        metavar="N",
        help="the step: " + ", ".join(map(str, available)),
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--prompt", metavar="TEXT", help="every name starts with TEXT (PROMPT)")
    what.add_argument("--top", metavar="PREFIX", help="the likeliest next characters after PREFIX (TOP)")
    parser.add_argument(
        "--temperature",
        metavar="T",
        help="from 0.001 to 1000 (TEMPERATURE; default: the "
        "step's own, 0.5; for train0 1: its probabilities p become p**(1/T), renormalised)",
    )
    parser.add_argument("--num-samples", metavar="K", help="names to print (NUM_SAMPLES; default 20)")
    parser.add_argument("--seed", metavar="S", help="seed of the sampling (SEED; default 42)")
    parser.add_argument(
        "--rows", type=project.positive_int, default=10, metavar="K", help="--top rows (default 10)"
    )
    parser.add_argument("--cache", metavar="DIR", default=CACHE, help="the weights' folder (build/sample)")
    args = parser.parse_args(argv)
    if args.n is None:
        parser.error("which step? give a step number N, e.g. 5")
    temperature = setting(parser, args, "temperature", "TEMPERATURE", temperature_of)
    num = setting(parser, args, "num_samples", "NUM_SAMPLES", project.positive_int, 20)
    seed = setting(parser, args, "seed", "SEED", seed_of, 42)
    prompt = setting(parser, args, "prompt", "PROMPT", default="")
    top = setting(parser, args, "top", "TOP")
    if args.prompt is not None:
        top = None  # an option beats a variable left set
    elif args.top is None and top is not None and prompt:
        parser.error("PROMPT and TOP are both set: PROMPT samples names, TOP shows the next ones; unset one")
    text = prompt if top is None else top

    def check(g):  # on the cheap run: a prefix the model cannot read costs no training
        read = sampling.as_read(g, text)
        if read != text:
            print(
                f"note: {text!r} is read as {read!r}: {shown(g['path'])} has no upper case", file=sys.stderr
            )

    try:
        g = trained(args.n, Path(args.cache), check)
        if top is not None:
            print_top(g, args.n, sampling.as_read(g, top), args.rows, temperature)
            return 0
        t = sampling.default_temperature(g) if temperature is None else temperature
        start = f"starting with {sampling.as_read(g, prompt)!r}" if prompt else "from scratch"
        print(f"--- train{args.n}: {num} names {start}, temperature {t:g}, seed {seed} ---")
        for i, name in enumerate(sampling.sample(g, prompt, temperature, num, seed)):
            print(f"sample {i + 1:2d}: {name}")
    except sampling.SampleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")  # a console that cannot show a character
    try:
        project.run_main(main)
    except KeyboardInterrupt:
        sys.exit("interrupted: nothing was saved")
