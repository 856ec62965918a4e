"""tools/steprun.py: a step run in a process or in this one, what it prints read back (and output that is
not a step's refused, in one line that says where); the quick-mode presets and the positive-integer
rule each defined once, in tools/project.py."""

import argparse
import ast
import os
import sys

import pytest

from tools import project, steprun

from stepkit import REFERENCE_LOG, STEPS, write

RUN = """num docs: 3
vocab size: 4
num params: 12
gradient check | loss_n 1.386294 | loss_a 1.386294 | max diff 0.00000000
step    1 /    2 | loss 1.3863
step    2 /    2 | loss 1.2000

--- inference (new, hallucinated names) ---
sample  1: ab
sample  2: \n"""


# --- parse ----------------------------------------------------------------------------------------


def test_a_printed_run_is_read_back():
    printed = steprun.parse(RUN)
    assert (printed.docs, printed.vocab, printed.params, printed.num_steps) == (3, 4, 12, 2)
    assert printed.check == "gradient check | loss_n 1.386294 | loss_a 1.386294 | max diff 0.00000000"
    assert printed.losses == [1.3863, 1.2] and printed.samples == ["ab", ""]
    assert "\n".join(line for _, line in printed.lines) + "\n" == RUN  # every line, as printed
    assert printed.figure_lines() == [
        "num docs: 3",
        "vocab size: 4",
        "num params: 12",
        "step    1 /    2 | loss 1.3863",
        "step    2 /    2 | loss 1.2000",
        "sample  1: ab",
        "sample  2:",
    ]


def test_the_reference_log_is_a_run_of_train5():
    printed = steprun.parse(REFERENCE_LOG.read_text(encoding="utf-8"))
    assert (printed.docs, printed.vocab, printed.params, printed.check) == (32033, 27, 4192, None)
    assert len(printed.losses) == printed.num_steps == 1000 and printed.losses[-1] == 2.6497
    assert len(printed.samples) == 20 and printed.samples[0] == "kamon"


def test_a_run_that_stopped_early_is_read_as_far_as_it_went():
    stopped = RUN.split("step    2")[0]
    printed = steprun.parse(stopped)
    assert printed.losses == [1.3863] and printed.samples == [] and printed.num_steps == 2
    assert steprun.parse("") == steprun.Printed()
    assert steprun.parse(RUN.replace("\n", "\r\n")).samples == ["ab", ""]  # a Windows pipe's line ends


@pytest.mark.parametrize(
    "text,why",
    [
        ("vocab size: 4\n", r"line 1, 'vocab size: 4': out of order: a step prints a 'docs' line first"),
        (RUN.replace("sample  1", "Sample  1"), r"line 9, 'Sample  1: ab': no step prints such a line"),
        (RUN.replace("loss 1.2000", "loss 1,2000"), r"line 6, .*: no step prints such a line"),
        (RUN.replace("step    2 /", "step    3 /"), r"line 6, .*: step 3 of 2 after step 1 of 2"),
        (RUN.replace("/    2 | loss 1.2", "/    3 | loss 1.2"), r"line 6, .*: step 2 of 3 after step 1 of 2"),
        (
            RUN.replace("\n\n", "\n"),
            r"line 7, .*: out of order: a step prints a 'step' or 'blank' line after a",
        ),
        (RUN.replace("sample  2", "sample  3"), r"line 10, 'sample  3: ': sample 3 after sample 1"),
        (
            RUN + "Traceback (most recent call last):\n",
            r"line 11, 'Traceback .*': no step prints such a line",
        ),
    ],
)
def test_output_that_is_not_a_steps_fails_clearly(text, why):
    with pytest.raises(steprun.OutputError, match="^not a step's output: " + why):
        steprun.parse(text)


def test_not_strict_it_picks_a_steps_lines_out_of_a_notebooks():
    text = "✓ adam\n" + RUN.replace("\n\n", "\nsome other line\n\n") + "Sample 3: no\n"
    printed = steprun.parse(text, strict=False)
    assert printed.figure_lines() == steprun.parse(RUN).figure_lines()
    assert (printed.losses, printed.samples) == ([1.3863, 1.2], ["ab", ""])
    assert printed.check == steprun.parse(RUN).check


def test_a_loss_line_is_told_from_any_other():
    assert steprun.loss_of("step   12 / 1000 | loss 2.4730") == 2.473
    assert steprun.loss_of("step   12 / 1000 | loss nan") != steprun.loss_of("step 1 / 1 | loss 1.0")  # nan
    assert steprun.loss_of("step 12 of the lesson") is None and steprun.loss_of("sample  1: ab") is None


# --- run and execute ------------------------------------------------------------------------------


def test_a_run_in_a_process_and_in_this_one_print_the_same(tmp_path, monkeypatch):
    names = write(tmp_path / "names.txt", "anna\nbob\ncyd\n")
    monkeypatch.setenv("NUM_SAMPLES", "7")  # the caller's knob: left out, unless kept
    knobs = {"DATASET": names, "NUM_STEPS": 4}
    result = steprun.run(0, knobs)
    before = dict(os.environ)
    g, output = steprun.execute(0, knobs)
    assert dict(os.environ) == before  # restored
    assert result.returncode == 0 and result.stdout == output, result.stderr
    printed = steprun.parse(output)
    assert (printed.docs, printed.num_steps, len(printed.samples)) == (3, 4, 20) and g["NUM_STEPS"] == 4
    assert len(steprun.parse(steprun.execute(0, knobs, keep=project.KNOBS)[1]).samples) == 7


def test_a_step_that_stops_raises_its_one_line_with_the_environment_restored():
    before = dict(os.environ)
    with pytest.raises(SystemExit, match="NUM_STEPS must be a positive integer"):
        steprun.execute(0, {"NUM_STEPS": "²"})
    assert dict(os.environ) == before


def test_the_environment_of_a_run_is_the_callers_without_its_knobs_then_the_knobs():
    env = {"PATH": "/bin", "NUM_STEPS": "9", "DATASET": "mine.txt", "N_EMBD": "8"}
    assert steprun.environment({"N_EMBD": 4}, env) == {"PATH": "/bin", "N_EMBD": "4"}
    assert steprun.environment({}, env, keep=("DATASET",)) == {"PATH": "/bin", "DATASET": "mine.txt"}


# --- defined once, in tools/project.py ------------------------------------------------------------

TRICKY = ["²", "٣", "+5", " 7 ", "1e3", "0", "-3", "", " ", "12", "007", "1_000", "3.0"]
ACCEPTED = {"٣", " 7 ", "12", "007"}  # decimal digits (any script's), spaces around them aside, > 0


def step_knobs():
    """Every step's own knob(), compiled from its source as it is: [(step, function)]."""
    found = []
    for path in sorted(STEPS.glob("train*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        node = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "knob")
        scope = {"os": os, "sys": sys}
        exec(compile(ast.Module([node], []), str(path), "exec"), scope)
        found.append((path.stem, scope["knob"]))
    return found


def accepts(parse, text):
    """Whether `parse` takes `text`; a refusal must be its own (SystemExit, ArgumentTypeError): no crash."""
    try:
        parse(text)
    except (SystemExit, argparse.ArgumentTypeError):
        return False
    return True


@pytest.mark.parametrize("text", TRICKY)
def test_positive_int_accepts_exactly_what_the_steps_knob_accepts(text, monkeypatch):
    def read_by(knob):
        def parse(value):
            monkeypatch.setenv("SOME_KNOB", value)
            return knob("SOME_KNOB", 0)  # an invalid default: a blank value falls back to it, so fails

        return parse

    for step, knob in step_knobs():
        assert accepts(read_by(knob), text) == (text in ACCEPTED), step
    assert accepts(project.positive_int, text) == (text in ACCEPTED)
    if not text.strip().isdecimal():  # a list of steps is read by the same rule
        assert not accepts(project.step_list, text)
    if text in ACCEPTED:
        assert project.positive_int(text) == read_by(step_knobs()[0][1])(text) == int(text)


def test_the_quick_presets_of_the_site_and_the_lab_are_the_ones_in_project():
    """tools/site/build.py and tools/browser/lab.py read their presets from project.QUICK."""
    from tools.browser import lab
    from tools.site import build as site

    assert site.QUICK is project.QUICK["site"] and lab.QUICK is project.QUICK["lab"]
    assert project.QUICK["site"]["notebook_steps"] == int(project.QUICK["notebook"]["NUM_STEPS"])


def test_a_knob_preset_is_knobs_set_as_the_environment_has_them():
    for name, preset in project.QUICK.items():
        if name != "site":  # the quick site's sizes, not knobs
            assert set(preset) <= set(project.KNOBS), name
            assert all(isinstance(value, str) for value in preset.values()), name
