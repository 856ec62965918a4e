"""The checker of step 4's student notebook: multi-head attention in gpt."""

try:  # in the package; by path, or in a notebook whose setup cell made the module, plainly:
    from .attention import *  # noqa: F403
    from .worked4 import *  # noqa: F403
except ImportError:
    from attention import *  # noqa: F403
    from worked4 import *  # noqa: F403

SIZES = (12, 3, 2)  # the check's own model: N_EMBD, three heads of 4, two layers
ATTENTION = {  # the usual mistakes of tools/exercises/wrong.py, and what the line says
    "scales by sqrt(N_EMBD), not sqrt(HEAD_DIM)": "the scores are divided by √N_EMBD; each head's score is "
    "a dot product of HEAD_DIM = 4 numbers, so divide by √HEAD_DIM",
    "every head uses the start of q": "every head uses the first HEAD_DIM entries of q: head h takes its own "
    "slice, entries h·HEAD_DIM to (h+1)·HEAD_DIM - 1, of q as of k and v",
    "one head only, repeated": "every head uses head 0's slice: head h takes entries h·HEAD_DIM to "
    "(h+1)·HEAD_DIM - 1",
    "heads concatenated in reverse order": "the heads are concatenated in reverse order: head 0's output "
    "comes first",
    "every layer reads layer 0's cache": "layer 1 attends over layer 0's keys and values: each layer i has a "
    "cache of its own, keys[i] and values[i]",
}
PROBES = {"gpt": (lambda scope: _observe_gpt(scope["gpt"], *SIZES), ATTENTION, ["logits"])}


@checker("multi-head attention")
def multi_head_attention(gpt):
    """Every head on its own slice, scaled by sqrt(HEAD_DIM), concatenated in order; on the check's own
    model of three heads and two layers, against step 4's gpt."""
    first = "with a single key each head's output is its own slice of v, so heads must be those slices, "
    first += "concatenated in order (head 0 first)"
    later = "each head uses only its own slice of q, k and v and scales by sqrt(HEAD_DIM)"
    return _check_gpt(WORKED["gpt"], ATTENTION, _observe_gpt(gpt, *SIZES), first, later)


if __name__ == "__main__":
    not_a_command(__file__)
