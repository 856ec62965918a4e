# %% [markdown]
"""
# Step 0 — a bigram count table

Before any neural network: predict the next character of a name from the current one by
counting. Read the names one at a time, and for every pair of neighbouring characters add one
to a table. The table, normalised row by row, *is* the model.

- Same as every later step: the dataset, the tokenizer, the training loop over one name per
  step, the loss (average negative log-likelihood of the next character) and the sampling loop.
- New here: everything. There are no parameters and no gradients yet, only counts.
"""

# %%
import math
import os
import random
import runpy
import sys

random.seed(42)  # one seed for the whole run: same shuffle, same init, same samples every time


def knob(name, default):
    """A hyperparameter the environment may override, e.g. NUM_STEPS=20 (quick mode); an empty one is unset."""
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdecimal() or int(value) <= 0:
        sys.exit(f"error: {name} must be a positive integer, got {value!r}")
    return int(value)


# %% [markdown]
# ## Dataset
# One name per line; `data/names.txt` is downloaded (and its checksum verified) on first use.
# Set `DATASET=path/to/file.txt` to learn from your own list instead.
#
# Try this: print `docs[:5]` before and after the shuffle. Why shuffle at all?

# %%
# The repo root is the folder above steps/ (or above notebooks/ in Jupyter, where there is no __file__).
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) if "__file__" in globals() else os.path.abspath("..")
path = os.environ.get("DATASET") or os.path.join(root, "data", "names.txt")
helper = os.path.join(root, "tools", "prepare.py")  # plumbing, not lesson: fetches and checks the file, the knobs, --help
if os.path.exists(helper):  # (a notebook on its own has no tools/: its setup cell has done the same)
    runpy.run_path(helper)["prepare"](path, knob)
with open(path, encoding="utf-8-sig") as f:  # "-sig": the byte-order mark some Windows editors put first is not a character
    docs = [line.strip() for line in f.read().strip().split("\n") if line.strip()]  # strip() also drops Windows' \r
random.shuffle(docs)
print(f"num docs: {len(docs)}")

# %% [markdown]
# ## Tokenizer
# Every distinct character gets an integer id; one extra token, BOS, marks where a name
# begins and ends, so the model can learn which letters start and finish names.
#
# Try this: print `chars`. Which id does `a` get, and which does `BOS`?

# %%
chars = sorted(set("".join(docs)))  # the vocabulary is built from the data itself
BOS = len(chars)  # the id of the begin/end-of-sequence token
vocab_size = len(chars) + 1
print(f"vocab size: {vocab_size}")

# %% [markdown]
# ## Model: a table of counts
# `counts[a][b]` is how often token `b` followed token `a` in the names seen so far. The
# probability of `b` after `a` is its count over the row's total. *Add-one smoothing*: every
# count starts one higher, $P(b \mid a) = \frac{n_{ab} + 1}{\sum_c n_{ac} + V}$, with $V$ = `vocab_size`
# (every letter, and BOS), so a pair never seen still gets a little probability and the log below
# never sees a zero.
#
# Try this: without the +1, what would the loss be on a name with a pair never seen before?

# %%
counts = [[0] * vocab_size for _ in range(vocab_size)]


def probabilities(row):
    total = sum(row) + vocab_size
    return [(count + 1) / total for count in row]


# %% [markdown]
# ## Training
# Each step takes one name, first measures how surprised the current table is by it (the
# loss: the mean of $-\log P(\text{next} \mid \text{current})$ over its positions), then
# learns from it by adding its pairs to the table. The first loss is $\log 27 \approx 3.2958$:
# an empty table predicts every token with probability 1/27.
#
# Try this: what loss does the table reach after 1000 names, and after all 32,033 (`NUM_STEPS=32033`)?
# Then look at the first loss of every later step: small random weights make nearly equal logits, so
# every token gets about 1/27 there too, and the loss starts near $\log 27$ as well.

# %%
NUM_STEPS = knob("NUM_STEPS", 1000)  # names to learn from, one per step
STOP_AFTER = knob("STOP_AFTER", NUM_STEPS)  # end the loop early, leaving everything else as is
if STOP_AFTER > NUM_STEPS:
    sys.exit(f"error: STOP_AFTER ({STOP_AFTER}) must not be larger than NUM_STEPS ({NUM_STEPS}): it ends a run early, it cannot make it longer")

for step in range(STOP_AFTER):
    doc = docs[step % len(docs)]
    tokens = [BOS] + [chars.index(ch) for ch in doc] + [BOS]
    n = len(tokens) - 1
    losses = [-math.log(probabilities(counts[a])[b]) for a, b in zip(tokens, tokens[1:])]
    loss = (1 / n) * sum(losses)
    for a, b in zip(tokens, tokens[1:]):
        counts[a][b] += 1
    print(f"step {step + 1:4d} / {NUM_STEPS:4d} | loss {loss:.4f}")

# %% [markdown]
# ## Sampling
# Start from BOS, draw the next token from the row of the current one, and repeat until BOS
# comes out again: a new name. The names look only one letter back, and it shows.
#
# Try this: sample from the raw counts (no +1). Which names become impossible?

# %%
BLOCK_SIZE = knob("BLOCK_SIZE", 16)  # the longest name we sample
NUM_SAMPLES = knob("NUM_SAMPLES", 20)  # names to sample at the end
print("\n--- inference (new, hallucinated names) ---")
for i in range(NUM_SAMPLES):
    token, name = BOS, []
    for _ in range(BLOCK_SIZE):
        token = random.choices(range(vocab_size), weights=probabilities(counts[token]))[0]
        if token == BOS:
            break
        name.append(chars[token])
    print(f"sample {i + 1:2d}: {''.join(name)}")
