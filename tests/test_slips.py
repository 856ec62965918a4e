"""A learner's ordinary slips, each caught at once with one line (tools/dataset.py's prepare(), which every
step runs before its lesson): a knob's name mistyped, arguments given to a step, --help, an empty knob, a
reader that closes the pipe early. And the top of every step stays as short as microgpt's."""

import builtins
import os
import subprocess
import sys

import pytest

from tools import diff
from tools.project import QUICK

from stepkit import ROOT, STEPS, environment, execute, losses, one_clear_line, run, step_numbers

ALL_STEPS = pytest.mark.parametrize("n", step_numbers(), ids=lambda n: f"train{n}")


@pytest.mark.parametrize(
    "typo,knob",
    [
        ("NUM_STEP", "NUM_STEPS"),
        ("NSTEPS", "NUM_STEPS"),
        ("n_embd", "N_EMBD"),
        ("NUM_SAMPLE", "NUM_SAMPLES"),
        ("BLOCKSIZE", "BLOCK_SIZE"),
    ],
)
def test_a_mistyped_knob_is_named_with_the_one_it_means(typo, knob):
    result = run(3, **{typo: "50"})
    one_clear_line(result, f"{typo} is not a knob", f"did you mean {knob}?")
    assert result.stdout == ""  # caught before anything is read or trained


def test_other_variables_are_left_alone():
    result = run(0, NUM_STEPS=2, NUM_SAMPLES=1, HOME_DIR="x", NUMBER_OF_PROCESSORS="2", PYTHONPATH="")
    assert result.returncode == 0, result.stderr


@ALL_STEPS
def test_a_bad_value_stops_the_run_before_it_trains(n):
    result = run(n, NUM_SAMPLES="abc")  # read only at the sampling, checked before training
    one_clear_line(result, "NUM_SAMPLES must be a positive integer, got 'abc'")
    assert result.stdout == ""


def test_a_run_reads_the_source_of_no_step_but_its_own(monkeypatch):
    """prepare() finds the knobs of the step that runs in that step alone (in this process: the file its
    knob() is from), and every knob's name in tools/project.py."""
    opened, real = [], builtins.open

    def spy(file, *args, **kwargs):
        opened.append(os.path.abspath(file) if isinstance(file, (str, os.PathLike)) else file)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    out = execute(3, **QUICK["code"])[1]
    assert "num docs" in out
    assert {p for p in opened if str(p).startswith(str(ROOT / "steps"))} == {
        str(ROOT / "steps" / "train3.py")
    }


@pytest.mark.parametrize(
    "args,example",
    [
        (["NUM_STEPS=50"], "NUM_STEPS=50 python3 steps/train3.py"),
        (["--num-steps", "50"], "NUM_STEPS=50 python3 steps/train3.py"),
        (["--n_embd=8"], "N_EMBD=8 python3 steps/train3.py"),
        (["names.txt"], "NUM_STEPS=50 python3 steps/train3.py"),
    ],
)
def test_arguments_to_a_step_say_how_knobs_are_set(args, example):
    result = subprocess.run(
        [sys.executable, "steps/train3.py", *args],
        cwd=ROOT,
        env=environment({}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = one_clear_line(result, "takes no arguments", repr(args[0]), "--help")
    if os.name != "nt":
        assert example in line and "make step3" in line
    assert result.stdout == ""


@ALL_STEPS
def test_help_lists_the_knobs_with_their_defaults(n):
    result = subprocess.run(
        [sys.executable, str(STEPS / f"train{n}.py"), "--help"],
        cwd=ROOT,
        env=environment({}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == ""
    out = result.stdout
    assert out.splitlines()[0].startswith(f"steps{os.sep}train{n}.py: Step {n} — ")
    rows = {
        line.split()[0]: line.split()[1]
        for line in out.splitlines()
        if line.startswith("  ") and "knob" not in line
    }
    assert rows["NUM_STEPS"] == "1000" and rows["NUM_SAMPLES"] == "20" and rows["DATASET"] == "data/names.txt"
    assert ("N_HEAD" in rows) == (n >= 4) and ("N_EMBD" in rows) == (n >= 1)
    assert "num docs" not in out  # nothing ran


def test_an_empty_knob_is_an_unset_one():
    empty = run(0, NUM_STEPS="", STOP_AFTER=3, NUM_SAMPLES=" ")
    assert empty.returncode == 0, empty.stderr
    assert len(losses(empty.stdout)) == 3 and "step    3 / 1000" in empty.stdout
    assert empty.stdout.count("sample ") == 20


@pytest.mark.skipif(os.name == "nt", reason="a POSIX pipe; the Windows path is the same handler")
@pytest.mark.parametrize(
    "command",
    [[sys.executable, "steps/train0.py"], [sys.executable, "steps/train5.py"]],
    ids=["train0", "train5"],
)
def test_a_reader_that_stops_early_ends_the_step_quietly(command):
    """`python3 steps/train0.py | head`: the step ends with status 0 and no traceback."""
    proc = subprocess.Popen(
        command, cwd=ROOT, env=environment({"NUM_STEPS": 200}), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.readline()
    proc.stdout.close()  # the reader has seen enough
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and err == b"", err.decode()


def test_a_short_run_whose_output_is_still_buffered_ends_quietly_too():
    """All of its output fits in the pipe's buffer: the write fails only at exit, when Python flushes."""
    code = (
        "import subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE); "
        "p.stdout.close(); sys.exit(p.wait())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "steps/train0.py"],
        cwd=ROOT,
        env=environment({"NUM_STEPS": 2, "NUM_SAMPLES": 1}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


@ALL_STEPS
def test_the_code_before_the_tokenizer_is_as_short_as_microgpts(n):
    """What a learner reads first is the lesson, not the plumbing: at most 20 code lines before the
    tokenizer."""
    source = (STEPS / f"train{n}.py").read_text(encoding="utf-8")
    top = source[: source.index("# ## Tokenizer")]
    assert len(diff.code_lines(top)) <= 20, "".join(diff.code_lines(top))
