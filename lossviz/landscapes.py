"""Loss landscapes and gradient fields on a regular grid.

Convention (the one images and ``contourpy`` use): ``values[i, j]`` is the
loss at ``(w1[j], w2[i])``: rows follow ``w2``, columns follow ``w1``.

>>> from lossviz.problems import PROBLEMS
>>> p = PROBLEMS["quadratic"]
>>> ls = landscape(p.loss, p.bounds, resolution=5)
>>> ls.values.shape
(5, 5)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lossviz.problems import PROBLEMS, Bounds
from lossviz.programs import Programs
from lossviz.transforms import apply_to_values, transform

Loss = Callable[[jax.Array], jax.Array]


class Landscape(NamedTuple):
    """``w1 (R,)``, ``w2 (R,)``, ``values (R, R)`` with ``values[i, j] = L(w1[j], w2[i])``."""

    w1: np.ndarray
    w2: np.ndarray
    values: np.ndarray


class GradientField(NamedTuple):
    """``w1 (R,)``, ``w2 (R,)``, ``grad (R, R, 2)`` with ``grad[i, j] = ∇L(w1[j], w2[i])``."""

    w1: np.ndarray
    w2: np.ndarray
    grad: np.ndarray


def grid_axes(bounds: Bounds, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """``resolution`` evenly spaced points along each axis, ends included (float32)."""
    if resolution < 2:
        raise ValueError(f"resolution must be >= 2, got {resolution}")
    (lo1, hi1), (lo2, hi2) = bounds
    return (
        np.linspace(lo1, hi1, resolution, dtype=np.float32),
        np.linspace(lo2, hi2, resolution, dtype=np.float32),
    )


ROWS_AT_ONCE = 25
"""Grid rows evaluated at once: a loss over data (logistic regression's 120 points) on a 200 x 200
grid would otherwise need (200, 200, 120) intermediates, 40 MB of scratch per call."""


def on_grid(fn: Callable[[jax.Array], jax.Array], w1: jax.Array, w2: jax.Array) -> jax.Array:
    """``fn`` at every ``(w1[j], w2[i])``; result indexed ``[i, j, ...]``."""
    theta = jnp.stack(jnp.meshgrid(w1, w2), axis=-1)  # (R2, R1, 2), [i, j] = (w1[j], w2[i])
    return jax.lax.map(jax.vmap(fn), theta, batch_size=ROWS_AT_ONCE)


def _values_program(w1: jax.Array, w2: jax.Array, *, loss: Loss) -> jax.Array:
    return on_grid(loss, w1, w2)


def _grads_program(w1: jax.Array, w2: jax.Array, *, loss: Loss) -> jax.Array:
    return on_grid(jax.grad(loss), w1, w2)


_values = Programs(_values_program, static=("loss",), maxsize=8, name="landscape")
_grads = Programs(_grads_program, static=("loss",), maxsize=8, name="gradient_field")


def landscape(loss: Loss, bounds: Bounds, resolution: int = 200) -> Landscape:
    """Evaluates ``loss`` on a ``resolution x resolution`` grid over ``bounds``."""
    w1, w2 = grid_axes(bounds, resolution)
    return Landscape(w1, w2, np.asarray(_values(w1, w2, loss=loss)))


def gradient_field(loss: Loss, bounds: Bounds, resolution: int = 25) -> GradientField:
    """``jax.grad(loss)`` on a ``resolution x resolution`` grid over ``bounds``."""
    w1, w2 = grid_axes(bounds, resolution)
    return GradientField(w1, w2, np.asarray(_grads(w1, w2, loss=loss)))


class Views(NamedTuple):
    """Everything the explorer draws of ``L`` and ``L' = a g(L) + c``."""

    original: Landscape
    transformed: Landscape
    original_field: GradientField
    transformed_field: GradientField


def _views_program(
    scale, shift, temperature, *, problem: str, g: str, resolution: int, field_resolution: int
):
    p = PROBLEMS[problem]
    base = p.at_temperature(temperature)
    objective = transform(base, scale=scale, g=g, shift=shift)
    w1, w2 = (jnp.asarray(a) for a in grid_axes(p.bounds, resolution))
    f1, f2 = (jnp.asarray(a) for a in grid_axes(p.bounds, field_resolution))
    values = on_grid(base, w1, w2)
    return (
        values,
        # a g(L) + c of the values already computed: L is not evaluated twice
        apply_to_values(values, scale, g, shift),
        on_grid(jax.grad(base), f1, f2),
        on_grid(jax.grad(objective), f1, f2),
    )


VIEWS = Programs(
    _views_program, static=("problem", "g", "resolution", "field_resolution"), maxsize=24, name="views"
)


def views(
    problem: str,
    *,
    scale: float = 1.0,
    g: str = "identity",
    shift: float = 0.0,
    resolution: int = 200,
    field_resolution: int = 25,
    temperature: float | None = None,
) -> Views:
    """Landscapes and gradient fields of a registered problem and its transform.

    One compiled function per ``(problem, g, resolutions)``; ``scale``,
    ``shift`` and ``temperature`` (for problems that have one; default: the
    problem's) are traced, so changing them never recompiles.
    """
    p = PROBLEMS[problem]
    temperature = p.temperature_or(temperature)
    values, tvalues, grads, tgrads = (
        np.asarray(a)
        for a in VIEWS(
            np.float32(scale),
            np.float32(shift),
            np.float32(temperature),
            problem=problem,
            g=g,
            resolution=int(resolution),
            field_resolution=int(field_resolution),
        )
    )
    w1, w2 = grid_axes(p.bounds, resolution)
    f1, f2 = grid_axes(p.bounds, field_resolution)
    return Views(
        Landscape(w1, w2, values),
        Landscape(w1, w2, tvalues),
        GradientField(f1, f2, grads),
        GradientField(f1, f2, tgrads),
    )
