"""Time every step: wall time, steps per second and peak memory, into docs/results/bench.json and
docs/results/bench.md.

    python3 -m tools.measure.bench                      # every step with its defaults, one after the other
    python3 -m tools.measure.bench --baseline HEAD~1    # also run that commit's steps, side by side
    python3 -m tools.measure.bench --steps 100          # each step stopped after 100 steps (STOP_AFTER):
    printed only
    python3 -m tools.measure.bench --setup              # the first `make test`'s cost: a fresh .venv, timed,
    sized

A run with the defaults writes docs/results/bench.json; a --baseline run writes
docs/results/bench_baseline.json
(the same figures, with the other commit's beside them). docs/results/bench.md is generated from both, in
full: never edit it by hand. `make bench` then runs tools/generate/figures.py, which copies the figures
into README.md and docs/*.md.

With --baseline, the other commit is checked out with `git worktree` and each step runs in both
versions at the same moment (one per core), so the ratio compares like with like; the outputs
of the two are compared too, since speed work must not change a single printed number.

With --setup (`make bench BENCH_ARGS=--setup`), it builds a fresh .venv in a temporary folder the way
the first `make test` does (tools/run_tests.py, this Python), from the package index with pip's cache
off and none of this machine's pip configuration (a local mirror would make it look cheaper than a
learner's), then records the seconds and the MB on disk in docs/results/setup.json; bench.md quotes them too.
"""

import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import run_tests, steprun
from ..project import DATASET, RESULTS, ROOT, command_line, positive_int, run_main, step_list, step_numbers

DOCS = str(RESULTS)
ALONE, SIDE_BY_SIDE = "bench.json", "bench_baseline.json"  # in DOCS: the two kinds of run
SETUP = "setup.json"  # in DOCS: building .venv, what the first `make test` does before its tests
# The pip settings a learner may need too, to reach the index at all; every other PIP_* setting is left out.
NETWORK = ("PIP_PROXY", "PIP_CERT", "PIP_CLIENT_CERT", "PIP_TRUSTED_HOST")
# The reference microgpt's full run, measured on a 2-core machine here (../shared/reference/README.md):
# a figure of the specification, not of this repository, so it is quoted, not measured, by bench.md.
REFERENCE = {"wall": 220, "rss": 64}


def start(root, step, knobs):
    """Start one run of a step under `root` (this checkout, or the baseline's); the caller's knobs left out
    but DATASET, whose names both checkouts read."""
    with open(DATASET, "rb"):
        pass  # fail here, clearly, rather than inside the timed run
    env = {"DATASET": str(DATASET), **os.environ}
    proc = steprun.run(step, knobs, env=env, keep=("DATASET",), root=root, capture="stdout", popen=True)
    return proc, time.perf_counter()


def finish(proc, started):
    """Wait for one run; return (wall seconds, peak RSS in MB, output)."""
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"error: {proc.args[-1]} exited with status {proc.returncode}")
    return wall, usage.ru_maxrss / 1024, out


def count_steps(output):
    return len(steprun.parse(output).losses)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


class Worktree:
    """A temporary checkout of another commit, removed afterwards."""

    def __init__(self, rev):
        self.rev, self.path = rev, tempfile.mkdtemp(prefix="bench-")

    def __enter__(self):
        subprocess.run(
            ["git", "-C", ROOT, "worktree", "add", "--detach", self.path, self.rev],
            check=True,
            capture_output=True,
        )
        return self.path

    def __exit__(self, *exc):
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", self.path], capture_output=True)


def bench(only, knobs, baseline_root=None):
    rows = []
    for step in only:
        print(f"train{step} …", end=" ", flush=True, file=sys.stderr)
        runs = [start(ROOT, step, knobs)]
        if baseline_root:
            runs.append(start(baseline_root, step, knobs))  # at the same moment, on the other core
        after, *before = [finish(*run) for run in runs]
        row = {"step": step, "wall": after[0], "rss": after[1], "steps": count_steps(after[2])}
        if before:
            row.update(before_wall=before[0][0], before_rss=before[0][1], same=before[0][2] == after[2])
        rows.append(row)
        print(f"{after[0]:.1f} s", file=sys.stderr)
    return rows


def disk_mb(folder):
    """The space a folder takes on disk in MB (2**20 bytes, hard links once), as `du -sm` counts it."""
    seen, total = set(), 0
    for where, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            info = os.lstat(os.path.join(where, name))
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512 if hasattr(info, "st_blocks") else info.st_size
    return total / 2**20


def pip_defaults():
    """This environment, with pip as a fresh install has it: no configuration file, no PIP_* variable but
    those for reaching the network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in NETWORK}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def setup():
    """Build .venv afresh as the first `make test` does, in a temporary folder; time it and size it."""
    folder = tempfile.mkdtemp(prefix="setup-")
    try:
        venv = Path(folder) / run_tests.VENV.name
        started = time.perf_counter()
        error = run_tests.build(venv, ["--no-cache-dir"], pip_defaults())
        seconds = time.perf_counter() - started
        if error:
            raise SystemExit(error)
        mb = disk_mb(venv)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    pins = [
        line
        for line in run_tests.REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return {
        "generated_by": "tools/measure/bench.py --setup",
        "date": str(datetime.date.today()),
        "machine": machine(),
        "commit": commit(),
        "python": platform.python_version(),
        "pins": len(pins),
        "seconds": seconds,
        "mb": mb,
    }


def setup_summary(data):
    return (
        f"{data['date']}: a fresh .venv ({data['pins']} pins of requirements.txt, Python "
        f"{data['python']}, from the package index with pip's cache off) took {data['seconds']:.0f} s to "
        f"build and takes {data['mb']:.0f} MB on disk. Machine: {data['machine']}."
    )


def table(rows):
    compare = "before_wall" in rows[0]
    head = "| step | steps | wall time (s) | steps/s | peak RSS (MB) |"
    rule = "|---|---:|---:|---:|---:|"
    if compare:
        head += " before (s) | before RSS (MB) | after / before | output identical |"
        rule += "---:|---:|---:|:---:|"
    lines = [head, rule]
    for r in rows:
        speed = r["steps"] / r["wall"]
        line = f"| train{r['step']} | {r['steps']} | {r['wall']:.1f} | {speed:.1f} | {r['rss']:.0f} |"
        if compare:
            ratio = r["wall"] / r["before_wall"]
            same = "yes" if r["same"] else "NO"
            line += f" {r['before_wall']:.1f} | {r['before_rss']:.0f} | {ratio:.2f} | {same} |"
        lines.append(line)
    return "\n".join(lines)


def about(seconds):
    """A duration as a reader wants it: "about 40 s", "about 3 minutes"."""
    return f"about {seconds:.0f} s" if seconds < 90 else f"about {round(seconds / 60)} minutes"


def when(data):
    """The line that says what was measured, when and where."""
    what = (
        f"each step stopped after {data['stop_after']} steps"
        if data["stop_after"]
        else "each step with its defaults"
    )
    return f"{data['date']}, {what}. Machine: {data['machine']}."


def load(name=ALONE, folder=DOCS):
    """A run's figures (bench.json or bench_baseline.json), or None when that kind was never run."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def markdown(alone, side_by_side=None, setup=None):
    """docs/results/bench.md, all of it, from the three runs' figures (any may be None: not run yet)."""
    how_long = (
        f"every step alone, {about(sum(r['wall'] for r in alone['rows']))}" if alone else "every step alone"
    )
    text = [
        "# Benchmark",
        "",
        "Generated by `make bench` (tools/measure/bench.py) from docs/results/bench.json, "
        "bench_baseline.json and setup.json: do",
        f'not edit by hand. Regenerate with `make bench` ({how_long}) or `make bench BENCH_ARGS="--baseline '
        'REV"`',
        "(side by side with another commit).",
        "",
    ]
    if alone:
        text += ["## Every step alone", "", when(alone), "", table(alone["rows"]), ""]
        if not alone["stop_after"]:
            text += [
                f"The reference microgpt takes about {REFERENCE['wall']} s and {REFERENCE['rss']} MB for "
                "train5's "
                "run on a 2-core machine here (a figure of its specification, not measured by this tool).",
                "",
            ]
    if side_by_side:
        text += [
            f"## Side by side with commit `{side_by_side['baseline']}`",
            "",
            when(side_by_side),
            "",
            f"Before = commit `{side_by_side['baseline']}`, after = commit `{side_by_side['commit']}`, each "
            "step run "
            "in both at the same moment (one per core).",
            "",
            table(side_by_side["rows"]),
            "",
        ]
    if setup:
        text += [
            "## Setting up: the first `make test`",
            "",
            setup_summary(setup) + " Measured by "
            "`make bench BENCH_ARGS=--setup`; the tests' own time comes on top.",
            "",
        ]
    text += ["How the autograd steps got faster without changing a bit: [speed.md](../speed.md).", ""]
    return "\n".join(text)


def write(name, data, folder=DOCS):
    """One run's JSON, then bench.md from both kinds of run."""
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    with open(os.path.join(folder, "bench.md"), "w", encoding="utf-8") as f:
        f.write(markdown(load(ALONE, folder), load(SIDE_BY_SIDE, folder), load(SETUP, folder)))


def commit():
    result = subprocess.run(
        ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return result.stdout.strip() or None


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument(
        "--steps", type=positive_int, help="stop each step after this many training steps (STOP_AFTER)"
    )
    parser.add_argument("--only", type=step_list, help="comma-separated step numbers, e.g. 2,5")
    parser.add_argument("--baseline", metavar="REV", help="a commit run side by side: a before/after ratio")
    parser.add_argument("--setup", action="store_true", help="time and size a fresh .venv (setup.json)")
    parser.add_argument(
        "--out",
        help="folder for the JSON and bench.md (default docs/, for runs of every step "
        "with its defaults; a partial run only prints unless given one)",
    )
    args = parser.parse_args(argv)
    if args.setup:
        if args.steps or args.only or args.baseline:
            parser.error("--setup times building .venv, no step: give it no --steps, --only or --baseline")
        data = setup()
        print(setup_summary(data))
        write(SETUP, data, args.out or DOCS)
        print(f"wrote {os.path.relpath(os.path.join(args.out or DOCS, SETUP))} and bench.md")
        return 0
    out = args.out or (None if args.steps or args.only else DOCS)
    only = args.only or step_numbers()
    knobs = {"STOP_AFTER": str(args.steps)} if args.steps else {}
    if not DATASET.exists():
        return "error: data/names.txt is missing: run `make data` (or any step) first"
    if args.baseline:
        with Worktree(args.baseline) as other:
            rows = bench(only, knobs, other)
    else:
        rows = bench(only, knobs)
    data = {
        "generated_by": "tools/measure/bench.py",
        "date": str(datetime.date.today()),
        "machine": machine(),
        "commit": commit(),
        "baseline": args.baseline,
        "stop_after": args.steps,
        "rows": rows,
    }
    print(when(data), table(rows), sep="\n\n")
    if out:
        os.makedirs(out, exist_ok=True)
        write(SIDE_BY_SIDE if args.baseline else ALONE, data, out)
        print(f"wrote {os.path.relpath(os.path.join(out, 'bench.md'))}")
    return 0


if __name__ == "__main__":
    run_main(main)
