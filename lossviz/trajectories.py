"""Optimizer trajectories: ``steps`` optax updates from a start point.

:func:`trajectory` takes any loss and any optax optimizer (also those whose
``update`` needs ``value=``, ``grad=`` and ``value_fn=``); it compiles one
program per (loss, optimizer, steps), bounded. The app's hot path is
:func:`lossviz.engine.run_preset`, where every choice is data of one program;
the two agree to float32 rounding (``tests/test_engine.py``).

>>> import optax
>>> from lossviz.problems import PROBLEMS
>>> t = trajectory(PROBLEMS["quadratic"].loss, (1.0, 1.0), optax.sgd(0.1), steps=3)
>>> t.params.shape, t.loss.shape, t.diverged_at
((4, 2), (4,), None)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lossviz.programs import Programs

Loss = Callable[[jax.Array], jax.Array]


class Trajectory(NamedTuple):
    """An optimizer run.

    Attributes:
      params: ``(steps + 1, 2)``; row 0 is the start, row k the params after k updates.
      loss: ``(steps + 1,)``: the given loss at each row. Here the loss *is* what was
        optimised; a :class:`Run` of a transformed loss keeps the two apart
        (``objective`` = L′, ``loss`` = L), and so does a training
        :class:`~lossviz.training.History`.
      diverged_at: ``None``, or the first row whose params or loss are not finite.
    """

    params: np.ndarray
    loss: np.ndarray
    diverged_at: int | None


class Run(NamedTuple):
    """A run of the explorer: the objective it minimised and the original loss.

    Attributes:
      params: ``(steps + 1, 2)``.
      objective: ``(steps + 1,)``: ``L'`` (what the optimizer saw).
      loss: ``(steps + 1,)``: the original ``L`` at the same params.
      diverged_at: ``None`` or the first row with a non-finite param or value.
    """

    params: np.ndarray
    objective: np.ndarray
    loss: np.ndarray
    diverged_at: int | None


def first_nonfinite(params: np.ndarray, *values: np.ndarray) -> int | None:
    """Index of the first row of ``params`` (T, 2) or ``values`` (T,) that is not finite."""
    ok = np.isfinite(params).all(axis=1)
    for v in values:
        ok &= np.isfinite(v)
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if bad.size else None


def scan_updates(
    loss: Loss, optimizer: optax.GradientTransformation, start: jax.Array, steps: int, unroll: int = 1
):
    """``steps`` updates of ``optimizer`` on ``loss``; returns params (T+1, 2), values (T+1,).

    ``unroll``: steps per iteration of the compiled loop (a vmapped family runs faster with a few).
    """
    optimizer = optax.with_extra_args_support(optimizer)
    params0 = jnp.asarray(start, dtype=jnp.float32)
    value_and_grad = jax.value_and_grad(loss)

    def step(carry, _):
        params, state = carry
        value, grad = value_and_grad(params)
        updates, state = optimizer.update(grad, state, params, value=value, grad=grad, value_fn=loss)
        return (optax.apply_updates(params, updates), state), (params, value)

    (final, _), (params, values) = jax.lax.scan(
        step, (params0, optimizer.init(params0)), length=steps, unroll=unroll
    )
    params = jnp.concatenate([params, final[None]], axis=0)
    values = jnp.concatenate([values, loss(final)[None]], axis=0)
    return params, values


def _scan_program(start: jax.Array, *, loss: Loss, optimizer: optax.GradientTransformation, steps: int):
    return scan_updates(loss, optimizer, start, steps)


# keyed on the loss and optimizer objects themselves: a caller's new closure is a new program
_SCANS = Programs(_scan_program, static=("loss", "optimizer", "steps"), maxsize=16, name="trajectory")


def trajectory(
    loss: Loss,
    start: Sequence[float],
    optimizer: optax.GradientTransformation,
    steps: int = 100,
) -> Trajectory:
    """Runs ``optimizer`` on ``loss`` from ``start`` for ``steps`` updates.

    Args:
      loss: ``theta (2,) -> scalar``, pure JAX.
      start: the initial ``(w1, w2)``.
      optimizer: any optax transformation; value-aware ones get ``value=``,
        ``grad=`` and ``value_fn=`` on every update.
      steps: number of updates (>= 0).

    Returns:
      A :class:`Trajectory` with ``steps + 1`` rows (row 0 is the start).
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    start_arr = np.asarray(start, dtype=np.float32).reshape(2)
    params, values = _SCANS(start_arr, loss=loss, optimizer=optimizer, steps=int(steps))
    params, values = np.asarray(params), np.asarray(values)
    return Trajectory(params, values, first_nonfinite(params, values))


def f32(x: float | Sequence[float]) -> np.ndarray:
    """A ``float32`` array: the one argument type that never triggers a recompile."""
    return np.asarray(x, dtype=np.float32)
