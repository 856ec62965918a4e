"""tools/measure/ladder.py: its held-out loss and running mean, a quick ladder never overwrites the committed
figures, and the committed full-length ladder (docs/results/ladder.md, ladder.json, the plot) is consistent.
(The quick ladder the site is built from is checked in test_docs.py.)"""

import json
import math
import re

import pytest

from tools.measure import ladder
from tools.project import QUICK
from tools.site import ext as site

from stepkit import ROOT, losses, names_txt, step_numbers

STEPS = step_numbers()
DOCS = ROOT / "docs" / "results"


# --- the ladder tool ------------------------------------------------------------------------------


def test_held_out_loss_of_an_empty_count_table_is_log_vocab():
    env = {
        "counts": [[0] * 27 for _ in range(27)],
        "probabilities": lambda row: [(c + 1) / (sum(row) + 27) for c in row],
    }
    assert ladder.position_losses(env, [26, 0, 1, 26]) == pytest.approx([math.log(27)] * 3)


def test_a_quick_ladder_refuses_to_overwrite_the_committed_figures(capsys):
    before = {p: p.stat().st_mtime_ns for p in DOCS.glob("ladder.*")}
    with pytest.raises(SystemExit):
        ladder.main(["--steps", "3"])
    assert "--out" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in DOCS.glob("ladder.*")} == before


@pytest.mark.parametrize("n", [STEPS[0], 2])  # a float loss, a Value's
def test_the_recorder_keeps_each_printed_loss_at_full_precision(n):
    env, out, recorder, _ = ladder.run_step(n, {**QUICK["code"], "DATASET": str(names_txt())})
    assert len(recorder.losses) == 1 and recorder.printed == losses(out)
    assert recorder.losses[0] == getattr(env["loss"], "data", env["loss"]) != recorder.printed[0]


def test_running_mean():
    assert ladder.running_mean([1, 3, 5, 7], window=2) == [1, 2, 4, 6]


# --- the committed full-length figures ------------------------------------------------------------


def ladder_md_rows():
    text = (DOCS / "ladder.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"\| \[train\d+\]", line)]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_committed_ladder_md_has_a_row_of_finite_numbers_per_step():
    rows = ladder_md_rows()
    assert [re.match(r"\[train(\d+)\]", r[0]).group(1) for r in rows] == [str(n) for n in STEPS]
    for row in rows:
        numbers = [float(cell.rstrip(" s")) for cell in row[3:7]]
        assert all(math.isfinite(x) for x in numbers) and min(numbers[:3]) > 0 and numbers[3] >= 0, (
            row
        )  # train0 takes 0.0 s
        assert numbers[2] == pytest.approx(math.exp(numbers[1]), abs=0.01)  # perplexity = exp(held-out loss)


def test_committed_ladder_json_matches_ladder_md_and_the_plot_exists():
    data = json.loads((DOCS / "ladder.json").read_text(encoding="utf-8"))
    assert data["num_steps"] == "default" and data["heldout_names"] == ladder.HELD_OUT
    rows = ladder_md_rows()
    assert len(rows) == len(data["steps"])
    for row, r in zip(rows, data["steps"]):
        link = row[0].removeprefix(f"[train{r['step']}](").removesuffix(")")  # relative to docs/results/
        assert (DOCS / link).resolve() == ROOT / "steps" / f"train{r['step']}.py", row[0]
        assert row[1] == r["idea"] == ladder.idea(r["step"])
        assert row[2] == ladder.fmt_params(r["params"])
        assert row[3:7] == [
            f"{r['final_train_loss']:.4f}",
            f"{r['heldout_loss']:.4f}",
            f"{r['heldout_perplexity']:.2f}",
            f"{r['wall_seconds']:.1f} s",
        ]
        assert len(r["losses"]) == r["num_steps"] == 1000 and r["heldout_trained_on"] == 0
        assert r["final_train_loss"] == pytest.approx(sum(r["losses"][-100:]) / 100, abs=1e-12)
        assert r["heldout_perplexity"] == pytest.approx(math.exp(r["heldout_loss"]))
    for name in ("loss_curves.svg", "loss_curves.png"):
        assert (DOCS / name).stat().st_size > 10_000, name


def test_the_train_loss_column_says_it_is_a_mean_wherever_the_table_is():
    """A full run ends on one name's loss (train5: `step 1000 / 1000 | loss 2.6497`), the column is a mean of
    many: its header says so in the README, docs/results/ladder.md, the terminal and the docs site."""
    data = ladder.load()
    header = f"train loss, mean of last {ladder.LAST} steps"
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("<!-- fig ladder-table -->\n", 1)[1]
    tables = {
        "README.md": readme,
        "docs/results/ladder.md": (DOCS / "ladder.md").read_text(encoding="utf-8"),
        "terminal": ladder.table(data, link=lambda r: f"train{r['step']}"),
    }
    for where, text in tables.items():
        head = next(line for line in text.splitlines() if line.startswith("| step |"))
        assert f"| {header} |" in head, f"{where}: {head}"
    assert f"| {header} |" in site.ladder_markdown(data)
    assert "final train loss" not in (DOCS / "ladder.md").read_text(encoding="utf-8") + site.ladder_markdown(
        data
    )
