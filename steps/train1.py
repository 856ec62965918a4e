# %% [markdown]
r"""
# Step 1 — an MLP, with gradients by hand

Step 0 counted. Here a neural network learns the same thing — the next letter from the current
one — by gradient descent. Each token has an embedding (a row of 16 learned numbers), a hidden
layer of 64 ReLU units reads it, and an output layer gives one logit per token. Training
nudges every weight against the gradient of the loss. We compute that gradient twice: by
finite differences (slow, obviously right) and by the chain rule written out by hand (fast),
and check that the two agree before training.

- Same as step 0: dataset, tokenizer, one name per step, the loss, the sampling loop.
- Different: the model is a function with 3,184 parameters instead of a table of counts.
- New: `linear`, `softmax`, ReLU, numerical and analytic gradients, SGD with a learning rate
  that decays linearly to zero, sampling with a temperature.
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
# ## Parameters
# Every weight matrix starts as small random numbers (Gaussian, standard deviation 0.08).
# The order of creation fixes which random numbers each matrix gets: embedding, then the MLP.
#
# Try this: count them by hand, 27·16 + 64·16 + 27·64. Does it match `num params`?

# %%
N_EMBD = knob("N_EMBD", 16)  # the width of every vector inside the model


def matrix(nout, nin, std=0.08):
    return [[random.gauss(0, std) for _ in range(nin)] for _ in range(nout)]


state_dict = {"wte": matrix(vocab_size, N_EMBD)}
state_dict["mlp_fc1"] = matrix(4 * N_EMBD, N_EMBD)
state_dict["mlp_fc2"] = matrix(vocab_size, 4 * N_EMBD)
params = [(row, j) for mat in state_dict.values() for row in mat for j in range(len(row))]  # (row, index): where to write an update
print(f"num params: {len(params)}")

# %% [markdown]
# ## Model
# A bigram MLP: the current token's embedding row, a hidden layer of 64 ReLU units, and one
# logit per token of the vocabulary; softmax turns the logits into probabilities.
#
# Try this: before training, look at `softmax(model(BOS))`. Why is it nearly uniform?

# %%
def linear(x, w):
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def softmax(logits):
    top = max(logits)  # subtracting the largest logit keeps exp() from overflowing
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def model(token):
    x = state_dict["wte"][token]
    x = [max(0.0, xi) for xi in linear(x, state_dict["mlp_fc1"])]
    return linear(x, state_dict["mlp_fc2"])


def loss_of(tokens):
    n = len(tokens) - 1
    return (1 / n) * sum(-math.log(softmax(model(tokens[pos]))[tokens[pos + 1]]) for pos in range(n))


# %% [markdown]
# ## Gradients, two ways
# **Numerically**: nudge one parameter by a tiny $\epsilon$ and watch the loss,
# $\partial L / \partial p \approx (L(p + \epsilon) - L(p)) / \epsilon$. Obviously right, but one
# forward pass per parameter: 3,184 passes for a single step, about as long as 500 training steps.
# So the check nudges every parameter in a full run, and every k-th in a quick one
# (k = 1000 / `NUM_STEPS`): its cost shrinks with the run, and it still covers every matrix.
#
# **Analytically**: the chain rule, from the loss back to every weight, once per position.
#
# *Softmax + cross-entropy.* At one position the logits $z$ give $p_i = e^{z_i} / \sum_k e^{z_k}$, and
# the loss there is $\ell = -\log p_t$ for the target $t$. Since $\log p_t = z_t - \log \sum_k e^{z_k}$,
# $$\frac{\partial \ell}{\partial z_i} = -[i = t] + \frac{e^{z_i}}{\sum_k e^{z_k}} = p_i - [i = t],$$
# the probabilities minus a one-hot at the target ($[i = t]$ is 1 when $i = t$, else 0). The loss is
# the mean over the $n$ positions, $L = \frac{1}{n} \sum \ell$, so each position's logits get
# $\frac{1}{n}(p_i - [i = t])$.
#
# *Linear*, $y = Wx$, that is $y_i = \sum_j W_{ij} x_j$: so $\partial y_i / \partial W_{ij} = x_j$ and
# $\partial y_i / \partial x_j = W_{ij}$. With $g_i = \partial L / \partial y_i$ coming back from above,
# $$\frac{\partial L}{\partial W_{ij}} = g_i \, x_j \quad (\text{an outer product, } g\,x^\top), \qquad
# \frac{\partial L}{\partial x_j} = \sum_i W_{ij} \, g_i \quad (W^\top g).$$
# The same $W$ serves every position, so its gradient is the sum over positions: add into it.
#
# *ReLU*, $a = \max(0, h)$, has slope 1 where $h > 0$ and 0 elsewhere: it passes the gradient where
# its input was positive and blocks it elsewhere. *The embedding* row of the token was $x$ itself,
# so it receives $\partial L / \partial x$ (added up when a token comes twice).
#
# Try this: break the analytic gradient on purpose (leave out the 1/n of the mean). What does the check print?

# %%
def numerical_gradient(tokens, checked, eps=1e-5):
    loss = loss_of(tokens)
    grads = []
    for row, j in checked:
        old = row[j]
        row[j] = old + eps
        grads.append((loss_of(tokens) - loss) / eps)
        row[j] = old
    return loss, grads


def linear_backward(x, w, dy, dw):
    """For y = linear(x, w): add dL/dw into dw, and return dL/dx."""
    for i, dyi in enumerate(dy):
        for j, xj in enumerate(x):
            dw[i][j] += dyi * xj
    return [sum(w[i][j] * dy[i] for i in range(len(w))) for j in range(len(x))]


def analytic_gradient(tokens):
    grad = {name: [[0.0] * len(row) for row in mat] for name, mat in state_dict.items()}
    n = len(tokens) - 1
    losses = []
    for pos in range(n):
        token, target = tokens[pos], tokens[pos + 1]
        # forward, keeping what the backward pass needs
        x = state_dict["wte"][token]
        h = linear(x, state_dict["mlp_fc1"])
        a = [max(0.0, hi) for hi in h]
        probs = softmax(linear(a, state_dict["mlp_fc2"]))
        losses.append(-math.log(probs[target]))
        # backward, in the reverse order
        dlogits = [(1 / n) * (p - (i == target)) for i, p in enumerate(probs)]
        da = linear_backward(a, state_dict["mlp_fc2"], dlogits, grad["mlp_fc2"])
        dh = [d if hi > 0 else 0.0 for d, hi in zip(da, h)]
        dx = linear_backward(x, state_dict["mlp_fc1"], dh, grad["mlp_fc1"])
        grad["wte"][token] = [g + d for g, d in zip(grad["wte"][token], dx)]
    return (1 / n) * sum(losses), [g for mat in grad.values() for row in mat for g in row]

# %% [markdown]
# ## Training
# For each name: run the model over its tokens, average $-\log p(\text{next token})$, compute
# its gradient by hand, and take one SGD step, $p \leftarrow p - \eta_t \, \partial L / \partial p$.
# Before the first step, the two gradients of the section above are compared on the first name:
# the `gradient check` line prints both losses (the same number) and the largest difference
# between a numerical and an analytic gradient: about $10^{-9}$ when the chain rule is right, so it prints
# as `max diff 0.00000000`; a mistake shows in the first decimals.
#
# Try this: set `learning_rate` to 10, then to 0.1. What happens to the loss?

# %%
NUM_STEPS = knob("NUM_STEPS", 1000)  # names to learn from, one per step
STOP_AFTER = knob("STOP_AFTER", NUM_STEPS)  # end the loop early, leaving everything else as is
if STOP_AFTER > NUM_STEPS:
    sys.exit(f"error: STOP_AFTER ({STOP_AFTER}) must not be larger than NUM_STEPS ({NUM_STEPS}): it ends a run early, it cannot make it longer")

tokens = [BOS] + [chars.index(ch) for ch in docs[0]] + [BOS]
every = max(1, 1000 // NUM_STEPS)  # 1 in a full run: every parameter
loss_n, grad_n = numerical_gradient(tokens, params[::every])
loss_a, grad_a = analytic_gradient(tokens)
max_diff = max(abs(gn - ga) for gn, ga in zip(grad_n, grad_a[::every]))
print(f"gradient check | loss_n {loss_n:.6f} | loss_a {loss_a:.6f} | max diff {max_diff:.8f}")

learning_rate = 1.0
for step in range(STOP_AFTER):
    doc = docs[step % len(docs)]
    tokens = [BOS] + [chars.index(ch) for ch in doc] + [BOS]
    loss, grads = analytic_gradient(tokens)
    lr_t = learning_rate * (1 - step / NUM_STEPS)  # linear decay to zero over NUM_STEPS
    for (row, j), grad in zip(params, grads):
        row[j] -= lr_t * grad
    print(f"step {step + 1:4d} / {NUM_STEPS:4d} | loss {loss:.4f}")

# %% [markdown]
# ## Sampling
# Start from BOS and feed each sampled token back in. Dividing the logits by a temperature
# below 1 sharpens the distribution: safer, more typical names.
#
# Try this: sample at temperature 1.0, then 0.2. What changes?

# %%
BLOCK_SIZE = knob("BLOCK_SIZE", 16)  # the longest name we sample
NUM_SAMPLES = knob("NUM_SAMPLES", 20)  # names to sample at the end
temperature = 0.5
print("\n--- inference (new, hallucinated names) ---")
for i in range(NUM_SAMPLES):
    token, name = BOS, []
    for _ in range(BLOCK_SIZE):
        probs = softmax([logit / temperature for logit in model(token)])
        token = random.choices(range(vocab_size), weights=probs)[0]
        if token == BOS:
            break
        name.append(chars[token])
    print(f"sample {i + 1:2d}: {''.join(name)}")
