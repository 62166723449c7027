"""Trajectories: the laws of the project as properties, and the public API.

Hypothesis draws only traced values (starts, learning rates, scales, shifts)
for a fixed, small set of (problem, optimizer, steps) combinations, so a
property compiles once per combination, not once per example.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import optax
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import lossviz
from lossviz.optimizers import OPTIMIZERS
from lossviz.problems import PROBLEMS
from lossviz.trajectories import f32, first_nonfinite

STEPS = 20  # the same as test_optimizers: its compiled runs are reused here
GRADIENT_ONLY = sorted(name for name, p in OPTIMIZERS.items() if not p.reads_value)
SHIFT_PROBLEMS = ("rosenbrock", "himmelblau", "logistic_regression", "saddle")
CONVEX = ("quadratic", "linear_regression", "logistic_regression")


@st.composite
def starts(draw, problem: str) -> tuple[float, float]:
    """A start point inside the problem's bounds."""
    (lo1, hi1), (lo2, hi2) = PROBLEMS[problem].bounds
    return (draw(st.floats(lo1, hi1)), draw(st.floats(lo2, hi2)))


@st.composite
def problem_and_start(draw, problems=SHIFT_PROBLEMS) -> tuple[str, tuple[float, float]]:
    problem = draw(st.sampled_from(problems))
    return problem, draw(starts(problem))


learning_rates = st.floats(1e-4, 1.0)
shifts = st.floats(-100.0, 100.0)


def assert_same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert np.array_equal(a, b, equal_nan=True), f"first difference at row {_first_difference(a, b)}"


def _first_difference(a: np.ndarray, b: np.ndarray) -> int | None:
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    rows = np.flatnonzero(~same.reshape(len(a), -1).all(axis=1))
    return int(rows[0]) if rows.size else None


# --- law 1: a shift never changes a gradient-only optimizer's path ------------


@pytest.mark.parametrize("optimizer", GRADIENT_ONLY)
@given(case=problem_and_start(), lr=learning_rates, c=shifts)
def test_shift_never_changes_a_gradient_only_path(optimizer, case, lr, c):
    problem, start = case
    base = lossviz.run_preset(problem, optimizer, lr=lr, start=start, steps=STEPS)
    shifted = lossviz.run_preset(problem, optimizer, lr=lr, start=start, steps=STEPS, shift=c)
    assert_same_bits(shifted.params, base.params)  # bit for bit, even after a divergence
    assert_same_bits(shifted.loss, base.loss)
    # Only the plotted objective moves, by c.
    ok = slice(0, first_nonfinite(base.params, base.objective, shifted.objective))
    np.testing.assert_allclose(
        shifted.objective[ok], base.objective[ok] + np.float32(c), rtol=1e-6, atol=1e-4
    )


# --- law 2: negating the loss = SGD with a negated learning rate (ascent) -----


@given(case=problem_and_start((*SHIFT_PROBLEMS, "quadratic")), lr=learning_rates)
def test_negated_loss_is_sgd_with_negated_learning_rate(case, lr):
    problem, start = case
    negated = lossviz.run_preset(problem, "sgd", lr=lr, start=start, steps=STEPS, scale=-1.0)
    ascent = lossviz.run_preset(problem, "sgd", lr=-lr, start=start, steps=STEPS)
    assert_same_bits(negated.params, ascent.params)
    assert_same_bits(negated.objective, -ascent.objective)


@given(start=starts("quadratic"), lr=st.floats(1e-3, 0.07))
def test_descent_on_the_negated_loss_climbs_the_loss(start, lr):
    assume(max(abs(start[0]), abs(start[1])) > 1e-2)
    run = lossviz.run_preset("quadratic", "sgd", lr=lr, start=start, steps=STEPS, scale=-1.0)
    assert run.diverged_at is None
    assert np.all(np.diff(run.objective) <= 0)  # the plotted -L "decreases" ...
    assert np.all(np.diff(run.loss) >= 0)  # ... while the real L grows
    assert run.loss[-1] > run.loss[0]


# --- law 3: SGD on a*L = SGD on L with a*lr ------------------------------------


@given(
    case=problem_and_start(CONVEX),
    a=st.floats(0.1, 10.0),
    effective_lr=st.floats(1e-4, 0.07),
)
def test_scaled_loss_is_sgd_with_scaled_learning_rate(case, a, effective_lr):
    problem, start = case
    scaled = lossviz.run_preset(problem, "sgd", lr=effective_lr / a, start=start, steps=STEPS, scale=a)
    plain = lossviz.run_preset(problem, "sgd", lr=effective_lr, start=start, steps=STEPS)
    rows = min(scaled.diverged_at or STEPS + 1, plain.diverged_at or STEPS + 1)
    assume(rows > 1)
    size = np.abs(plain.params[:rows]).max()
    np.testing.assert_allclose(scaled.params[:rows], plain.params[:rows], rtol=1e-5, atol=1e-6 * size)
    np.testing.assert_allclose(scaled.objective[:rows], a * plain.objective[:rows], rtol=1e-4, atol=1e-6)


# --- law 4: optimizers that read the value do see a shift ---------------------

VALUE_PROBLEMS = ("quadratic", "linear_regression", "himmelblau")


def _value_and_grad_at(problem: str, start) -> tuple[float, np.ndarray]:
    value, grad = jax.value_and_grad(PROBLEMS[problem].loss)(f32(start))
    return float(value), np.asarray(grad, np.float64)


nonzero_shifts = st.one_of(st.floats(-50.0, -0.5), st.floats(0.5, 50.0))


@given(case=problem_and_start(VALUE_PROBLEMS), lr=st.floats(1e-3, 0.5), c=nonzero_shifts)
def test_shift_changes_the_loss_times_gradient_path(case, lr, c):
    problem, start = case
    _, grad = _value_and_grad_at(problem, start)
    assume(np.linalg.norm(grad) > 1e-2)  # not already at a stationary point
    base = lossviz.run_preset(problem, "loss_x_grad", lr=lr, start=start, steps=STEPS)
    shifted = lossviz.run_preset(problem, "loss_x_grad", lr=lr, start=start, steps=STEPS, shift=c)
    # The first step is already different: lr * (L + c) * grad instead of lr * L * grad.
    assert not np.array_equal(shifted.params[1], base.params[1])


@given(case=problem_and_start(VALUE_PROBLEMS), lr=st.floats(1e-2, 2.0), c=nonzero_shifts)
def test_shift_changes_the_polyak_path(case, lr, c):
    problem, start = case
    value, grad = _value_and_grad_at(problem, start)
    g2 = float(grad @ grad)
    assume(g2 > 1e-4)  # not already at a stationary point
    # The step (L - f*) / |grad|^2 is capped at lr: a shift shows only if one of
    # the two first steps is below the cap.
    assume(min(value, value + c) / g2 < 0.9 * lr)
    base = lossviz.run_preset(problem, "polyak", lr=lr, start=start, steps=STEPS)
    shifted = lossviz.run_preset(problem, "polyak", lr=lr, start=start, steps=STEPS, shift=c)
    assert not np.array_equal(shifted.params[1], base.params[1])
    assert not np.array_equal(shifted.params, base.params, equal_nan=True)


# --- backtracking: reads the value only through differences --------------------

BACKTRACKING_STEPS = 50  # decisions flip late (near convergence): run longer
SLOPE_RTOL = 1e-4  # optax's default Armijo constant, used by the preset


def _armijo_margin(run, k: int, grad: np.ndarray, lr: float) -> tuple[float, float]:
    """The accepted step size at row k-1 -> k and its Armijo margin (<= 0: accepted)."""
    step = run.params[k].astype(np.float64) - run.params[k - 1]
    s = float(np.linalg.norm(step) / np.linalg.norm(grad))  # the step is -s * grad
    margin = float(run.objective[k]) - float(run.objective[k - 1]) + SLOPE_RTOL * s * float(grad @ grad)
    return s, margin


@given(
    case=problem_and_start(("quadratic", "himmelblau", "linear_regression")),
    lr=st.floats(1e-3, 1.0),
    c=st.floats(-1000.0, 1000.0),
)
def test_backtracking_shift_only_flips_decisions_within_rounding(case, lr, c):
    """A shift cancels in ``L(new) - L(old)``, except for the rounding of ``L + c``.

    What was found: the shifted run is bit-for-bit the original until the first
    line-search trial whose Armijo margin is within about one float32 ulp of
    ``|L| + |c|`` (typically near convergence, where the decrease per step is
    that small); there one run accepts a step the other rejects. So: at the
    first differing row, the run that took the longer step accepted it by a
    margin no bigger than the rounding of ``L + c``.
    """
    problem, start = case
    base = lossviz.run_preset(problem, "backtracking", lr=lr, start=start, steps=BACKTRACKING_STEPS)
    shifted = lossviz.run_preset(
        problem, "backtracking", lr=lr, start=start, steps=BACKTRACKING_STEPS, shift=c
    )
    k = _first_difference(shifted.params, base.params)
    if k is None:
        return  # no decision was close enough to flip
    assert k >= 1
    grad = np.asarray(jax.grad(PROBLEMS[problem].loss)(base.params[k - 1]), np.float64)
    (s0, m0), (s1, m1) = (_armijo_margin(r, k, grad, lr) for r in (base, shifted))
    margin = m0 if s0 > s1 else m1
    rounding = np.spacing(np.float32(abs(c) + abs(base.loss[k - 1]) + abs(base.loss[k])))
    # Slack for recovering s from float32 params.
    slack = 4 * SLOPE_RTOL * np.spacing(np.float32(np.abs(base.params[k - 1]).max())) * np.linalg.norm(grad)
    assert abs(margin) <= 2 * rounding + slack, (k, s0, s1, m0, m1, rounding)


@given(case=problem_and_start(("quadratic", "linear_regression")), lr=st.floats(1e-3, 1.0), c=shifts)
def test_backtracking_shifted_run_ends_close(case, lr, c):
    problem, start = case
    base = lossviz.run_preset(problem, "backtracking", lr=lr, start=start, steps=BACKTRACKING_STEPS)
    shifted = lossviz.run_preset(
        problem, "backtracking", lr=lr, start=start, steps=BACKTRACKING_STEPS, shift=c
    )
    assert base.diverged_at is None and shifted.diverged_at is None
    # Armijo's condition: the loss never goes up (beyond rounding of L + c).
    tol = 4 * np.spacing(np.float32(abs(c) + base.loss[0]))
    assert np.all(np.diff(shifted.loss) <= tol) and np.all(np.diff(base.loss) <= tol)
    assert abs(float(shifted.loss[-1]) - float(base.loss[-1])) <= 1e-4 * (abs(c) + float(base.loss[0]))


# --- public API vs the hot path ------------------------------------------------
# trajectory() compiles a program per (loss, optimizer, steps); the app's run_preset is a lane
# of lossviz.engine's one program. Two programs may round differently: they agree to float32
# rounding (tests/test_engine.py checks every problem and optimizer).


def test_python_float_hyper_parameters_agree_to_rounding():
    # optax computes e.g. 1 - b1 in float64 from Python floats, in float32 from a traced value.
    p = PROBLEMS["rosenbrock"]
    t = lossviz.trajectory(p.loss, p.start, optax.adam(0.05), 100)
    run = lossviz.run_preset("rosenbrock", "adam", lr=0.05, steps=100)
    np.testing.assert_allclose(t.params, run.params, rtol=1e-4)


def test_trajectory_with_a_value_aware_optax_optimizer():
    p = PROBLEMS["himmelblau"]
    t = lossviz.trajectory(p.loss, (0.5, -1.0), optax.polyak_sgd(max_learning_rate=0.1, f_min=0.0), 30)
    assert t.params.shape == (31, 2) and t.loss.shape == (31,) and t.diverged_at is None
    np.testing.assert_array_equal(t.params[0], f32((0.5, -1.0)))
    # loss[k] is the loss at params[k]: bit for bit as compiled code computes it
    # (eager op-by-op evaluation rounds differently, by an ulp or so).
    jitted = jax.jit(p.loss)
    assert [float(v) for v in t.loss] == [float(jitted(x)) for x in t.params]
    np.testing.assert_allclose(t.loss, [float(p.loss(x)) for x in t.params], rtol=1e-5, atol=1e-5)
    assert t.loss[-1] < 1e-3 * t.loss[0]  # Polyak steps with f* = 0 converge here


def test_trajectory_zero_and_negative_steps():
    t = lossviz.trajectory(PROBLEMS["quadratic"].loss, (1.0, 1.0), optax.sgd(0.1), steps=0)
    assert t.params.shape == (1, 2) and t.loss.shape == (1,)
    assert t.loss[0] == pytest.approx(13.0)
    with pytest.raises(ValueError, match="steps"):
        lossviz.trajectory(PROBLEMS["quadratic"].loss, (1.0, 1.0), optax.sgd(0.1), steps=-1)


# --- divergence ------------------------------------------------------------------


def test_divergence_is_reported_at_the_first_non_finite_row():
    run = lossviz.run_preset("rosenbrock", "sgd", lr=10.0, steps=STEPS)
    assert isinstance(run.diverged_at, int)
    finite = np.isfinite(run.params).all(axis=1) & np.isfinite(run.objective) & np.isfinite(run.loss)
    assert run.diverged_at == int(np.flatnonzero(~finite)[0])
    assert finite[: run.diverged_at].all()

    t = lossviz.trajectory(PROBLEMS["rosenbrock"].loss, PROBLEMS["rosenbrock"].start, optax.sgd(10.0), STEPS)
    finite = np.isfinite(t.params).all(axis=1) & np.isfinite(t.loss)
    assert t.diverged_at == int(np.flatnonzero(~finite)[0])


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "polyak"])
def test_saddle_with_a_huge_learning_rate_diverges_gracefully(optimizer):
    run = lossviz.run_preset("saddle", optimizer, lr=10.0, steps=STEPS)
    assert run.params.shape == (STEPS + 1, 2)
    assert run.diverged_at is None or 0 < run.diverged_at <= STEPS
    # Descent slides off along w2: the loss heads to -infinity.
    last = (run.diverged_at or STEPS + 1) - 1
    assert run.loss[last] < run.loss[0]


def test_first_nonfinite():
    params = np.zeros((4, 2), np.float32)
    assert first_nonfinite(params, np.zeros(4)) is None
    params[2, 1] = np.inf
    assert first_nonfinite(params) == 2
    assert first_nonfinite(np.zeros((4, 2)), np.array([0.0, np.nan, 0.0, 0.0])) == 1


# --- the issue's exact snippet -----------------------------------------------------


def test_the_issue_snippet():
    # The snippet as the issue writes it (math, optax and lossviz imported above).
    p = lossviz.PROBLEMS["rosenbrock"]
    f = lossviz.affine(p.loss, scale=1.0, shift=-2 * math.pi)
    t = lossviz.trajectory(p.loss, start=(-1.5, 2.0), optimizer=optax.adam(0.05), steps=300)
    assert t.params.shape == (301, 2) and t.loss.shape == (301,)
    np.testing.assert_array_equal(t.params[0], f32((-1.5, 2.0)))
    assert t.diverged_at is None
    assert t.loss[-1] < t.loss[0]

    ls = lossviz.landscape(p.loss, p.bounds, resolution=200)
    assert ls.w1.shape == (200,) and ls.w2.shape == (200,) and ls.values.shape == (200, 200)
    i, j = 150, 20
    assert ls.values[i, j] == pytest.approx(float(p.loss(f32([ls.w1[j], ls.w2[i]]))), rel=1e-6)

    gf = lossviz.gradient_field(p.loss, p.bounds, resolution=25)
    assert gf.grad.shape == (25, 25, 2)

    # The shifted loss: the same Adam path bit for bit; its values move by -2*pi.
    ts = lossviz.trajectory(f, start=(-1.5, 2.0), optimizer=optax.adam(0.05), steps=300)
    assert_same_bits(ts.params, t.params)
    np.testing.assert_allclose(ts.loss, t.loss - 2 * math.pi, rtol=1e-6, atol=1e-5)
