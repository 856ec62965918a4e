# %% [markdown]
"""
# Step 2 — autograd: a `Value` computes the gradients for us

Step 1 derived every gradient by hand, and checked it against finite differences. That does
not scale: every new layer would need new calculus. Here each number becomes a `Value` that
records how it was computed, and `backward()` applies the chain rule through that record
automatically. The gradient code of step 1 disappears.

- Same as step 1: dataset, tokenizer, the MLP, its initial weights, SGD, the data order —
  so the losses and samples are those of step 1.
- Different: parameters are `Value`s; the loss is built from `Value` operations.
- New: the `Value` class and its `backward()`, a topological sort of the graph.
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
# The order of creation fixes which random numbers each matrix gets: the same order as step 1.
#
# Try this: count them by hand, 27·16 + 64·16 + 27·64. Does it match `num params`?

# %%
N_EMBD = knob("N_EMBD", 16)  # the width of every vector inside the model


def matrix(nout, nin, std=0.08):
    return [[Value(random.gauss(0, std)) for _ in range(nin)] for _ in range(nout)]


state_dict = {"wte": matrix(vocab_size, N_EMBD)}
state_dict["mlp_fc1"] = matrix(4 * N_EMBD, N_EMBD)
state_dict["mlp_fc2"] = matrix(vocab_size, 4 * N_EMBD)
params = [p for mat in state_dict.values() for row in mat for p in row]
print(f"num params: {len(params)}")

# %% [markdown]
# ## Model
# The same MLP as step 1, written with `Value`s: embedding row, a hidden layer with ReLU, and
# one logit per token; `linear` is one `Value.dot` per row of the weights. Nothing in the model
# mentions gradients.
#
# Try this: before training, look at `softmax(model(BOS))`. Why is it nearly uniform?

# %%
def linear(x, w):
    return [Value.dot(row, x) for row in w]


def softmax(logits):
    top = max(v.data for v in logits)  # subtracting the largest logit keeps exp() from overflowing
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def model(token):
    x = state_dict["wte"][token]
    x = [xi.relu() for xi in linear(x, state_dict["mlp_fc1"])]
    return linear(x, state_dict["mlp_fc2"])


# %% [markdown]
# ## Training
# For each name: run the model over its tokens, average $-\log p(\text{next token})$, call
# `backward()` to fill in every `p.grad`, and take one SGD step, $p \leftarrow p - \eta_t \, \partial L / \partial p$.
#
# Try this: count the `Value`s one name's loss is made of (follow `children` from `loss`, each node once). How many nodes does one step build?

# %%
NUM_STEPS = knob("NUM_STEPS", 1000)  # names to learn from, one per step
STOP_AFTER = knob("STOP_AFTER", NUM_STEPS)  # end the loop early, leaving everything else as is
if STOP_AFTER > NUM_STEPS:
    sys.exit(f"error: STOP_AFTER ({STOP_AFTER}) must not be larger than NUM_STEPS ({NUM_STEPS}): it ends a run early, it cannot make it longer")

learning_rate = 1.0
for step in range(STOP_AFTER):
    doc = docs[step % len(docs)]
    tokens = [BOS] + [chars.index(ch) for ch in doc] + [BOS]
    n = len(tokens) - 1
    losses = []
    for pos in range(n):
        probs = softmax(model(tokens[pos]))
        losses.append(-probs[tokens[pos + 1]].log())
    loss = (1 / n) * sum(losses)
    loss.backward()
    lr_t = learning_rate * (1 - step / NUM_STEPS)  # linear decay to zero over NUM_STEPS
    for p in params:
        p.data -= lr_t * p.grad
        p.grad = 0
    print(f"step {step + 1:4d} / {NUM_STEPS:4d} | loss {loss.data:.4f}")

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
        token = random.choices(range(vocab_size), weights=[p.data for p in probs])[0]
        if token == BOS:
            break
        name.append(chars[token])
    print(f"sample {i + 1:2d}: {''.join(name)}")
