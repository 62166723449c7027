"""Oracle tests of the toy problems: every loss and gradient against plain NumPy.

The oracle is an independent implementation in float64 with hand-derived
gradients; JAX runs in float32, hence the explicit tolerances.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lossviz import problems
from lossviz.problems import DEFAULT_PROBLEM, PROBLEMS

# --- the oracle: losses and hand-derived gradients in float64 ----------------


def _data(x, y):
    return np.asarray(x, np.float64), np.asarray(y, np.float64)


# Each oracle takes w1, w2 as float64 arrays of any (common) shape and returns
# (loss, grad) with grad's last axis (dL/dw1, dL/dw2).


def _linear(w, b):
    x, y = _data(problems.LINEAR_X, problems.LINEAR_Y)
    r = w[..., None] * x + b[..., None] - y
    return np.mean(r**2, axis=-1), np.stack([2 * np.mean(r * x, axis=-1), 2 * np.mean(r, axis=-1)], axis=-1)


def _logistic(w1, w2):
    x, y = _data(problems.LOGISTIC_X, problems.LOGISTIC_Y)
    margin = y * (w1[..., None] * x[:, 0] + w2[..., None] * x[:, 1])
    loss = np.mean(np.logaddexp(0.0, -margin), axis=-1)  # softplus(-margin)
    weight = y / (1.0 + np.exp(margin))  # y * sigmoid(-margin)
    return loss, -np.stack([np.mean(weight * x[:, 0], axis=-1), np.mean(weight * x[:, 1], axis=-1)], axis=-1)


def _quadratic(x, y):
    k = 25.0
    return 0.5 * (x**2 + k * y**2), np.stack([x, k * y], axis=-1)


def _rosenbrock(x, y):
    loss = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    return loss, np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)


def _himmelblau(x, y):
    a, b = x**2 + y - 11, x + y**2 - 7
    return a**2 + b**2, np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


def _beale(x, y):
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    loss = t1**2 + t2**2 + t3**2
    dx = 2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1)
    dy = 2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y**2
    return loss, np.stack([dx, dy], axis=-1)


def _saddle(x, y):
    return 0.5 * (x**2 - y**2), np.stack([x, -y], axis=-1)


def _rastrigin(x, y):
    loss = 20 + (x**2 - 10 * np.cos(2 * np.pi * x)) + (y**2 - 10 * np.cos(2 * np.pi * y))
    d = lambda t: 2 * t + 20 * np.pi * np.sin(2 * np.pi * t)
    return loss, np.stack([d(x), d(y)], axis=-1)


def _margins(w1, w2):
    x, y = _data(problems.CLASSIFIER_X, problems.CLASSIFIER_Y)
    return y * (w1[..., None] * x[:, 0] + w2[..., None] * x[:, 1]), x, y


def _mean_xy(weight, x, y):
    """mean over points of weight * y * x, as (..., 2)."""
    return np.stack([np.mean(weight * y * x[:, 0], axis=-1), np.mean(weight * y * x[:, 1], axis=-1)], axis=-1)


def _zero_one(w1, w2):
    m, x, _ = _margins(w1, w2)
    return np.mean(m <= 0, axis=-1), np.zeros(m.shape[:-1] + (2,))


def _zero_one_soft(w1, w2, t=problems.SURROGATE_TEMPERATURE):
    m, x, y = _margins(w1, w2)
    s = 1.0 / (1.0 + np.exp(-m / t))
    return np.mean(1.0 - s, axis=-1), -_mean_xy(s * (1.0 - s) / t, x, y)


def _zero_one_ste(w1, w2):
    # value of the 0-1 error, gradient of the sigmoid surrogate
    return _zero_one(w1, w2)[0], _zero_one_soft(w1, w2)[1]


def _classifier_logistic(w1, w2):
    m, x, y = _margins(w1, w2)
    return np.mean(np.logaddexp(0.0, -m), axis=-1), -_mean_xy(1.0 / (1.0 + np.exp(m)), x, y)


def _hinge(w1, w2):
    m, x, y = _margins(w1, w2)
    return np.mean(np.maximum(0.0, 1.0 - m), axis=-1), -_mean_xy((m < 1).astype(np.float64), x, y)


ORACLES = {
    "zero_one": _zero_one,
    "zero_one_soft": _zero_one_soft,
    "zero_one_ste": _zero_one_ste,
    "logistic": _classifier_logistic,
    "hinge": _hinge,
    "linear_regression": _linear,
    "logistic_regression": _logistic,
    "quadratic": _quadratic,
    "rosenbrock": _rosenbrock,
    "himmelblau": _himmelblau,
    "beale": _beale,
    "saddle": _saddle,
    "rastrigin": _rastrigin,
}
REQUIRED = set(ORACLES)
CLASSIFIERS = {"zero_one", "zero_one_soft", "zero_one_ste", "logistic", "hinge"}
NONSMOOTH = {"zero_one", "zero_one_ste", "hinge"}  # minima not stationary points (or a whole region)


def oracle(name: str, theta) -> tuple[float, np.ndarray]:
    """(loss, gradient) in float64 at one point ``theta``."""
    w1, w2 = np.asarray(theta, np.float64)
    loss, grad = ORACLES[name](np.asarray(w1), np.asarray(w2))
    return float(loss), grad


def sample_points(p) -> np.ndarray:
    """Fixed points (float32-representable) spread over the bounds, plus start and minima."""
    (lo1, hi1), (lo2, hi2) = p.bounds
    fractions = (0.07, 0.31, 0.5, 0.77, 0.96)
    grid = [(lo1 + f * (hi1 - lo1), lo2 + g * (hi2 - lo2)) for f in fractions for g in fractions[::-1]]
    return np.asarray([*grid, p.start, *p.minima], dtype=np.float32)


# --- the registry -------------------------------------------------------------


def test_registry_has_the_required_problems():
    assert len(PROBLEMS) >= 8
    assert REQUIRED <= set(PROBLEMS)
    assert DEFAULT_PROBLEM == "linear_regression"
    for name, p in PROBLEMS.items():
        assert p.name == name
        assert p.title and len(p.param_names) == 2


def test_every_problem_has_an_oracle():
    # A new problem must come with its hand-derived gradient here.
    assert set(PROBLEMS) <= set(ORACLES)


def test_regression_data():
    assert problems.LINEAR_X.shape == problems.LINEAR_Y.shape == (40,)
    assert problems.LOGISTIC_X.shape == (problems.LOGISTIC_Y.shape[0], 2)
    assert set(np.unique(problems.LOGISTIC_Y).tolist()) == {-1.0, 1.0}


# --- oracle tests ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_loss_and_gradient_match_the_oracle(name):
    p = PROBLEMS[name]
    value_and_grad = jax.jit(jax.value_and_grad(p.loss))
    for theta in sample_points(p):
        value, grad = value_and_grad(jnp.asarray(theta))
        assert value.shape == () and grad.shape == (2,)
        assert value.dtype == grad.dtype == jnp.float32
        want_value, want_grad = oracle(name, theta)
        scale = 1.0 + abs(want_value)
        np.testing.assert_allclose(float(value), want_value, rtol=1e-5, atol=1e-5 * scale, err_msg=f"{theta}")
        np.testing.assert_allclose(
            np.asarray(grad), want_grad, rtol=1e-4, atol=1e-4 * scale, err_msg=f"{theta}"
        )


# --- minima, bounds, lower bounds ---------------------------------------------


def _grid_values(name: str, bounds, n: int = 301) -> np.ndarray:
    (lo1, hi1), (lo2, hi2) = bounds
    w1, w2 = np.meshgrid(np.linspace(lo1, hi1, n), np.linspace(lo2, hi2, n))
    return ORACLES[name](w1, w2)[0]


BOUNDED = sorted(n for n, p in PROBLEMS.items() if p.lower_bound is not None)
# The 0-1 error (and its surrogates at a temperature) have no isolated minimiser:
# the best classifiers form a cone of directions.
WITH_MINIMA = sorted(n for n in BOUNDED if n not in {"zero_one", "zero_one_soft", "zero_one_ste"})


def test_only_the_zero_one_family_lists_no_minima():
    assert {n for n in BOUNDED if not PROBLEMS[n].minima} == {"zero_one", "zero_one_soft", "zero_one_ste"}


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_minima_are_stationary_global_minima_within_the_bounds(name):
    p = PROBLEMS[name]
    assert p.minima, "a bounded problem lists its minima"
    grid = _grid_values(name, p.bounds)
    if name in NONSMOOTH:
        # a kink at the minimum: no stationarity to check, only "nothing on the grid is lower"
        assert all(oracle(name, m)[0] <= grid.min() + 1e-9 for m in p.minima)
        return
    grad32 = jax.jit(jax.grad(p.loss))
    for m in p.minima:
        value, grad = oracle(name, m)
        # Float64 stationarity (minima are given to ~6 decimals).
        assert np.linalg.norm(grad) < 1e-3, (m, grad)
        # The float32 loss is stationary there too (up to float32 rounding).
        g32 = np.asarray(grad32(jnp.asarray(m, jnp.float32)))
        assert np.linalg.norm(g32) < 1e-2, (m, g32)
        assert value >= p.lower_bound - 1e-9
        # Nothing on a dense grid over the bounds is lower: a global minimum.
        assert value <= grid.min() + 1e-9, (m, value, grid.min())


@pytest.mark.parametrize("name", BOUNDED)
def test_lower_bound_holds_on_the_grid(name):
    p = PROBLEMS[name]
    assert _grid_values(name, p.bounds, n=101).min() >= p.lower_bound


@pytest.mark.parametrize("name", ["quadratic", "rosenbrock", "himmelblau", "beale", "rastrigin"])
def test_minimum_value_equals_the_lower_bound(name):
    p = PROBLEMS[name]
    for m in p.minima:
        assert oracle(name, m)[0] == pytest.approx(p.lower_bound, abs=1e-9)


def test_linear_regression_minimum_is_least_squares():
    x, y = _data(problems.LINEAR_X, problems.LINEAR_Y)
    (m,) = PROBLEMS["linear_regression"].minima
    np.testing.assert_allclose(m, np.polyfit(x, y, 1), rtol=1e-9, atol=1e-12)


def test_logistic_regression_minimum_is_exact():
    (m,) = PROBLEMS["logistic_regression"].minima
    _, grad = oracle("logistic_regression", m)
    assert np.linalg.norm(grad) < 1e-10


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_bounds_contain_start_and_minima(name):
    p = PROBLEMS[name]
    (lo1, hi1), (lo2, hi2) = p.bounds
    assert lo1 < hi1 and lo2 < hi2
    for w1, w2 in (p.start, *p.minima):
        assert lo1 <= w1 <= hi1 and lo2 <= w2 <= hi2, (w1, w2)


def test_saddle_is_unbounded_below():
    p = PROBLEMS["saddle"]
    assert p.lower_bound is None
    assert p.minima == ()
    along_w2 = np.array([float(p.loss(jnp.array([0.0, t]))) for t in (0.0, 0.5, 1.0, 10.0, 100.0)])
    assert np.all(np.diff(along_w2) < 0)
    assert along_w2[-1] < -1000.0


def test_suggested_learning_rates_make_sgd_progress():
    from lossviz.engine import run_preset
    from lossviz.ui.settings import LR_CHOICES

    for name, p in PROBLEMS.items():
        assert p.lr in LR_CHOICES, name
        run = run_preset(name, "sgd", lr=p.lr, steps=100)
        assert run.diverged_at is None, name
        if name == "zero_one":  # its gradient is zero: nothing can make progress
            np.testing.assert_array_equal(run.params, np.broadcast_to(run.params[0], run.params.shape))
        else:
            assert run.loss[-1] < run.loss[0], name


def test_hinge_minimum_solves_its_linear_programme():
    from scipy.optimize import linprog

    x, y = _data(problems.CLASSIFIER_X, problems.CLASSIFIER_Y)
    n = len(y)
    cost = np.r_[0.0, 0.0, np.full(n, 1.0 / n)]
    a_ub = np.hstack([-(y[:, None] * x), -np.eye(n)])
    result = linprog(cost, A_ub=a_ub, b_ub=-np.ones(n), bounds=[(None, None)] * 2 + [(0, None)] * n)
    assert result.success
    np.testing.assert_allclose(PROBLEMS["hinge"].minima[0], result.x[:2], rtol=1e-6)
    assert oracle("hinge", PROBLEMS["hinge"].minima[0])[0] == pytest.approx(result.fun, rel=1e-6)


def test_logistic_classifier_minimum_is_exact():
    (m,) = PROBLEMS["logistic"].minima
    assert np.linalg.norm(oracle("logistic", m)[1]) < 1e-10


def test_straight_through_gradient_is_the_surrogates_and_its_value_the_zero_one_error():
    ste, soft, hard = (PROBLEMS[n].loss for n in ("zero_one_ste", "zero_one_soft", "zero_one"))
    for theta in sample_points(PROBLEMS["zero_one"]):
        theta = jnp.asarray(theta)
        assert float(ste(theta)) == float(hard(theta))
        np.testing.assert_array_equal(jax.grad(ste)(theta), jax.grad(soft)(theta))
        np.testing.assert_array_equal(jax.grad(hard)(theta), np.zeros(2))


def test_tempered_problems_take_a_temperature():
    p = PROBLEMS["zero_one_soft"]
    theta = jnp.asarray(p.start)
    assert p.temperature == problems.SURROGATE_TEMPERATURE
    assert float(p.at_temperature(p.temperature)(theta)) == float(p.loss(theta))
    assert float(p.at_temperature(0.05)(theta)) != float(p.loss(theta))
    assert PROBLEMS["rosenbrock"].at_temperature(0.1) is PROBLEMS["rosenbrock"].loss
