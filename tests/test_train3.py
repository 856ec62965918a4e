"""train3: context (position embeddings, attention, RMSNorm, residuals): its gradients against finite
differences, its output and its notebook. (Its equivalence with train4 is in test_train4.py.)"""

from steptests import EveryStep, check_gpt_gradients, check_the_cache_is_the_causal_mask


class TestEveryStep(EveryStep):
    n, params = 3, 4192


def test_model_gradients_match_finite_differences():
    check_gpt_gradients(3)


def test_the_key_value_cache_is_the_causal_mask():
    check_the_cache_is_the_causal_mask(3)
