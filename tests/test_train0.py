"""train0: the bigram count table, checked by counting and by hand; its output and its notebook."""

import math

import pytest

from stepkit import execute, losses, names_txt, run, samples, write
from steptests import EveryStep

# ladder.md: the reference progression's train0 with its defaults
GOLDEN_SAMPLES = (
    "enaroa romra brabecyler talyaxbranalewia zfyclahab czasan asocayeleelcan ravbrieeligsonal "
    "kelosonnn lydonyanen eil gh dricoynylelule ma py h mbloris kxwai on bbichy"
).split()


class TestEveryStep(EveryStep):
    n = 0


@pytest.fixture(scope="module")
def default_run():
    return execute(0)


def test_counts_sum_to_the_number_of_bigrams_seen(default_run):
    env, _ = default_run
    seen = env["docs"][:1000]
    assert sum(map(sum, env["counts"])) == sum(len(doc) + 1 for doc in seen)


def test_counts_of_a_whole_tiny_dataset(tmp_path):
    env, _ = execute(0, DATASET=write(tmp_path / "d.txt", "abba\nab\nb\n"), NUM_STEPS=3)
    # pairs: BOS-a a-b b-b b-a a-BOS | BOS-a a-b b-BOS | BOS-b b-BOS; rows: after a, after b, after BOS
    assert env["counts"] == [[0, 2, 1], [1, 1, 2], [2, 1, 0]]
    assert sum(map(sum, env["counts"])) == 5 + 3 + 2


def test_every_row_of_probabilities_sums_to_one(default_run):
    env, _ = default_run
    for row in env["counts"]:
        assert math.isclose(sum(env["probabilities"](row)), 1.0, rel_tol=0, abs_tol=1e-12)


def test_loss_equals_the_hand_computed_value(tmp_path):
    # One name "ab": tokens BOS a b BOS, vocabulary {a, b, BOS}. Step 1, empty table: every
    # probability is 1/3, loss ln 3. Step 2: each of the three pairs was seen once, so each
    # probability is (1 + 1) / (1 + 3) = 1/2, loss ln 2.
    _, out = execute(0, DATASET=write(tmp_path / "one.txt", "ab\n"), NUM_STEPS=2)
    assert losses(out) == [round(math.log(3), 4), round(math.log(2), 4)]
    assert "vocab size: 3" in out


def test_default_run_matches_the_reference_progression(default_run):
    _, out = default_run
    assert out.startswith("num docs: 32033\nvocab size: 27\nstep    1 / 1000 | loss 3.2958\n")
    assert losses(out)[-1] == 2.7177
    assert round(sum(losses(out)[-100:]) / 100, 4) == 2.4416
    assert "\n\n--- inference (new, hallucinated names) ---\n" in out
    assert samples(out) == GOLDEN_SAMPLES


def test_sampling_is_deterministic_under_seed_42():
    first, second = execute(0, NUM_STEPS=50)[1], execute(0, NUM_STEPS=50)[1]
    assert samples(first) == samples(second) and len(samples(first)) == 20


def test_stop_after_keeps_the_printed_schedule():
    _, out = execute(0, STOP_AFTER=3)
    assert [line for line in out.splitlines() if line.startswith("step")] == [
        "step    1 / 1000 | loss 3.2958",
        "step    2 / 1000 | loss 3.3095",
        "step    3 / 1000 | loss 3.2326",
    ]


def test_runs_as_a_script_from_another_folder(tmp_path):
    result = run(0, cwd=tmp_path, NUM_STEPS=5, NUM_SAMPLES=3)
    assert result.returncode == 0, result.stderr
    assert len(samples(result.stdout)) == 3


def test_full_dataset_average_loss_is_that_of_the_counts():
    # Trained on every name, the table's average NLL over the whole dataset is the entropy
    # estimate of the bigram model: a known figure for names.txt (about 2.45 nats).
    env, _ = execute(0, NUM_STEPS=len(open(names_txt()).read().split()), NUM_SAMPLES=1)
    counts, probabilities, chars, BOS = env["counts"], env["probabilities"], env["chars"], env["BOS"]
    total, n = 0.0, 0
    for doc in env["docs"]:
        tokens = [BOS] + [chars.index(c) for c in doc] + [BOS]
        total -= sum(math.log(probabilities(counts[a])[b]) for a, b in zip(tokens, tokens[1:]))
        n += len(tokens) - 1
    assert 2.44 < total / n < 2.47
