"""Time every step: wall time, steps per second and peak memory, written to docs/bench.md.

    python3 tools/bench.py                      # every step with its defaults (about 8 minutes)
    python3 tools/bench.py --steps 100          # each step stopped after 100 steps (STOP_AFTER)
    python3 tools/bench.py --baseline HEAD~1    # also run that commit's steps, side by side

With --baseline, the other commit is checked out with `git worktree` and each step runs in both
versions at the same moment (one per core), so the ratio compares like with like; the outputs
of the two are compared too, since speed work must not change a single printed number.
"""

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def steps(root):
    found = (re.fullmatch(r"train(\d+)\.py", name) for name in os.listdir(os.path.join(root, "steps")))
    return sorted(int(m.group(1)) for m in found if m)


def start(root, step, knobs):
    env = dict(os.environ, **knobs)
    with open(os.path.join(ROOT, "data", "names.txt"), "rb"):
        pass  # fail here, clearly, rather than inside the timed run
    env.setdefault("DATASET", os.path.join(ROOT, "data", "names.txt"))
    return subprocess.Popen([sys.executable, os.path.join(root, "steps", f"train{step}.py")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True), time.perf_counter()


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
    return sum(1 for line in output.splitlines() if line.startswith("step "))


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


class Worktree:
    """A temporary checkout of another commit, removed afterwards."""

    def __init__(self, rev):
        self.rev, self.path = rev, tempfile.mkdtemp(prefix="bench-")

    def __enter__(self):
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", self.path, self.rev],
                       check=True, capture_output=True)
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


def table(rows):
    compare = "before_wall" in rows[0]
    head = "| step | steps | wall time (s) | steps/s | peak RSS (MB) |"
    rule = "|---|---:|---:|---:|---:|"
    if compare:
        head += " before (s) | before RSS (MB) | after / before | output identical |"
        rule += "---:|---:|---:|:---:|"
    lines = [head, rule]
    for r in rows:
        line = f"| train{r['step']} | {r['steps']} | {r['wall']:.1f} | {r['steps'] / r['wall']:.1f} | {r['rss']:.0f} |"
        if compare:
            ratio = r["wall"] / r["before_wall"]
            line += f" {r['before_wall']:.1f} | {r['before_rss']:.0f} | {ratio:.2f} | {'yes' if r['same'] else 'NO'} |"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="stop each step after this many training steps (STOP_AFTER)")
    parser.add_argument("--only", help="comma-separated step numbers, e.g. 2,5")
    parser.add_argument("--baseline", metavar="REV", help="a commit to run side by side for a before/after ratio")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "bench.md"), help="markdown file to write ('-' for none)")
    args = parser.parse_args(argv)
    only = [int(n) for n in args.only.split(",")] if args.only else steps(ROOT)
    knobs = {"STOP_AFTER": str(args.steps)} if args.steps else {}
    if not os.path.exists(os.path.join(ROOT, "data", "names.txt")):
        return "error: data/names.txt is missing: run `make data` (or any step) first"
    if args.baseline:
        with Worktree(args.baseline) as other:
            rows = bench(only, knobs, other)
    else:
        rows = bench(only, knobs)
    what = f"each step stopped after {args.steps} steps" if args.steps else "each step with its defaults"
    report = [f"# Benchmark", "", f"{datetime.date.today()}, {what}. Machine: {machine()}.", ""]
    if args.baseline:
        report += [f"Before = commit `{args.baseline}`, run at the same moment as after (one per core).", ""]
    report += [table(rows), "", "How the autograd steps got ~10x faster without changing a bit: [speed.md](speed.md).", ""]
    text = "\n".join(report)
    print(text)
    if args.out != "-":
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
