"""train5, microgpt: its gradients against finite differences, it starts from train4's model, it prints
the reference log and ends with the weights of the straightforward implementation, bad sizes are one
clear line; its output and its notebook. The full-length comparison is `make fidelity`."""

import hashlib

import pytest

from stepkit import REFERENCE_LOG, losses, run
from steptests import EveryStep, K, check_gpt_gradients, check_the_cache_is_the_causal_mask, quick


class TestEveryStep(EveryStep):
    n, params = 5, 4192


def test_model_gradients_match_finite_differences():
    check_gpt_gradients(5)


def test_the_key_value_cache_is_the_causal_mask():
    check_the_cache_is_the_causal_mask(5)


def test_starts_from_train4s_model():
    env4, out4 = quick(4, STOP_AFTER=1)
    env5, out5 = quick(5, STOP_AFTER=1)
    assert env4["loss"].data == env5["loss"].data  # the first loss, before any update: bit for bit
    assert losses(out4) == losses(out5) == [3.3660]


def test_reproduces_the_reference_log_for_its_first_steps():
    """Stopped early with STOP_AFTER, so the learning-rate schedule is still the 1000-step one."""
    reference = REFERENCE_LOG.read_text(encoding="utf-8").splitlines()
    _, out = quick(5)
    assert out.splitlines()[: 3 + K] == reference[: 3 + K]


def test_weights_after_five_steps_are_bit_identical_to_the_straightforward_implementation():
    """Recorded from commit 6e4c083 (before the speed work): sha256 of float.hex of every weight."""
    env, _ = quick(5)
    assert K == 5
    weights = "\n".join(float(p.data).hex() for p in env["params"])
    assert (
        hashlib.sha256(weights.encode()).hexdigest()
        == "15fab3919d3a53734c8eeb56c0f0bfff089f3afec72460c262af99ed8dce85ec"
    )


@pytest.mark.parametrize(
    "knobs,message", [({"N_HEAD": "3"}, "divisible by N_HEAD"), ({"N_LAYER": "x"}, "N_LAYER must be")]
)
def test_bad_model_size_is_one_clear_line(knobs, message):
    result = run(5, **knobs)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
