"""train2: the Value autograd, operation by operation against finite differences; train2 is train1 with
the gradients computed for us (same losses, weights and names); its output and notebook."""

import math
import os

import pytest

from gradcheck import assert_close, central_difference
from stepkit import losses, samples
from steptests import EveryStep, K, quick, tokens_of


class TestEveryStep(EveryStep):
    n, params = 2, 3184


# --- gradients, one operation at a time ----------------------------------------------------------

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


def Value(x):
    """A Value of train2's autograd."""
    return quick(2)[0]["Value"](x)


@pytest.mark.parametrize("name", UNARY)
def test_value_unary_operations(name):
    op, plain, x = UNARY[name]
    a = Value(x)
    out = op(a)
    out.backward()
    assert out.data == pytest.approx(plain(x), rel=1e-15)
    assert_close(a.grad, central_difference(plain, x), name)


@pytest.mark.parametrize("name", BINARY)
def test_value_binary_operations(name):
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


def test_value_backward_on_a_composite_expression():
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


def test_value_gradient_accumulates_over_reuse():
    a = Value(3.0)
    out = a * a + a  # d/da = 2a + 1
    out.backward()
    assert a.grad == 7.0


def test_finite_difference_check_can_fail():
    """The checker itself must reject a wrong derivative."""
    with pytest.raises(AssertionError):
        assert_close(2.0, central_difference(lambda x: x**3, 1.0), "x^3 at 1 has derivative 3, not 2")


# --- equivalence with train1 ---------------------------------------------------------------------


def test_gradient_equals_the_hand_derived_one_of_train1():
    """Two independent derivations, the chain rule by hand (train1) and autograd (train2), agree."""
    env1, _ = quick(1)
    env2, _ = quick(2)
    saved = [(p.data, p.grad) for p in env2["params"]]
    try:
        # same weights in both: train1's (after K steps) copied into train2's Values
        for (row, j), p in zip(env1["params"], env2["params"]):
            p.data, p.grad = row[j], 0
        tokens = tokens_of(env1, env1["docs"][11])
        loss1, grads1 = env1["analytic_gradient"](tokens)
        n = len(tokens) - 1
        loss2 = (1 / n) * sum(
            -env2["softmax"](env2["model"](tokens[pos]))[tokens[pos + 1]].log() for pos in range(n)
        )
        loss2.backward()
        assert loss2.data == pytest.approx(loss1, abs=1e-12)
        assert max(abs(p.grad - g) for p, g in zip(env2["params"], grads1)) < 1e-12
    finally:
        for p, (data, grad) in zip(env2["params"], saved):
            p.data, p.grad = data, grad


def test_trains_exactly_like_train1():
    (env1, out1), (env2, out2) = quick(1), quick(2)
    assert losses(out1) == losses(out2) and len(losses(out1)) == K
    assert env2["loss"].data == pytest.approx(env1["loss"], abs=1e-9)
    weights1 = [row[j] for row, j in env1["params"]]
    weights2 = [p.data for p in env2["params"]]
    assert max(abs(a - b) for a, b in zip(weights1, weights2)) < 1e-9
    assert samples(out1) == samples(out2)


def test_dot_is_the_sum_of_products_with_the_same_bits_and_gradients():
    """Value.dot is one node for sum(w_i * x_i): the same number, bit for bit, and d/dw_i = x_i, d/dx_i =
    w_i."""
    ws, xs = [0.3, -1.7, 2.9, 0.011], [1.1, 0.25, -0.6, 4.0]
    w, x = [Value(a) for a in ws], [Value(b) for b in xs]
    fused = type(w[0]).dot(w, x)
    unfused = sum(a * b for a, b in zip([Value(a) for a in ws], [Value(b) for b in xs]))
    assert fused.data == unfused.data  # same additions in the same order
    (fused * fused).backward()  # d(dot²) = 2·dot·(x_i or w_i)
    for i in range(len(ws)):

        def along_w(t, i=i):
            return sum(a * b for a, b in zip(ws[:i] + [t] + ws[i + 1 :], xs)) ** 2

        def along_x(t, i=i):
            return sum(a * b for a, b in zip(ws, xs[:i] + [t] + xs[i + 1 :])) ** 2

        assert_close(w[i].grad, central_difference(along_w, ws[i]), f"dot d/dw{i}")
        assert_close(x[i].grad, central_difference(along_x, xs[i]), f"dot d/dx{i}")


def peak_rss_mb(source, steps):
    """Peak memory (MB) of a run of this step's source for `steps` steps, in a fresh process."""
    import resource  # noqa: F401 - the child imports it; POSIX only, like the measurement
    import subprocess
    import sys

    from stepkit import environment

    # Linux's ru_maxrss starts from the parent's memory at fork (a pytest worker's 200 MB can hide the
    # run's own), so there the run's own peak is read from /proc; macOS gives ru_maxrss in bytes.
    probe = """import resource, runpy, sys
runpy.run_path(sys.argv[1], run_name="__main__")
try:
    kb = int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
except OSError:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
print(kb // 1024, file=sys.stderr)
"""
    result = subprocess.run(
        [sys.executable, "-c", probe, str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment({"NUM_STEPS": steps, "NUM_SAMPLES": 1}),
    )
    assert result.returncode == 0, result.stderr
    return int(result.stderr.split()[-1])


@pytest.mark.skipif(os.name == "nt", reason="peak memory is read with the POSIX resource module")
def test_the_textbook_recursive_backward_trains_in_flat_memory(tmp_path):
    """Exercise 2.4's textbook answer (micrograd's recursive build_topo, a nested function: a reference
    cycle per step) must not leak: the cycle collector is on. Proven able to fail: with the collector
    switched off, the same 100 steps keep every graph alive."""
    from stepkit import ROOT

    step = ROOT / "steps" / "train2.py"
    source = step.read_text(encoding="utf-8")
    assert "def build_topo(v):" in source and "gc.disable()" not in source
    short, long = peak_rss_mb(step, 20), peak_rss_mb(step, 100)
    assert long - short < 15, (
        f"20 steps peak at {short} MB, 100 steps at {long} MB: every step's graph is kept"
    )
    leaky = tmp_path / "train2.py"
    leaky.write_text(
        source.replace("import math\n", "import gc\nimport math\ngc.disable()\n", 1), encoding="utf-8"
    )
    assert peak_rss_mb(leaky, 100) - short > 50  # about 160 MB here, against 22
