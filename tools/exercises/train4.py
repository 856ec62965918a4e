"""The checker of step 4's student notebook: multi-head attention in gpt."""

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .plain_gpt import *  # noqa: F403
except ImportError:
    from plain_gpt import *  # noqa: F403


@checker("multi-head attention")
def multi_head_attention(gpt, state_dict, n_head):
    """Steps 4-5: every head on its own slice, scaled by sqrt(HEAD_DIM), outputs concatenated in order."""
    positions, grads = _check_gpt(
        gpt,
        state_dict,
        n_head,
        "with a single key each head's output is its own slice of v, so heads must be those slices, "
        "concatenated in order (head 0 first)",
        f"each of the {n_head} heads uses only its own slice of q, k and v and scales by sqrt(HEAD_DIM)",
    )
    return f"gpt's logits match with {n_head} heads at {positions} positions, and gradients reach wq, wk, wv"


if __name__ == "__main__":
    not_a_command(__file__)
