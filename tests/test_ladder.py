"""train1-train5: gradients against finite differences, the equivalences between steps, fidelity.

Quick runs only (a few training steps each); the full 1000-step comparison is `make check-full`.
"""

import hashlib
import math
import random
import re

import pytest

from gradcheck import assert_close, central_difference, check_value_params
from stepkit import REFERENCE_LOG, execute, losses, run, samples

K = 5  # training steps for the equivalence tests


@pytest.fixture(scope="module")
def step1():
    return execute(1, STOP_AFTER=K, NUM_SAMPLES=3)


@pytest.fixture(scope="module")
def step2():
    return execute(2, STOP_AFTER=K, NUM_SAMPLES=3)


def tokens_of(env, doc):
    return [env["BOS"]] + [env["chars"].index(ch) for ch in doc] + [env["BOS"]]


# --- 1. gradients -------------------------------------------------------------------------------

def test_train1_prints_a_passing_gradient_check(step1):
    _, out = step1
    line = next(line for line in out.splitlines() if line.startswith("gradient check"))
    assert line == "gradient check | loss_n 3.297830 | loss_a 3.297830 | max diff 0.00000000"
    assert out.index("gradient check") < out.index("step    1")


def test_train1_analytic_gradient_matches_central_differences(step1):
    env, _ = step1
    tokens = tokens_of(env, env["docs"][7])
    loss, grads = env["analytic_gradient"](tokens)
    assert loss == pytest.approx(env["loss_of"](tokens), rel=1e-12)
    handles = env["params"]
    rng = random.Random(0)
    for i in rng.sample(range(len(handles)), 60) + [0, len(handles) - 1]:
        row, j = handles[i]
        old = row[j]

        def at(value):
            row[j] = value
            return env["loss_of"](tokens)

        numerical = central_difference(at, old)
        row[j] = old
        assert_close(grads[i], numerical, f"train1 parameter {i}")


def test_train1_gradient_check_catches_a_wrong_gradient(step1, monkeypatch):
    env, _ = step1
    tokens = tokens_of(env, env["docs"][3])
    right = env["linear_backward"]
    step_globals = env["analytic_gradient"].__globals__  # run_path returns a copy of the step's globals
    monkeypatch.setitem(step_globals, "linear_backward", lambda x, w, dy, dw: right(x, w, [2 * d for d in dy], dw))
    _, wrong = env["analytic_gradient"](tokens)
    _, numerical = env["numerical_gradient"](tokens, env["params"])
    assert max(abs(a - b) for a, b in zip(wrong, numerical)) > 1e-3


UNARY = {
    "log": (lambda a: a.log(), math.log, 1.7),
    "exp": (lambda a: a.exp(), math.exp, -0.3),
    "relu+": (lambda a: a.relu(), lambda a: max(0.0, a), 0.8),
    "relu-": (lambda a: a.relu(), lambda a: max(0.0, a), -0.8),
    "neg": (lambda a: -a, lambda a: -a, 0.4),
    "pow3": (lambda a: a**3, lambda a: a**3, -1.3),
    "pow-0.5": (lambda a: a**-0.5, lambda a: a**-0.5, 2.2),
    "radd": (lambda a: 2 + a, lambda a: 2 + a, 0.1),
    "rsub": (lambda a: 2 - a, lambda a: 2 - a, 0.1),
    "rmul": (lambda a: 3 * a, lambda a: 3 * a, 0.1),
    "rdiv": (lambda a: 3 / a, lambda a: 3 / a, 1.5),
    "div-const": (lambda a: a / 4, lambda a: a / 4, 1.5),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("name", UNARY)
def test_value_unary_operations(step2, name):
    Value = step2[0]["Value"]
    op, plain, x = UNARY[name]
    a = Value(x)
    out = op(a)
    out.backward()
    assert out.data == pytest.approx(plain(x), rel=1e-15)
    assert_close(a.grad, central_difference(plain, x), name)


@pytest.mark.parametrize("name", BINARY)
def test_value_binary_operations(step2, name):
    Value = step2[0]["Value"]
    op = BINARY[name]
    x, y = 1.3, -0.7
    a, b = Value(x), Value(y)
    out = op(a, b)
    out.backward()
    assert_close(a.grad, central_difference(lambda t: op(t, y), x), f"{name} d/da")
    assert_close(b.grad, central_difference(lambda t: op(x, t), y), f"{name} d/db")


def composite(a, b, c):
    """Every operation, with reuse of the same inputs (so gradients must accumulate)."""
    d = a * b + b**3 - c / a
    e = (d * d + 1).log() - (-d).exp() * 0.5
    f = (e - a).relu() + (2 - b).relu() * c
    return f / (1 + a * a) + sum([a, b, c, e]) * f


def test_value_backward_on_a_composite_expression(step2):
    Value = step2[0]["Value"]
    point = (0.9, -1.1, 0.6)
    inputs = [Value(x) for x in point]
    out = composite(*inputs)
    out.backward()
    for k, v in enumerate(inputs):
        def along(t, k=k):
            args = list(point)
            args[k] = t
            return composite(*[Value(x) for x in args]).data
        assert_close(v.grad, central_difference(along, point[k]), f"composite d/d{'abc'[k]}")


def test_value_gradient_accumulates_over_reuse(step2):
    Value = step2[0]["Value"]
    a = Value(3.0)
    out = a * a + a  # d/da = 2a + 1
    out.backward()
    assert a.grad == 7.0


def test_train2_gradient_equals_the_hand_derived_one(step1, step2):
    """Two independent derivations, the chain rule by hand (train1) and autograd (train2), agree."""
    env1, env2 = step1
    env2 = step2[0]
    # same weights in both: copy train1's (after K steps) into train2's Values
    for (row, j), p in zip(env1["params"], env2["params"]):
        p.data, p.grad = row[j], 0
    tokens = tokens_of(env1, env1["docs"][11])
    loss1, grads1 = env1["analytic_gradient"](tokens)
    n = len(tokens) - 1
    loss2 = (1 / n) * sum(-env2["softmax"](env2["model"](tokens[pos]))[tokens[pos + 1]].log() for pos in range(n))
    loss2.backward()
    assert loss2.data == pytest.approx(loss1, abs=1e-12)
    assert max(abs(p.grad - g) for p, g in zip(env2["params"], grads1)) < 1e-12


@pytest.mark.parametrize("step,knobs", [(3, {}), (4, {}), (4, {"N_LAYER": "2"}), (5, {})])
def test_model_gradients_match_finite_differences(step, knobs):
    env, _ = execute(step, STOP_AFTER=1, NUM_SAMPLES=1, **knobs)  # after one update: not just the init
    doc = min(env["docs"][:50], key=len)  # a short name keeps the finite differences cheap
    tokens = tokens_of(env, doc)
    n = min(env["BLOCK_SIZE"], len(tokens) - 1)
    layers = env.get("N_LAYER")

    def loss():
        keys, values = ([[] for _ in range(layers)], [[] for _ in range(layers)]) if layers else ([], [])
        terms = [-env["softmax"](env["gpt"](tokens[pos], pos, keys, values))[tokens[pos + 1]].log() for pos in range(n)]
        return (1 / n) * sum(terms)

    # two weights of every matrix, in rows that this name reaches (the embedding rows it uses)
    rng, index, picks = random.Random(step), {id(p): i for i, p in enumerate(env["params"])}, []
    for name, mat in env["state_dict"].items():
        rows = {"wte": tokens[:n], "wpe": range(n)}.get(name, range(len(mat)))
        for _ in range(2):
            picks.append(index[id(rng.choice(mat[rng.choice(list(rows))]))])
    assert check_value_params(env, loss, picks) == len(picks) >= 18


def test_finite_difference_check_can_fail(step2):
    """The checker itself must reject a wrong derivative."""
    with pytest.raises(AssertionError):
        assert_close(2.0, central_difference(lambda x: x**3, 1.0), "x^3 at 1 has derivative 3, not 2")


# --- 2. equivalences ----------------------------------------------------------------------------

def test_train2_trains_exactly_like_train1(step1, step2):
    (env1, out1), (env2, out2) = step1, step2
    assert losses(out1) == losses(out2) and len(losses(out1)) == K
    assert env2["loss"].data == pytest.approx(env1["loss"], abs=1e-9)
    weights1 = [row[j] for row, j in env1["params"]]
    weights2 = [p.data for p in env2["params"]]
    assert max(abs(a - b) for a, b in zip(weights1, weights2)) < 1e-9
    assert samples(out1) == samples(out2)


def test_train4_with_one_head_and_one_layer_is_train3():
    env3, out3 = execute(3, STOP_AFTER=3, NUM_SAMPLES=5)
    env4, out4 = execute(4, STOP_AFTER=3, NUM_SAMPLES=5, N_HEAD=1, N_LAYER=1)
    assert out3 == out4
    assert [p.data for p in env3["params"]] == [p.data for p in env4["params"]]  # bit for bit


def test_train5_starts_from_train4s_model():
    env4, out4 = execute(4, STOP_AFTER=1, NUM_SAMPLES=1)
    env5, out5 = execute(5, STOP_AFTER=1, NUM_SAMPLES=1)
    assert env4["loss"].data == env5["loss"].data
    assert losses(out4) == losses(out5) == [3.3660]
    assert [p.grad for p in env4["params"]] == [p.grad for p in env5["params"]] == [0] * 4192


@pytest.mark.parametrize("step", [4, 5])
def test_default_size_has_4192_parameters(step):
    result = run(step, STOP_AFTER=1, NUM_SAMPLES=1)
    assert "num params: 4192" in result.stdout


# --- 3. fidelity --------------------------------------------------------------------------------

def test_train5_reproduces_the_reference_log_for_its_first_steps():
    """Stopped early with STOP_AFTER, so the learning-rate schedule is still the 1000-step one."""
    k = 12
    reference = REFERENCE_LOG.read_text(encoding="utf-8").splitlines()
    result = run(5, STOP_AFTER=k, NUM_SAMPLES=1)
    assert result.stdout.splitlines()[: 3 + k] == reference[: 3 + k]


def test_train5_weights_after_five_steps_are_bit_identical_to_the_straightforward_implementation():
    """Recorded from commit 6e4c083 (before the speed work): sha256 of float.hex of every weight."""
    env, _ = execute(5, STOP_AFTER=5, NUM_SAMPLES=1)
    weights = "\n".join(float(p.data).hex() for p in env["params"])
    assert hashlib.sha256(weights.encode()).hexdigest() == "15fab3919d3a53734c8eeb56c0f0bfff089f3afec72460c262af99ed8dce85ec"


def test_train4_reproduces_the_reference_progression_for_its_first_steps():
    _, out = execute(4, STOP_AFTER=5, NUM_SAMPLES=1)
    assert losses(out) == [3.3660, 3.4273, 3.1706, 3.0615, 3.2396]  # ladder.md


# --- 4. every step's output ---------------------------------------------------------------------

@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_output_format(step):
    result = run(step, NUM_STEPS=3)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    header = ["num docs: 32033", "vocab size: 27", f"num params: {3184 if step < 3 else 4192}"]
    assert out.splitlines()[:3] == header
    steps = [line for line in out.splitlines() if line.startswith("step ")]
    assert [s[:16] for s in steps] == ["step    1 /    3", "step    2 /    3", "step    3 /    3"]
    assert all(re.fullmatch(r"step +\d+ / +\d+ \| loss \d+\.\d{4}", s) for s in steps)
    assert all(math.isfinite(x) for x in losses(out))
    assert "\n\n--- inference (new, hallucinated names) ---\n" in out
    names = samples(out)
    assert len(names) == 20 and all(re.fullmatch(r"[a-z]*", name) for name in names)


@pytest.mark.parametrize("knobs,message", [({"N_HEAD": "3"}, "divisible by N_HEAD"), ({"N_LAYER": "x"}, "N_LAYER must be")])
def test_bad_model_size_is_one_clear_line(knobs, message):
    result = run(5, **knobs)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
