# %% [markdown]
"""
# Step 5 — Adam: this is microgpt

The model of step 4 is a complete GPT; only the optimizer is left. Plain SGD moves every
parameter by the same multiple of its gradient. Adam keeps, per parameter, a running mean of
the gradient (momentum) and of its square (its typical size), and steps by their ratio: each
parameter gets a step size of its own, and noisy one-name gradients are smoothed over time.

- Same as step 4: dataset, tokenizer, `Value`, the parameters and their order, the model.
- Different: the update rule (`adam`, called once per training step), and the learning rate (0.01).
- New: Adam's two buffers `m` and `v`, their bias correction, and its three constants.

With its defaults this file is numerically the reference microgpt: 4,192 parameters, the same
1,000 losses and the same 20 names.
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
# ## Autograd
# A `Value` is one number that remembers how it was made: its inputs (`children`) and the
# derivative of the result with respect to each input (`local_grads`). Each operation knows its own:
# - a sum $z = x + y$: $\partial z / \partial x = \partial z / \partial y = 1$;
# - a product $z = xy$: $\partial z / \partial x = y$ and $\partial z / \partial y = x$, each factor's
#   slope is the other factor;
# - a power $z = x^k$, $k$ a plain number: $\partial z / \partial x = k x^{k-1}$ (division is
#   $x \cdot y^{-1}$);
# - a logarithm $z = \log x$: $\partial z / \partial x = 1/x$.
#
# `backward()` applies the chain rule from the loss $L$ back to the parameters. A node $v$ may be used
# by several nodes $u$, and its gradient sums over all of them:
# $$\frac{\partial L}{\partial v} = \sum_{u \text{ uses } v} \frac{\partial L}{\partial u} \, \frac{\partial u}{\partial v},$$
# so each use adds its share, the local gradient times $u$'s `grad`, into $v$'s `grad`. Hence $v$
# may pass its own gradient on to its children only once it is complete: after every node that
# uses it has passed its share. Put the
# nodes in a *topological order*, each one after all of its children (depth-first, children first),
# and walk it backwards from the loss, whose gradient is $\partial L / \partial L = 1$: every node is
# then reached only after all the nodes that use it.
#
# One operation works on whole vectors: `Value.dot(w, x)` $= \sum_i w_i x_i$, the heart of every
# `linear`. Its local gradients follow from the sum: $\partial/\partial w_i = x_i$ and
# $\partial/\partial x_i = w_i$. It gives the same numbers as the products and sums it replaces,
# with one node instead of $2n$ — a model makes thousands of them per name, so this is most of its speed.
#
# Try this: `a = Value(3.0); b = a * a + a; b.backward()`. Is `a.grad` equal to 2·3 + 1?

# %%
class Value:
    __slots__ = ("data", "grad", "children", "local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data  # the number itself, computed in the forward pass
        self.grad = 0  # d loss / d self, filled in by backward()
        self.children = children
        self.local_grads = local_grads  # d self / d child, one per child

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    @staticmethod
    def dot(w, x):
        """The dot product of two lists of Values, as one node: the same number as sum(wi * xi ...),
        without its 2n intermediate Values (most of the Values a model makes are these)."""
        total = 0
        for wi, xi in zip(w, x):  # a plain loop: since Python 3.12, sum() of floats rounds differently
            total += wi.data * xi.data
        return Value(total, (*w, *x), (*(xi.data for xi in x), *(wi.data for wi in w)))

    def __pow__(self, k):  # k is a plain number
        return Value(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self):
        return Value(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        return Value(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self):
        return Value(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def backward(self):
        # Order the graph so that every node comes after all the nodes it was made from
        # (depth-first, each node's inputs first), then walk it backwards: a node's grad is
        # complete, every use of it counted, before it is passed on to its inputs.
        topo, visited = [], set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v.children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v.children, v.local_grads):
                child.grad += local_grad * v.grad


# Ordering the graph recurses once per node along its longest path. A softmax over a large
# vocabulary (your own dataset, in Chinese say) is a chain of that many additions: deeper than the
# 1,000 nested calls Python allows by default.
sys.setrecursionlimit(10_000)


# %% [markdown]
# ## Parameters
# Every weight matrix starts as small random numbers (Gaussian, standard deviation 0.08).
# The order of creation fixes which random numbers each matrix gets, so every step from 3 on
# creates them in the same order: token and position embeddings, the output head, then each layer.
#
# Try this: `N_EMBD=32`. How many parameters now, and which matrices grew?

# %%
N_EMBD = knob("N_EMBD", 16)  # the width of every vector inside the model
N_HEAD = knob("N_HEAD", 4)  # attention heads per layer
N_LAYER = knob("N_LAYER", 1)  # transformer blocks
if N_EMBD % N_HEAD:
    sys.exit(f"error: N_EMBD ({N_EMBD}) must be divisible by N_HEAD ({N_HEAD})")
HEAD_DIM = N_EMBD // N_HEAD
BLOCK_SIZE = knob("BLOCK_SIZE", 16)  # the longest context the model sees, and the longest name we sample


def matrix(nout, nin, std=0.08):
    return [[Value(random.gauss(0, std)) for _ in range(nin)] for _ in range(nout)]


state_dict = {"wte": matrix(vocab_size, N_EMBD), "wpe": matrix(BLOCK_SIZE, N_EMBD), "lm_head": matrix(vocab_size, N_EMBD)}
for i in range(N_LAYER):
    state_dict[f"layer{i}.attn_wq"] = matrix(N_EMBD, N_EMBD)
    state_dict[f"layer{i}.attn_wk"] = matrix(N_EMBD, N_EMBD)
    state_dict[f"layer{i}.attn_wv"] = matrix(N_EMBD, N_EMBD)
    state_dict[f"layer{i}.attn_wo"] = matrix(N_EMBD, N_EMBD)
    state_dict[f"layer{i}.mlp_fc1"] = matrix(4 * N_EMBD, N_EMBD)
    state_dict[f"layer{i}.mlp_fc2"] = matrix(N_EMBD, 4 * N_EMBD)
params = [p for mat in state_dict.values() for row in mat for p in row]
print(f"num params: {len(params)}")

# %% [markdown]
# ## Model
# One token at a time: its embedding plus its position's embedding, normalised, then each
# layer: multi-head attention (every head looks back over the cached keys and values of the
# earlier positions) and an MLP, each wrapped in a residual connection. The output head turns
# the final vector into one logit per token of the vocabulary.
#
# With $H$ = `N_HEAD` heads, each of width $d_h$ = `HEAD_DIM` $= d / H$, head $h$ takes its own
# slice of entries $h \, d_h$ to $(h+1) \, d_h - 1$ of the query, of every key and of every value
# (written $q^{(h)}$, $k_t^{(h)}$, $v_t^{(h)}$) and attends with them alone:
# $$o^{(h)} = \sum_t \mathrm{softmax}_t\!\left(\frac{q^{(h)} \cdot k_t^{(h)}}{\sqrt{d_h}}\right) v_t^{(h)},$$
# scaled by $\sqrt{d_h}$, since each score is now a dot product of $d_h$ numbers. The heads' outputs,
# concatenated in order, $[\,o^{(0)}, o^{(1)}, \dots, o^{(H-1)}\,]$, are a vector of width $d$ again,
# which `attn_wo` mixes. Each head can look at different earlier positions.
#
# Try this: `N_HEAD=1`, one head of width 16. Compare its loss and samples with those of 4 heads.
# And why does `gpt` need no causal mask? Count the keys in the cache each time it runs: at position
# $t$ there are $t + 1$, the past and the present; the future has not been computed yet.

# %%
def linear(x, w):
    return [Value.dot(row, x) for row in w]


def softmax(logits):
    top = max(v.data for v in logits)  # subtracting the largest logit keeps exp() from overflowing
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x):
    scale = (sum(xi * xi for xi in x) / len(x) + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def gpt(token, pos, keys, values):
    x = [t + p for t, p in zip(state_dict["wte"][token], state_dict["wpe"][pos])]
    x = rmsnorm(x)
    for i in range(N_LAYER):
        residual = x
        x = rmsnorm(x)
        q = linear(x, state_dict[f"layer{i}.attn_wq"])
        k = linear(x, state_dict[f"layer{i}.attn_wk"])
        v = linear(x, state_dict[f"layer{i}.attn_wv"])
        keys[i].append(k)
        values[i].append(v)
        heads = []
        for h in range(N_HEAD):
            s = slice(h * HEAD_DIM, (h + 1) * HEAD_DIM)  # this head's share of q, k and v
            q_h, k_h, v_h = q[s], [kt[s] for kt in keys[i]], [vt[s] for vt in values[i]]
            scores = [sum(qj * kj for qj, kj in zip(q_h, kt)) / HEAD_DIM**0.5 for kt in k_h]
            weights = softmax(scores)
            heads += [sum(w * vt[j] for w, vt in zip(weights, v_h)) for j in range(HEAD_DIM)]
        x = linear(heads, state_dict[f"layer{i}.attn_wo"])
        x = [a + b for a, b in zip(x, residual)]
        residual = x
        x = rmsnorm(x)
        x = [xi.relu() for xi in linear(x, state_dict[f"layer{i}.mlp_fc1"])]
        x = linear(x, state_dict[f"layer{i}.mlp_fc2"])
        x = [a + b for a, b in zip(x, residual)]
    return linear(x, state_dict["lm_head"])


# %% [markdown]
# ## Training
# For each name: run the model over its tokens, average $-\log p(\text{next token})$, call
# `backward()`, and update every parameter $p$, whose gradient is $g$, with Adam. It keeps two
# running means per parameter, both starting at 0: of the gradient (momentum) and of its square,
# $$m \leftarrow \beta_1 m + (1-\beta_1) \, g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) \, g^2.$$
# Let $t$ be the number of updates made so far, this one included: $t$ = `step + 1`, since `step`
# counts from 0. After $t$ updates, $m = (1-\beta_1) \sum_{i=1}^{t} \beta_1^{t-i} g_i$: for a constant
# gradient $g$ that is $(1-\beta_1^t) \, g$, too small while $t$ is small. The bias correction undoes
# that, $\hat m = m / (1-\beta_1^{t})$ and $\hat v = v / (1-\beta_2^{t})$, and the step is
# $$p \leftarrow p - \eta_t \, \frac{\hat m}{\sqrt{\hat v} + \epsilon},$$
# about $\eta_t$ in size whatever the scale of $g$: at $t = 1$, $\hat m = g$ and $\hat v = g^2$, so
# every parameter moves by $\eta_t$ against the sign of its gradient.
#
# Try this: drop the bias correction. What happens to the first few losses, and why?

# %%
NUM_STEPS = knob("NUM_STEPS", 1000)  # names to learn from, one per step
STOP_AFTER = knob("STOP_AFTER", NUM_STEPS)  # end the loop early, leaving everything else as is
if STOP_AFTER > NUM_STEPS:
    sys.exit(f"error: STOP_AFTER ({STOP_AFTER}) must not be larger than NUM_STEPS ({NUM_STEPS}): it ends a run early, it cannot make it longer")

learning_rate, beta1, beta2, eps = 0.01, 0.85, 0.99, 1e-8
m = [0.0] * len(params)  # running mean of each parameter's gradient
v = [0.0] * len(params)  # running mean of its square


def adam(params, m, v, step, lr_t):
    """Update every parameter from its .grad by Adam's rule, at training step `step` (from 0)."""
    for i, p in enumerate(params):
        m[i] = beta1 * m[i] + (1 - beta1) * p.grad
        v[i] = beta2 * v[i] + (1 - beta2) * p.grad**2
        m_hat = m[i] / (1 - beta1 ** (step + 1))
        v_hat = v[i] / (1 - beta2 ** (step + 1))
        p.data -= lr_t * m_hat / (v_hat**0.5 + eps)


for step in range(STOP_AFTER):
    doc = docs[step % len(docs)]
    tokens = [BOS] + [chars.index(ch) for ch in doc] + [BOS]
    n = min(BLOCK_SIZE, len(tokens) - 1)
    keys, values = [[] for _ in range(N_LAYER)], [[] for _ in range(N_LAYER)]
    losses = []
    for pos in range(n):
        probs = softmax(gpt(tokens[pos], pos, keys, values))
        losses.append(-probs[tokens[pos + 1]].log())
    loss = (1 / n) * sum(losses)
    loss.backward()
    lr_t = learning_rate * (1 - step / NUM_STEPS)  # linear decay to zero over NUM_STEPS
    adam(params, m, v, step, lr_t)
    for p in params:
        p.grad = 0
    print(f"step {step + 1:4d} / {NUM_STEPS:4d} | loss {loss.data:.4f}")

# %% [markdown]
# ## Sampling
# Start from BOS and feed each sampled token back in. Dividing the logits by a temperature
# below 1 sharpens the distribution: safer, more typical names.
#
# Try this: sample at temperature 1.0, then 0.2. What changes?

# %%
NUM_SAMPLES = knob("NUM_SAMPLES", 20)  # names to sample at the end
temperature = 0.5
print("\n--- inference (new, hallucinated names) ---")
for i in range(NUM_SAMPLES):
    keys, values = [[] for _ in range(N_LAYER)], [[] for _ in range(N_LAYER)]
    token, name = BOS, []
    for pos in range(BLOCK_SIZE):
        probs = softmax([logit / temperature for logit in gpt(token, pos, keys, values)])
        token = random.choices(range(vocab_size), weights=[p.data for p in probs])[0]
        if token == BOS:
            break
        name.append(chars[token])
    print(f"sample {i + 1:2d}: {''.join(name)}")
