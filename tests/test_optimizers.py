"""Optimizer presets: registry-driven behaviour tests (every optimizer x every problem)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lossviz
from lossviz.optimizers import (
    DEFAULT_OPTIMIZER,
    MAX_HYPER,
    OPTIMIZERS,
    PRESET_NAMES,
    loss_times_gradient,
    scale_by_loss_value,
    selected,
)
from lossviz.problems import PROBLEMS
from lossviz.trajectories import f32

REQUIRED = {
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "lion",
    "polyak",
    "backtracking",
    "loss_x_grad",
}
VALUE_AWARE = {"polyak", "backtracking", "loss_x_grad"}
STEPS = 20


def test_registry_has_the_required_presets():
    assert len(OPTIMIZERS) >= 9
    assert REQUIRED <= set(OPTIMIZERS)
    assert DEFAULT_OPTIMIZER == "sgd"
    assert {name for name, p in OPTIMIZERS.items() if p.reads_value} == VALUE_AWARE


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_preset_fields(name):
    preset = OPTIMIZERS[name]
    assert preset.name == name and preset.title and preset.note
    assert preset.lr > 0
    assert len({h.name for h in preset.hyper}) == len(preset.hyper)
    for h in preset.hyper:
        assert h.min <= h.default <= h.max and h.step > 0
    assert preset.defaults() == tuple(h.default for h in preset.hyper)


def _update(tx, value: float, value_fn, params, grad):
    state = tx.init(params)
    updates, _ = tx.update(grad, state, params, value=jnp.float32(value), grad=grad, value_fn=value_fn)
    return np.asarray(updates)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_reads_value_flag_matches_behaviour(name):
    """An update changes with the loss value (or value_fn) exactly when ``reads_value``."""
    preset = OPTIMIZERS[name]
    loss = PROBLEMS["quadratic"].loss
    params = jnp.array([1.0, 0.5])
    value, grad = jax.value_and_grad(loss)(params)
    tx = preset.build(f32(preset.lr), f32(preset.defaults()))

    def other_fn(theta):
        # The same value at ``params`` plus one, and much steeper elsewhere.
        return loss(theta) + 1.0 + 1e3 * jnp.sum((theta - params) ** 2)

    same = _update(tx, float(value), loss, params, grad)
    other = _update(tx, float(value) + 1.0, other_fn, params, grad)
    assert np.all(np.isfinite(same)) and np.any(same != 0)
    assert (not np.array_equal(same, other)) == preset.reads_value


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_every_optimizer_runs_on_every_problem(problem, optimizer):
    preset = OPTIMIZERS[optimizer]
    run = lossviz.run_preset(problem, optimizer, lr=preset.lr, steps=STEPS)
    T = STEPS + 1
    assert run.params.shape == (T, 2) and run.objective.shape == (T,) and run.loss.shape == (T,)
    assert run.params.dtype == run.loss.dtype == np.float32
    np.testing.assert_array_equal(run.params[0], f32(PROBLEMS[problem].start))
    finite = np.isfinite(run.params).all(axis=1) & np.isfinite(run.objective) & np.isfinite(run.loss)
    if run.diverged_at is None:
        assert finite.all()
    else:
        # Divergence is allowed: it is reported at the first non-finite row.
        assert isinstance(run.diverged_at, int)
        assert 0 < run.diverged_at < T
        assert finite[: run.diverged_at].all() and not finite[run.diverged_at]
    # With the identity transform the objective is the loss (up to vmap's rounding).
    ok = slice(0, run.diverged_at)
    np.testing.assert_allclose(run.objective[ok], run.loss[ok], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_a_packed_state_gives_the_same_updates_bit_for_bit(optimizer):
    """``selected(..., packed=True)`` keeps only the selected preset's state, in two flat vectors."""
    preset = OPTIMIZERS[optimizer]
    loss = PROBLEMS["quadratic"].loss
    hyper = f32((*preset.defaults(), *[0.0] * (MAX_HYPER - len(preset.hyper))))

    @jax.jit
    def run(start):
        def steps(packed):
            tx = selected(PRESET_NAMES.index(optimizer), f32(0.001), hyper, packed=packed)

            def step(carry, _):
                params, state = carry
                value, grad = jax.value_and_grad(loss)(params)
                updates, state = tx.update(grad, state, params, value=value, grad=grad, value_fn=loss)
                return (optax.apply_updates(params, updates), state), params

            return jax.lax.scan(step, (start, tx.init(start)), length=STEPS)[1]

        return steps(False), steps(True)

    tupled, packed = run(jnp.array([-1.0, 1.5]))
    assert np.all(np.isfinite(packed)) and not np.array_equal(packed[0], packed[-1])
    np.testing.assert_array_equal(packed, tupled)


def test_hyper_defaults_and_arity():
    a = lossviz.run_preset("quadratic", "adam", lr=0.05, steps=STEPS)
    b = lossviz.run_preset("quadratic", "adam", lr=0.05, hyper=OPTIMIZERS["adam"].defaults(), steps=STEPS)
    np.testing.assert_array_equal(a.params, b.params)
    with pytest.raises(ValueError, match="hyper-parameters"):
        lossviz.run_preset("quadratic", "adam", lr=0.05, hyper=(0.9,), steps=STEPS)


def test_compile_counter_sees_compiles(count_compiles):
    # Guards the no-recompile test below: the counter must see a fresh compile.
    with count_compiles() as c:
        jax.jit(lambda x: x * 3.0 + 1.0)(jnp.arange(3.0))
    assert c.n >= 1


def _other_hyper(preset) -> tuple[float, ...]:
    return tuple(h.min + 0.37 * (h.max - h.min) for h in preset.hyper)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_no_recompile_when_continuous_settings_change(optimizer, count_compiles):
    preset = OPTIMIZERS[optimizer]
    lossviz.run_preset("rosenbrock", optimizer, lr=preset.lr, steps=STEPS)  # warm
    with count_compiles() as c:
        lossviz.run_preset("rosenbrock", optimizer, lr=0.5 * preset.lr, steps=STEPS)
        lossviz.run_preset("rosenbrock", optimizer, lr=preset.lr, hyper=_other_hyper(preset), steps=STEPS)
        lossviz.run_preset("rosenbrock", optimizer, lr=preset.lr, start=(0.5, -0.25), steps=STEPS)
        lossviz.run_preset("rosenbrock", optimizer, lr=preset.lr, scale=-2.0, shift=3.5, steps=STEPS)
        # Python ints and float64 are cast too.
        lossviz.run_preset(
            "rosenbrock", optimizer, lr=1, start=(1, 2), scale=3, shift=np.float64(0.1), steps=STEPS
        )
    assert c.n == 0


# --- the asker's hypothesis: step = lr * L * grad -----------------------------


@pytest.mark.parametrize("problem", ["quadratic", "rosenbrock", "saddle"])
def test_loss_times_gradient_update_by_hand(problem):
    loss = PROBLEMS[problem].loss
    params = jnp.array([0.7, -0.4])
    lr = 0.03
    value, grad = jax.value_and_grad(loss)(params)
    tx = loss_times_gradient(lr)
    updates, _ = tx.update(grad, tx.init(params), params, value=value)
    want = -lr * np.float64(value) * np.asarray(grad, np.float64)
    np.testing.assert_allclose(np.asarray(updates), want, rtol=1e-6)
    # Negative L (the saddle) turns it into ascent: the update is along +grad.
    assert np.sign(np.dot(np.asarray(updates), np.asarray(grad))) == -np.sign(float(value))


def test_scale_by_loss_value_needs_value():
    tx = scale_by_loss_value()
    params = jnp.ones(2)
    with pytest.raises(TypeError):
        tx.update(jnp.ones(2), tx.init(params), params)
    updates, _ = tx.update(jnp.array([1.0, -2.0]), tx.init(params), params, value=jnp.float32(-3.0))
    np.testing.assert_array_equal(np.asarray(updates), [-3.0, 6.0])


def test_polyak_preset_is_optax_polyak():
    # The preset is optax's own Polyak SGD with f* = 0, capped by the learning rate.
    loss = PROBLEMS["quadratic"].loss
    params = jnp.array([1.0, 0.2])
    value, grad = jax.value_and_grad(loss)(params)
    for lr in (0.01, 10.0):  # capped, then uncapped
        got = _update(OPTIMIZERS["polyak"].build(f32(lr), ()), float(value), loss, params, grad)
        step = min(float(value) / float(jnp.sum(grad**2)), lr)
        np.testing.assert_allclose(got, -step * np.asarray(grad), rtol=1e-6)
        ref = optax.polyak_sgd(max_learning_rate=lr, f_min=0.0)
        np.testing.assert_allclose(got, _update(ref, float(value), loss, params, grad), rtol=1e-6)
