"""train4: multi-head attention and layers: its gradients against finite differences, one head and one
layer is exactly train3, the reference progression's first losses, its output and its notebook."""

import pytest

from stepkit import losses
from steptests import EveryStep, check_gpt_gradients, check_the_cache_is_the_causal_mask, quick


class TestEveryStep(EveryStep):
    n, params = 4, 4192


@pytest.mark.parametrize("knobs", [{}, {"N_LAYER": 2}], ids=["default", "two-layers"])
def test_model_gradients_match_finite_differences(knobs):
    check_gpt_gradients(4, **knobs)


def test_the_key_value_cache_is_the_causal_mask():
    check_the_cache_is_the_causal_mask(4)


def test_one_head_and_one_layer_is_train3():
    env3, out3 = quick(3)
    env4, out4 = quick(4, N_HEAD=1, N_LAYER=1)
    assert out3 == out4
    assert [p.data for p in env3["params"]] == [p.data for p in env4["params"]]  # bit for bit


def test_reproduces_the_reference_progression_for_its_first_steps():
    _, out = quick(4)
    assert losses(out) == [3.3660, 3.4273, 3.1706, 3.0615, 3.2396]  # ladder.md
