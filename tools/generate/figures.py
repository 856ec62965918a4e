"""Every figure README.md and docs/*.md quote, written from the one source that measured it.

    python3 -m tools.generate.figures            # rewrite them all (make figures; make bench and make ladder
    run it)
    python3 -m tools.generate.figures --stale    # change nothing: one line per copy that differs from its
    source, exit
    1

A figure in a Markdown file sits between two HTML comments, which a rendered page does not show:
`<!-- fig bench-wall:5 -->~31 s<!-- /fig -->`; a table or a paragraph likewise, on lines of its own.
The name says which function of FIGURES below writes it, from:
  docs/results/ladder.json                  `make ladder` (losses, perplexities, parameters, how long the
  ladder takes)
  docs/results/bench.json, bench_baseline.json   `make bench` (every step's wall time, the speed-up over the
  baseline)
  docs/results/setup.json                   `make bench BENCH_ARGS=--setup` (building .venv: seconds, MB on
  disk)
  the reference log                 the last lines train5 prints (tools/project.py's reference_log())
  steps/trainN.py                   their code lines and the changed code lines of each diff (tools/diff.py)
  tools/exercises/student.py                the exercises and their minutes
  tools/dataset.py                  the size of names.txt
docs/results/ladder.md and docs/results/bench.md are generated whole, from their JSON, by the same functions
that
`make ladder` and `make bench` use. tests/test_figures.py fails when any copy disagrees with its source.
"""

import os
import re
import sys
import textwrap

from .. import dataset, diff, steprun
from ..measure import bench, ladder
from ..project import ROOT, command_line, pinned_environment, reference_log, run_main

ROOT = str(ROOT)

MARKED = ["README.md", "docs/exercises.md", "docs/speed.md"]  # the hand-written pages that quote figures
FIGURE = re.compile(r"<!-- fig (?P<name>[\w:-]+) -->(?P<text>.*?)<!-- /fig -->", re.S)


def seconds(wall):
    return "< 1 s" if wall < 1 else f"~{wall:.0f} s"


def bench_rows(name=bench.ALONE):
    return {r["step"]: r for r in bench.load(name)["rows"]}


def bench_wall(step):
    """A step's full run, as `make bench` timed it alone: `~31 s`."""
    return seconds(bench_rows()[int(step)]["wall"])


def bench_range(steps):
    """The full runs of steps a-b: `11–31 s`."""
    first, last = (int(n) for n in steps.split("-"))
    walls = [r["wall"] for n, r in bench_rows().items() if first <= n <= last]
    return f"{min(walls):.0f}–{max(walls):.0f} s"


def speedup(steps):
    """How many times faster steps a-b run than in the baseline commit, side by side: `10–15×`."""
    first, last = (int(n) for n in steps.split("-"))
    ratios = [
        r["before_wall"] / r["wall"] for n, r in bench_rows(bench.SIDE_BY_SIDE).items() if first <= n <= last
    ]
    return f"{min(ratios):.0f}–{max(ratios):.0f}×"


def ladder_intro():
    data = ladder.load()
    first = data["steps"][0]
    return textwrap.fill(
        f"Every step trained with its defaults ({first['num_steps']:,} names, one per step), then scored on "
        f"{data['heldout_names']:,} names it never saw ([docs/results/ladder.md](docs/results/ladder.md) "
        "says exactly how; "
        f"`make ladder` regenerates it in {bench.about(ladder.duration(data))}):",
        100,
    )


def ladder_table():
    return ladder.table(ladder.load(), link=lambda r: f"[train{r['step']}]({r['file']})", wall=False)


def ladder_window():
    """How many of the last step losses the ladder's train loss averages: `100`."""
    return str(ladder.load()["steps"][0]["final_train_window"])


def ladder_train_loss(step):
    return f"{next(r for r in ladder.load()['steps'] if r['step'] == int(step))['final_train_loss']:.4f}"


def full_run():
    """What a full `make step5` prints, read back: the reference log, which train5 reproduces."""
    with open(reference_log(), encoding="utf-8") as f:
        return steprun.parse(f.read())


def run_tail():
    """The last lines a full `make step5` prints, as a code block: its last two steps, then the samples."""
    lines = full_run().lines
    last_steps = [i for i, (kind, _) in enumerate(lines) if kind == "step"][-2:]
    return "\n".join(["```", *(line for _, line in lines[last_steps[0] :]), "```"])


def run_last_loss():
    """The loss on the last training line a full `make step5` prints: `2.6497`."""
    return f"{full_run().losses[-1]:.4f}"


def setup_time():
    """How long building .venv took (the first `make test`, before its tests): `about 40 s`."""
    return bench.about(bench.load(bench.SETUP)["seconds"])


def setup_size():
    """What .venv takes on disk, to the nearest 10 MB: `320 MB`."""
    return f"{round(bench.load(bench.SETUP)['mb'], -1):.0f} MB"


def code_lines(step=None):
    """The code lines of a step (the last by default): no docstrings, comments or blank lines."""
    return str(len(diff.code_lines(diff.read(int(step) if step else diff.steps()[-1]))))


def diff_table():
    lines = ["| diff | changed code lines | the reference's |", "|---|---:|---:|"]
    lines += [
        f"| train{n - 1} → train{n} | {diff.count(n)} | {diff.REFERENCE_COUNT.get(n, '—')} |"
        for n in diff.steps()[1:]
    ]
    return "\n".join(lines)


def exercise_list():
    with pinned_environment():
        from ..exercises import student as exercises  # needs the .venv (nbformat): only this figure does

    return [exercise for n in diff.steps() for _, exercise, _ in exercises.exercises(n)]


def exercises_summary():
    """`11 exercises, about 2½ hours`."""
    found = exercise_list()
    hours = sum(exercise.minutes for exercise in found) / 60
    halves = round(hours * 2)
    return f"{len(found)} exercises, about {halves // 2}{'½' if halves % 2 else ''} hours"


def dataset_size():
    return f"{round(dataset.SIZE / 1000)} KB"


FIGURES = {
    "bench-wall": bench_wall,
    "bench-range": bench_range,
    "speedup": speedup,
    "ladder-intro": ladder_intro,
    "ladder-table": ladder_table,
    "ladder-window": ladder_window,
    "ladder-train-loss": ladder_train_loss,
    "run-tail": run_tail,
    "run-last-loss": run_last_loss,
    "setup-time": setup_time,
    "setup-size": setup_size,
    "code-lines": code_lines,
    "diff-table": diff_table,
    "exercises": exercises_summary,
    "dataset-size": dataset_size,
}
GENERATED = {  # whole files, written from their JSON
    "docs/results/ladder.md": lambda: ladder.markdown(ladder.load()),
    "docs/results/bench.md": lambda: bench.markdown(
        bench.load(bench.ALONE), bench.load(bench.SIDE_BY_SIDE), bench.load(bench.SETUP)
    ),
}


def render(name):
    key, _, argument = name.partition(":")
    if key not in FIGURES:
        raise KeyError(f"unknown figure {name!r} (tools/generate/figures.py FIGURES)")
    text = FIGURES[key](argument) if argument else FIGURES[key]()
    return f"\n{text}\n" if "\n" in text else text


def rewrite(text):
    """`text` with every marked figure written from its source."""
    return FIGURE.sub(lambda m: f"<!-- fig {m['name']} -->{render(m['name'])}<!-- /fig -->", text)


def read(relative):
    with open(os.path.join(ROOT, relative), encoding="utf-8") as f:
        return f.read()


def expected():
    """{path relative to the repo: the text it should have}, for every file that quotes or is a figure."""
    out = {path: make() for path, make in GENERATED.items()}
    out.update({path: rewrite(read(path)) for path in MARKED})
    return out


def differences(relative, have, want):
    """One line per figure of `have` that differs from `want` (the same file with its figures rewritten)."""
    if relative in GENERATED:
        return [] if have == want else [f"{relative} differs from what its JSON generates"]
    if have.count("<!-- fig ") != len(FIGURE.findall(have)):
        return [f"{relative}: a `<!-- fig NAME -->` without its `<!-- /fig -->`"]
    return [
        f"{relative}: figure {m['name']} "
        + (
            f"says {m['text']!r}, its source says {n['text']!r}"
            if "\n" not in m["text"] + n["text"]
            else "differs from its source"
        )
        for m, n in zip(FIGURE.finditer(have), FIGURE.finditer(want))
        if m["text"] != n["text"]
    ]


def problems():
    """One line per copy that disagrees with its source; empty when every figure is up to date."""
    try:
        want = expected()
    except (KeyError, OSError, ValueError) as error:
        return [f"error: {error}"]
    return [line for path, text in want.items() for line in differences(path, read(path), text)]


def main(argv=None):
    parser = command_line(__doc__, __file__)
    parser.add_argument(
        "--stale", action="store_true", help="change nothing: one line per copy that differs, exit 1"
    )
    check = parser.parse_args(argv).stale
    found = problems()
    if check or any(line.startswith("error: ") for line in found):
        for line in found:
            print(line, file=sys.stderr)
        if found and check:
            print("run `make figures` to write every figure from its source", file=sys.stderr)
        return 1 if found else 0
    for path, text in expected().items():
        if read(path) != text:
            with open(os.path.join(ROOT, path), "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    run_main(main)
