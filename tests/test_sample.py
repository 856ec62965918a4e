"""tools/sample.py, playing with a trained step: names that start with a prompt, the likeliest next
characters, the weights trained once and kept; and sample() and top_next(), which a notebook calls."""

import json
import math
import os
import re
import subprocess
import sys

import pytest

from tools import prepare, sample, sampling

from stepkit import ROOT, environment, one_clear_line, posix_make, run, samples, step_numbers, write
from steptests import quick

SMALL = {"NUM_STEPS": 5, "N_EMBD": 4}  # train0 has no N_EMBD: it leaves it alone
SETTINGS = ("PROMPT", "TEMPERATURE", "TOP", "SEED")  # the tool's own variables: none left over from the shell
ROW = re.compile(r"  ('.'|end)  (\d\.\d{4})")
# A notebook's functions on a model trained a little: 5 steps of a 5-step schedule, so that train1 checks
# 16 gradients, not all 3,184 (tests/test_train1.py checks them all)
TRAINED = {"NUM_STEPS": 5, "NUM_SAMPLES": 1}
ALL_STEPS = pytest.mark.parametrize("n", step_numbers(), ids=lambda n: f"train{n}")


def tool_env(knobs):
    env = {k: v for k, v in environment({**SMALL, **knobs}).items() if k not in SETTINGS or k in knobs}
    return {k: str(v) for k, v in env.items()}


@pytest.fixture
def call(monkeypatch, capsys, tmp_path):
    """main() in this process, with a small run's knobs as the environment: (status, stdout, stderr)."""

    def main(*args, **knobs):
        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in tool_env(knobs).items():
            monkeypatch.setenv(name, value)
        status = sample.main([*map(str, args), "--cache", str(tmp_path / "cache")])
        out, err = capsys.readouterr()
        return status, out, err

    return main


@pytest.fixture
def runs(monkeypatch):
    """The knobs of every run of a step tools/sample.py makes, in order."""
    seen, real = [], sample.run_step

    def recorded(n, show=False, **knobs):
        seen.append(knobs)
        return real(n, show, **knobs)

    monkeypatch.setattr(sample, "run_step", recorded)
    return seen


def tool(*args, cwd=ROOT, **knobs):
    """tools/sample.py as the user runs it, with a small run's knobs."""
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sample.py"), *map(str, args)],
        cwd=cwd,
        env=tool_env(knobs),
        capture_output=True,
        text=True,
        timeout=300,
    )


def rows(out):
    return [(label, float(p)) for label, p in ROW.findall(out)]


# --- what a notebook calls: sample() and top_next() on a step's globals -------------------------------


@ALL_STEPS
def test_every_name_starts_with_the_prompt(n):
    g, _ = quick(n, **TRAINED)
    names = sampling.sample(g, "ma", n=10)
    assert len(names) == 10 and all(name.startswith("ma") for name in names), names
    assert any(len(name) > 2 for name in names)  # sampled on from the prompt, not just the prompt
    assert all(len(name) <= g["BLOCK_SIZE"] for name in names)


@ALL_STEPS
def test_a_lower_temperature_makes_the_likeliest_character_likelier(n):
    g, _ = quick(n, **TRAINED)
    tops = [sampling.top_next(g, "ma", 1, temperature)[0][1] for temperature in (0.25, 0.5, 1, 2)]
    assert tops == sorted(tops, reverse=True) and len(set(tops)) == 4, tops


def test_train0s_temperature_is_a_power_of_its_probabilities():
    g, _ = quick(0, **TRAINED)
    probs = g["probabilities"](g["counts"][g["chars"].index("a")])
    assert sampling.next_probabilities(g, "a") == probs  # its own sampling: temperature 1
    squared = [p**2 for p in probs]  # T = 0.5: p**(1/T), renormalised
    got = sampling.next_probabilities(g, "a", 0.5)
    assert max(abs(a - b / sum(squared)) for a, b in zip(got, squared)) < 1e-12


def test_train0_only_looks_at_the_last_character():
    g, _ = quick(0, **TRAINED)
    after = {prefix: sampling.top_next(g, prefix, k=27) for prefix in ("mar", "ber", "r", "ma")}
    assert after["mar"] == after["ber"] == after["r"] != after["ma"]
    g3, _ = quick(3, **TRAINED)
    assert sampling.top_next(g3, "mar", k=27) != sampling.top_next(
        g3, "ber", k=27
    )  # context: the whole prefix


def test_top_next_is_sorted_sums_to_one_and_names_the_end():
    g, _ = quick(5, **TRAINED)
    everything = sampling.top_next(g, "ann", k=g["vocab_size"])
    assert [p for _, p in everything] == sorted((p for _, p in everything), reverse=True)
    assert math.isclose(sum(p for _, p in everything), 1, abs_tol=1e-12)
    assert sorted(ch for ch, _ in everything) == sorted([sampling.END, *g["chars"]])
    assert sampling.top_next(g, "ann", k=5) == everything[:5]


def test_the_same_seed_gives_the_same_names():
    g, _ = quick(3, **TRAINED)
    assert sampling.sample(g, "", n=8, seed=1) == sampling.sample(g, "", n=8, seed=1)
    assert sampling.sample(g, "", n=8, seed=1) != sampling.sample(g, "", n=8, seed=2)


def test_a_prefix_the_model_cannot_read_is_a_sample_error():
    g, _ = quick(5, **TRAINED)
    assert sampling.sample(g, "Ma", n=3, seed=0) == sampling.sample(g, "ma", n=3, seed=0)  # names.txt is a-z
    with pytest.raises(sampling.SampleError, match=r"^'1' is not in the vocabulary of .* \(a-z\)"):
        sampling.top_next(g, "m1")
    with pytest.raises(sampling.SampleError, match="at most BLOCK_SIZE = 16 long, so a prefix may have 15"):
        sampling.sample(g, "a" * 16)


# --- the command -------------------------------------------------------------------------------------


def test_it_prints_names_in_the_steps_format(call):
    status, out, err = call(5, "--prompt", "ma", NUM_SAMPLES=4)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "--- train5: 4 names starting with 'ma', temperature 0.5, seed 42 ---"
    assert [line[:13] for line in lines[1:]] == [f"sample {i:2d}: ma" for i in range(1, 5)]
    assert len(samples(out)) == 4


def test_the_weights_are_kept_once_and_reused(call, runs, tmp_path):
    first = call(5, "--prompt", "ma", PROMPT="xx")  # the option wins over the variable
    assert runs == [sample.CHEAP, {"NUM_SAMPLES": "1"}]  # a cheap run for the code, then the training
    kept = list((tmp_path / "cache").iterdir())
    assert len(kept) == 1 and re.fullmatch(r"train5-[0-9a-f]{16}\.json", kept[0].name)  # nothing half-written
    stamp = kept[0].stat().st_mtime_ns
    runs.clear()
    second = call(5, "--prompt", "ma")
    assert runs == [sample.CHEAP] and runs[0]["STOP_AFTER"] == "1"  # not trained again
    assert second[:2] == first[:2]  # the same names from the kept weights as from the training
    assert "trained before with this code, data and knobs" in second[2]
    assert list((tmp_path / "cache").iterdir()) == kept and kept[0].stat().st_mtime_ns == stamp


def test_a_changed_knob_trains_again_and_the_number_of_names_does_not(call, runs, tmp_path):
    call(4)
    call(4, NUM_STEPS=6)
    call(4, N_EMBD=8)
    assert len(list((tmp_path / "cache").glob("train4-*.json"))) == 3
    assert sum(1 for knobs in runs if "STOP_AFTER" not in knobs) == 3
    runs.clear()
    call(4, NUM_SAMPLES=3, N_EMBD=8)  # sampling only
    assert runs == [sample.CHEAP]


def test_the_key_is_the_code_the_data_and_the_knobs():
    key = sample.cache_key(5, b"code", b"anna\n", {"NUM_STEPS": 5})
    assert (
        len(
            {
                key,
                sample.cache_key(5, b"code!", b"anna\n", {"NUM_STEPS": 5}),
                sample.cache_key(5, b"code", b"bob\n", {"NUM_STEPS": 5}),
                sample.cache_key(5, b"code", b"anna\n", {"NUM_STEPS": 6}),
                sample.cache_key(4, b"code", b"anna\n", {"NUM_STEPS": 5}),
            }
        )
        == 5
    )


def test_a_broken_cache_file_is_trained_again(call, runs, tmp_path):
    call(3)
    kept = next((tmp_path / "cache").iterdir())
    kept.write_text('{"weights": {"wte": [', encoding="utf-8")
    runs.clear()
    status, _, err = call(3)
    assert status == 0 and runs[-1] == {"NUM_SAMPLES": "1"}, err
    assert json.loads(kept.read_text(encoding="utf-8"))["step"] == 3


def test_a_cache_that_cannot_be_written_costs_only_the_next_call(call, tmp_path):
    write(tmp_path / "cache", "a file where the folder should be")
    status, out, err = call(0, "--num-samples", 2)
    assert status == 0 and len(samples(out)) == 2 and "note: could not keep the weights in " in err


def test_top_prints_sorted_rows_that_sum_to_at_most_one(call):
    status, out, err = call(5, "--top", "mar", TEMPERATURE="0.8")
    assert status == 0, err
    assert out.startswith("train5 at temperature 0.8, after 'mar': the 10 likeliest next characters\n")
    found = rows(out)
    assert len(found) == 10 and len(out.splitlines()) in (11, 12)
    assert [p for _, p in found] == sorted((p for _, p in found), reverse=True)
    assert sum(p for _, p in found) <= 1
    _, out, _ = call(5, TOP="mar", TEMPERATURE="0.8", NUM_STEPS=5)
    assert rows(out) == found
    _, out, _ = call(5, "--top", "mar", "--rows", 27)
    every = rows(out)
    assert sorted(label for label, _ in every).count("end") == 1 and "(end: BOS, the name ends here)" in out
    assert abs(sum(p for _, p in every) - 1) <= 27 * 0.00005


def test_top_at_a_lower_temperature_has_a_likelier_first_row(call):
    firsts = [rows(call(3, "--top", "ma", TEMPERATURE=t)[1])[0][1] for t in ("0.3", "1", "3")]
    assert firsts == sorted(firsts, reverse=True) and len(set(firsts)) == 3, firsts


def test_top_of_train0_says_that_only_the_last_character_matters(call):
    _, mar, _ = call(0, "--top", "mar")
    _, zr, _ = call(0, "--top", "zr")
    said = (
        "(train0 looks only at the last character: after 'mar' it predicts exactly what it predicts "
        "after 'r')"
    )
    assert said in mar.splitlines()
    assert rows(mar) == rows(zr) and len(rows(mar)) == 10


def test_upper_case_is_read_as_lower_case_when_the_dataset_has_none(call, tmp_path):
    _, lower, _ = call(0, "--top", "mar")
    status, upper, err = call(0, "--top", "Mar")
    assert status == 0 and rows(upper) == rows(lower)
    assert "note: 'Mar' is read as 'mar': " in err and err.count("\n") == 2  # the note, the training line
    own = write(tmp_path / "own.txt", "Anna\nBob\nanna\n")
    status, out, _ = call(2, "--prompt", "An", DATASET=own)
    assert status == 0 and all(name.startswith("An") for name in samples(out))
    status, _, err = call(2, "--prompt", "AN", DATASET=own)
    assert status == 1 and err.startswith("error: 'N' is not in the vocabulary of ")


def test_a_character_never_seen_is_one_line_and_trains_nothing(tmp_path):
    result = tool(0, "--prompt", "m1", "--cache", tmp_path / "cache")
    assert result.returncode == 1 and result.stdout == ""
    one_clear_line(result, "error: '1' is not in the vocabulary of ", " (a-z): the model has never seen it")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "args,knobs,line",
    [
        ([], {}, "which step? give a step number N, e.g. 5"),
        ([9], {}, "argument N: invalid choice: 9 (choose from 0, 1, 2, 3, 4, 5)"),
        ([5, "--temperature", "0"], {}, "argument --temperature: '0' is not a number from 0.001 to 1000"),
        ([5], {"TEMPERATURE": "hot"}, "TEMPERATURE: 'hot' is not a number from 0.001 to 1000"),
        ([5], {"NUM_SAMPLES": "0"}, "NUM_SAMPLES: '0' is not a positive integer"),
        ([5, "--seed", "-1"], {}, "argument --seed: '-1' is not a whole number >= 0"),
        ([5, "--prompt", "a", "--top", "b"], {}, "argument --top: not allowed with argument --prompt"),
        (
            [5],
            {"PROMPT": "a", "TOP": "b"},
            "PROMPT and TOP are both set: PROMPT samples names, TOP shows the next ones; unset one",
        ),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_status_2(args, knobs, line, tmp_path):
    result = tool(*args, cwd=tmp_path, **knobs)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: tools/sample.py: {line} (see tools/sample.py --help)\n"


def test_a_bad_knob_is_the_steps_own_line(tmp_path):
    result = tool(5, "--cache", tmp_path, NUM_STEPS="ten")
    assert result.returncode == 1
    assert result.stderr == "error: NUM_STEPS must be a positive integer, got 'ten'\n"


def test_its_variables_are_not_taken_for_mistyped_knobs():
    prepare.check_knob_names({"PROMPT": "ma", "TEMPERATURE": "0.8", "TOP": "mar", "SEED": "7"})  # no exit
    result = run(0, NUM_STEPS=2, NUM_SAMPLES=1, PROMPT="ma", TEMPERATURE="0.8", TOP="mar", SEED="7")
    assert result.returncode == 0, result.stderr


@posix_make
def test_make_sample_passes_its_variables_through():
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "sample0", "PROMPT=m1"],
        env=tool_env({}),
        capture_output=True,
        text=True,
    )  # refused before it trains
    assert result.returncode and "error: '1' is not in the vocabulary of " in result.stderr, result.stderr
    assert (
        "make sample0 … sample5"
        in subprocess.run(["make", "-C", str(ROOT)], capture_output=True, text=True).stdout
    )


def test_the_readme_says_how_to_play_with_a_trained_model():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("\n## Reading the diffs\n") < readme.index("\n## Play with the trained model\n")
    section = readme.split("\n## Play with the trained model\n", 1)[1].split("\n## ", 1)[0]
    for text in (
        "make sample5 PROMPT=ma",
        r"python tools\sample.py 5 --prompt ma",
        "build/sample/",
        "TOP=",
        "TEMPERATURE=",
    ):
        assert text in section, text
