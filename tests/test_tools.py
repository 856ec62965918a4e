"""The tooling around the steps: the diff printer, the Makefile's verbs, the full-length checker."""

import subprocess
import sys

import pytest

from stepkit import ROOT, SHARED_REFERENCE_LOG, write

sys.path.insert(0, str(ROOT / "tools"))
import check_full  # noqa: E402
import diff  # noqa: E402


def make(*args):
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args], capture_output=True, text=True)


def test_every_diff_is_headed_by_the_idea_it_introduces(capsys):
    assert diff.main(["diff.py", "5"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "train4.py -> train5.py: Step 5 — Adam: this is microgpt"
    assert "--- steps/train4.py\n+++ steps/train5.py\n" in out
    assert "+        m_hat = m[i] / (1 - beta1 ** (step + 1))\n" in out
    assert "\033[" not in out  # not a terminal: no colour codes


def test_colour_marks_added_and_removed_lines():
    assert diff.paint("+x = 1\n", True) == "\033[32m+x = 1\033[0m\n"
    assert diff.paint("-x = 1\n", True) == "\033[31m-x = 1\033[0m\n"
    assert diff.paint(" x = 1\n", True) == " x = 1\n"


def test_diffs_prints_all_five_in_order(capsys):
    assert diff.main(["diff.py", "--all"]) == 0
    heads = [line for line in capsys.readouterr().out.splitlines() if " -> " in line and line.startswith("train")]
    assert [h.split(":")[0] for h in heads] == [f"train{n - 1}.py -> train{n}.py" for n in range(1, 6)]


def test_a_step_without_a_previous_one_is_a_clear_error(capsys):
    assert diff.main(["diff.py", "0"]) == 2
    assert "usage" in capsys.readouterr().err


def test_code_lines_drop_prose_comments_and_blanks():
    source = '"""Docstring\nmore"""\n# comment\n\nx = 1  # why\n\n    y = "s"\n'
    assert diff.code_lines(source) == ["x = 1\n", '    y = "s"\n']


def test_each_idea_costs_no_more_code_than_the_reference_diffs():
    reference = {1: 112, 2: 130, 3: 53, 4: 72, 5: 13}  # ladder.md, code only
    for n, limit in reference.items():
        assert 0 < diff.count(n) <= limit, f"train{n - 1} -> train{n}: {diff.count(n)} changed code lines"


def test_make_lists_its_verbs():
    out = make().stdout
    for verb in ("step0", "diff1", "diffs", "test", "notebooks", "lab", "exercises", "docs", "ladder", "check-full", "bench", "clean"):
        assert verb in out


def test_make_passes_knobs_through_to_the_steps(tmp_path):
    result = make("-n", "step3", "NUM_STEPS=7")
    assert result.returncode == 0 and "steps/train3.py" in result.stdout
    names = write(tmp_path / "names.txt", "anna\nbob\n")  # any dataset will do: the real one is not needed
    result = make("step0", "NUM_STEPS=2", "NUM_SAMPLES=1", f"DATASET={names}")
    assert "step    2 /    2" in result.stdout, result.stderr


def test_make_diff_prints_the_diff():
    result = make("diff2")
    assert result.returncode == 0 and result.stdout.startswith("train1.py -> train2.py: Step 2")


def test_check_full_reads_the_figures_of_a_run():
    out = "num docs: 3\nstep    1 /    2 | loss 3.0000\nstep    2 /    2 | loss 2.0000\n\nsample  1: ab\nsample  2: \n"
    assert check_full.figures(out) == (3.0, 2.0, 2.5, "ab ")
    assert check_full.compare_log("a\nb\n", "a\nc\n") == "line 2 differs: 'b' vs reference 'c'"
    assert check_full.compare_log("a\n", "a\n") is None
    assert check_full.without_gradient_check("x\ngradient check | …\ny\n") == "x\ny\n"


def test_the_golden_copy_of_the_reference_log_is_the_reference():
    if not SHARED_REFERENCE_LOG.is_file():
        pytest.skip("no ../shared/reference beside the repo (CI has it; a learner's clone does not need it)")
    assert (ROOT / "tests" / "golden" / "train5.log").read_bytes() == SHARED_REFERENCE_LOG.read_bytes()
