"""train1: an MLP with gradients by hand, checked against finite differences; its output and notebook."""

import random

import pytest

from tools import steprun

from gradcheck import assert_close, central_difference
from stepkit import ROOT
from steptests import EveryStep, quick, tokens_of


class TestEveryStep(EveryStep):
    n, params = 1, 3184


def test_prints_a_passing_gradient_check_before_training():
    _, out = quick(1)
    line = steprun.parse(out).check
    assert line == "gradient check | loss_n 3.297830 | loss_a 3.297830 | max diff 0.00000000"
    assert out.index("gradient check") < out.index("step    1")


def test_the_readme_explains_the_gradient_check_line():
    """Each field of the line, and what a good max diff looks like: the one train1 prints with the
    defaults."""
    _, out = quick(1)
    line = steprun.parse(out).check
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = " ".join(readme.split("**The gradient check.**", 1)[1].split("\n\n", 1)[0].split())
    assert "`gradient check | loss_n … | loss_a … | max diff …`" in paragraph
    for field in ("`loss_n`", "`loss_a`", "`max diff`"):
        assert field in paragraph, field
    assert f"A correct gradient prints `max diff {line.rsplit(' ', 1)[1]}`" in paragraph


def test_analytic_gradient_matches_central_differences():
    env, _ = quick(1)
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


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    env, _ = quick(1)
    tokens = tokens_of(env, env["docs"][3])
    right = env["linear_backward"]
    step_globals = env["analytic_gradient"].__globals__  # run_path returns a copy of the step's globals
    monkeypatch.setitem(
        step_globals, "linear_backward", lambda x, w, dy, dw: right(x, w, [2 * d for d in dy], dw)
    )
    _, wrong = env["analytic_gradient"](tokens)
    # every 10th parameter, as a quick run's check nudges only some: the doubled gradient is everywhere
    _, numerical = env["numerical_gradient"](tokens, env["params"][::10])
    assert max(abs(a - b) for a, b in zip(wrong[::10], numerical)) > 1e-3


def test_a_quick_run_checks_every_kth_parameter_of_every_matrix():
    """The numerical check costs one forward pass per parameter: a quick run nudges every k-th one
    (k = 1000 / NUM_STEPS), still some of every matrix, and still prints a passing check."""
    env, out = quick(1, NUM_STEPS=10, STOP_AFTER=10)
    assert env["every"] == 100 and len(env["grad_n"]) == 32
    checked = {id(row) for row, _ in env["params"][:: env["every"]]}
    for name, matrix in env["state_dict"].items():
        assert checked & {id(row) for row in matrix}, f"the quick check nudges nothing in {name}"
    line = steprun.parse(out).check
    assert float(line.rsplit(" ", 1)[1]) < 1e-4, line
