"""Finite differences: the independent math every gradient test compares against."""

import math


def central_difference(f, x, eps=1e-6):
    """d f / d x at x by (f(x + eps) - f(x - eps)) / 2 eps: error O(eps^2), no autograd involved."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def assert_close(analytic, numerical, what, rel=1e-5, abs_tol=1e-7):
    assert math.isclose(analytic, numerical, rel_tol=rel, abs_tol=abs_tol), (
        f"{what}: analytic {analytic!r} vs finite difference {numerical!r}"
    )


def check_value_params(env, loss_fn, indices, eps=1e-6):
    """Compare p.grad (after loss_fn().backward()) with finite differences of loss_fn's .data."""
    params = env["params"]
    for p in params:
        p.grad = 0
    loss_fn().backward()
    checked = 0
    for i in indices:
        p = params[i]
        analytic, old = p.grad, p.data

        def at(value):
            p.data = value
            return loss_fn().data

        numerical = central_difference(at, old, eps)
        p.data = old
        assert_close(analytic, numerical, f"parameter {i}")
        checked += 1
    return checked
