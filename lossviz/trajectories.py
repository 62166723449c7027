"""Optimizer trajectories: ``steps`` optax updates from a start point.

:func:`trajectory` takes any loss and any optax optimizer (also those whose
``update`` needs ``value=``, ``grad=`` and ``value_fn=``). :func:`run_preset` is
the app's hot path: problem, optimizer preset and monotone map are looked up
by name (static), every continuous setting is a traced ``float32``, so moving
a slider never recompiles. Both share :func:`scan_updates`, so they give the same numbers
for the same float32 hyper-parameters: bit for bit on most problems, within a few
ulps where XLA regroups constant factors differently (a traced ``scale=1``).

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

from lossviz.optimizers import OPTIMIZERS
from lossviz.problems import PROBLEMS
from lossviz.programs import Programs
from lossviz.transforms import transform

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


def scan_updates(loss: Loss, optimizer: optax.GradientTransformation, start: jax.Array, steps: int):
    """``steps`` updates of ``optimizer`` on ``loss``; returns params (T+1, 2), values (T+1,)."""
    optimizer = optax.with_extra_args_support(optimizer)
    params0 = jnp.asarray(start, dtype=jnp.float32)
    value_and_grad = jax.value_and_grad(loss)

    def step(carry, _):
        params, state = carry
        value, grad = value_and_grad(params)
        updates, state = optimizer.update(grad, state, params, value=value, grad=grad, value_fn=loss)
        return (optax.apply_updates(params, updates), state), (params, value)

    (final, _), (params, values) = jax.lax.scan(step, (params0, optimizer.init(params0)), length=steps)
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


STEPS_BUCKET = 100


def compiled_steps(steps: int) -> int:
    """The scan length compiled for ``steps`` updates: the next multiple of :data:`STEPS_BUCKET`.

    A run is causal (row k depends only on rows before it), so running longer
    and keeping the first ``steps + 1`` rows gives the same numbers, while the
    steps slider compiles 10 programs instead of 100.
    """
    return max(STEPS_BUCKET, -(-int(steps) // STEPS_BUCKET) * STEPS_BUCKET)


def _run_preset(
    lr, hyper, scale, shift, start, temperature, *, problem: str, optimizer: str, g: str, steps: int
):
    base = PROBLEMS[problem].at_temperature(temperature)
    objective = transform(base, scale=scale, g=g, shift=shift)
    params, values = scan_updates(objective, OPTIMIZERS[optimizer].build(lr, hyper), start, steps)
    return params, values, jax.vmap(base)(params)


# (problem, optimizer, g, steps bucket) -> a program; the least recently used is freed past the bound
RUNS = Programs(_run_preset, static=("problem", "optimizer", "g", "steps"), maxsize=48, name="run_preset")


def compiled_run_count() -> int:
    """How many programs :func:`run_preset` holds compiled (at most ``RUNS.maxsize``)."""
    return RUNS.live()


def f32(x: float | Sequence[float]) -> np.ndarray:
    """A ``float32`` array: the one argument type that never triggers a recompile."""
    return np.asarray(x, dtype=np.float32)


def run_preset(
    problem: str,
    optimizer: str,
    *,
    lr: float,
    hyper: Sequence[float] = (),
    steps: int = 100,
    start: Sequence[float] | None = None,
    scale: float = 1.0,
    g: str = "identity",
    shift: float = 0.0,
    temperature: float | None = None,
) -> Run:
    """Runs a registered optimizer on ``scale * g(L) + shift`` of a registered problem.

    Compiles once per ``(problem, optimizer, g)`` and bucket of ``steps`` (see
    :func:`compiled_steps`); every other argument
    is traced. ``hyper`` defaults to the preset's defaults when empty;
    ``temperature`` to the problem's own (ignored by problems without one).
    """
    preset = OPTIMIZERS[optimizer]
    hyper = tuple(hyper) if len(hyper) else preset.defaults()
    if len(hyper) != len(preset.hyper):
        raise ValueError(f"{optimizer} takes {len(preset.hyper)} hyper-parameters, got {len(hyper)}")
    p = PROBLEMS[problem]
    start = p.start if start is None else start
    temperature = (p.temperature or 1.0) if temperature is None else temperature
    params, objective, loss = RUNS(
        f32(lr),
        f32(hyper),
        f32(scale),
        f32(shift),
        f32(start),
        f32(temperature),
        problem=problem,
        optimizer=optimizer,
        g=g,
        steps=compiled_steps(steps),
    )
    rows = int(steps) + 1
    params, objective, loss = np.asarray(params[:rows]), np.asarray(objective[:rows]), np.asarray(loss[:rows])
    return Run(params, objective, loss, first_nonfinite(params, objective, loss))
