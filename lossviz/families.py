"""Families of runs: many starts (or learning rates) at once, in one vmapped program.

What a user may drag to next (a start point, a learning rate) is computed
ahead: :func:`trajectories_from` runs one optimizer from ``N`` starts in a
single ``jax.vmap`` of the same scan :func:`lossviz.trajectories.trajectory`
runs, so row ``i`` is that trajectory (to float32 rounding: another program).
:func:`basins` labels every start of a grid by the known minimum its run
reaches. The app's own families (every choice data, no new program) are
:func:`lossviz.engine.family`; both share :func:`basin_labels`.

>>> import numpy as np, optax
>>> from lossviz.problems import PROBLEMS
>>> fam = trajectories_from(PROBLEMS["quadratic"].loss, np.ones((3, 2)), optax.sgd(0.1), steps=4)
>>> fam.params.shape, fam.loss.shape, fam.diverged_at.tolist()
((3, 5, 2), (3, 5), [-1, -1, -1])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lossviz.landscapes import grid_axes
from lossviz.programs import Programs
from lossviz.trajectories import Loss, scan_updates

ELSEWHERE = -1
"""Basin label of a run that ends near none of the known minima."""
DIVERGED = -2
"""Basin label of a run whose parameters or loss stopped being finite."""


class Family(NamedTuple):
    """Runs from ``N`` starts.

    Attributes:
      params: ``(N, steps + 1, 2)``; ``params[i, 0]`` is start ``i``.
      loss: ``(N, steps + 1)``: the loss along each run.
      diverged_at: ``(N,)`` int: the first non-finite row of each run, ``-1`` where it stayed finite.
    """

    params: np.ndarray
    loss: np.ndarray
    diverged_at: np.ndarray


def first_nonfinite_rows(params: jax.Array, values: jax.Array) -> jax.Array:
    """Per run, the first row (axis 1) of ``params (N, T, 2)`` or ``values (N, T)`` that is not
    finite; ``-1`` where there is none. Inside the family's program: the same in NumPy took ~3 ms
    of a 32 x 32 x 200 family's ~12."""
    bad = ~(jnp.isfinite(params).all(axis=-1) & jnp.isfinite(values))
    return jnp.where(bad.any(axis=1), jnp.argmax(bad, axis=1), -1).astype(jnp.int32)


UNROLL = 4
"""Steps per iteration of a family's compiled loop (its per-iteration cost is paid a quarter as
often): measured 11 ms instead of 16 ms for 32 x 32 starts x 200 steps of linear regression before
:data:`BLOCK`; in blocks, 7.3 ms instead of 8.0 with 2, and 8 gains < 0.5 ms for twice the code."""


BLOCK = 256
"""Starts per block: a family of a multiple of 256 starts runs its blocks one after another
(``lax.map``). Measured 6.7-7 ms instead of 8.3-9.9 for 32 x 32 starts x 200 steps of linear
regression (its ``(starts, 40)`` intermediates, four per step, presumably stay in a faster cache),
5-6 ms instead of 6-7 for 64 x 64 on Himmelblau."""


def _family_program(starts, *, loss: Loss, optimizer: optax.GradientTransformation, steps: int):
    run = jax.vmap(lambda start: scan_updates(loss, optimizer, start, steps, min(UNROLL, max(steps, 1))))
    n = starts.shape[0]
    if n > BLOCK and n % BLOCK == 0:
        blocks = jax.lax.map(run, starts.reshape(n // BLOCK, BLOCK, 2))
        params, values = (a.reshape(n, *a.shape[2:]) for a in blocks)
    else:
        params, values = run(starts)
    return params, values, first_nonfinite_rows(params, values)


# keyed on the loss and optimizer objects (like lossviz.trajectories._SCANS) and the number of starts
_FAMILIES = Programs(_family_program, static=("loss", "optimizer", "steps"), maxsize=8, name="families")


def trajectories_from(
    loss: Loss, starts: np.ndarray, optimizer: optax.GradientTransformation, steps: int = 100
) -> Family:
    """Runs ``optimizer`` on ``loss`` from each row of ``starts (N, 2)`` for ``steps`` updates.

    One jitted, vmapped program per (loss, optimizer, steps, N); row ``i``
    equals ``trajectory(loss, starts[i], optimizer, steps)`` to float32 rounding.
    """
    starts = np.asarray(starts, dtype=np.float32)
    if starts.ndim != 2 or starts.shape[1] != 2 or not len(starts):
        raise ValueError(f"starts must have shape (N, 2) with N >= 1, got {starts.shape}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    params, values, diverged_at = (
        np.asarray(a) for a in _FAMILIES(starts, loss=loss, optimizer=optimizer, steps=int(steps))
    )
    return Family(params, values, diverged_at)


class Basins(NamedTuple):
    """Which known minimum the run from each start of a grid reaches.

    Attributes:
      labels: ``(R, R)`` int: ``labels[i, j]`` for the start ``(w1[j], w2[i])``
        (the orientation of :func:`lossviz.landscapes.landscape`): the index of
        the minimum the run ends within ``tol`` of, :data:`ELSEWHERE` (-1) if it
        ends near none, :data:`DIVERGED` (-2) if it diverged.
      w1, w2: ``(R,)`` grid axes.
      final_loss: ``(R, R)``: the loss where each run ends (NaN where it diverged).
    """

    labels: np.ndarray
    w1: np.ndarray
    w2: np.ndarray
    final_loss: np.ndarray


def basin_labels(
    final: np.ndarray, diverged: np.ndarray, minima: Sequence[Sequence[float]], tol: float
) -> np.ndarray:
    """Labels of runs ending at ``final (..., 2)``: the nearest of ``minima`` within ``tol``
    (Euclidean), else :data:`ELSEWHERE`; :data:`DIVERGED` where ``diverged`` (or not finite)."""
    final = np.asarray(final, dtype=np.float64)
    labels = np.full(final.shape[:-1], ELSEWHERE, np.int32)
    if len(minima):
        dist = np.linalg.norm(final[..., None, :] - np.asarray(minima, np.float64), axis=-1)
        nearest = np.nanargmin(np.where(np.isfinite(dist), dist, np.inf), axis=-1)
        near = np.take_along_axis(dist, nearest[..., None], axis=-1)[..., 0] <= tol
        labels = np.where(near, nearest, labels).astype(np.int32)
    bad = np.asarray(diverged, bool) | ~np.isfinite(final).all(axis=-1)
    return np.where(bad, DIVERGED, labels).astype(np.int32)


def grid_starts(bounds, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The axes of a ``resolution x resolution`` grid over ``bounds`` and its points ``(R*R, 2)``,
    row-major like :func:`lossviz.landscapes.landscape` (point ``i*R + j`` is ``(w1[j], w2[i])``)."""
    w1, w2 = grid_axes(bounds, resolution)
    g1, g2 = np.meshgrid(w1, w2)
    return w1, w2, np.stack([g1.ravel(), g2.ravel()], axis=1).astype(np.float32)


def basins(
    loss: Loss,
    optimizer: optax.GradientTransformation,
    bounds,
    resolution: int,
    steps: int,
    minima: Sequence[Sequence[float]],
    tol: float,
) -> Basins:
    """The basin map of ``optimizer`` on ``loss``: a run from every grid start, one program.

    Args:
      loss: ``theta (2,) -> scalar``, pure JAX.
      optimizer: any optax transformation.
      bounds: ``((w1_min, w1_max), (w2_min, w2_max))``.
      resolution: grid points per axis.
      steps: updates per run.
      minima: the known minimisers ``((w1, w2), ...)``.
      tol: how near (Euclidean) a run must end to a minimum to be in its basin.
    """
    if int(resolution) < 2:
        raise ValueError(f"resolution must be >= 2, got {resolution}")
    w1, w2, starts = grid_starts(bounds, int(resolution))
    fam = trajectories_from(loss, starts, optimizer, steps)
    final = fam.params[:, -1]
    diverged = fam.diverged_at >= 0
    labels = basin_labels(final, diverged, minima, tol)
    final_loss = np.where(diverged, np.nan, fam.loss[:, -1])
    shape = (int(resolution), int(resolution))
    return Basins(labels.reshape(shape), w1, w2, final_loss.reshape(shape))
