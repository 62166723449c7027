"""Transforms of a loss: ``L'(theta) = a * g(L(theta)) + c``.

``c`` (shift) never changes the gradient; ``a`` (scale) multiplies it, and a
negative ``a`` turns descent into ascent; an increasing map ``g`` keeps the
minimisers but rescales the gradient by ``g'(L)`` point by point.

>>> import math
>>> import jax.numpy as jnp
>>> from lossviz.problems import PROBLEMS
>>> f = affine(PROBLEMS["quadratic"].loss, shift=-2 * math.pi)
>>> round(float(f(jnp.zeros(2))), 4)
-6.2832
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

Loss = Callable[[jax.Array], jax.Array]


@dataclasses.dataclass(frozen=True)
class MonotoneMap:
    """An increasing map ``g`` applied to the loss value.

    Attributes:
      name: registry key (used in URLs).
      label: how the page writes ``g(L)``.
      latex: the same in LaTeX.
      fn: the map, elementwise on arrays.
      needs_nonnegative: only defined (or only increasing) for ``L >= 0``.
      np_fn: the same map in NumPy, for values already on the host (no JAX call:
        an eager JAX op compiles a kernel for every new shape).
    """

    name: str
    label: str
    latex: str
    fn: Callable[[jax.Array], jax.Array]
    needs_nonnegative: bool
    np_fn: Callable[[np.ndarray], np.ndarray]


MONOTONE_MAPS: dict[str, MonotoneMap] = {
    m.name: m
    for m in (
        MonotoneMap("identity", "L", "L", lambda v: v, False, lambda v: v),
        MonotoneMap("log1p", "log(1 + L)", r"\log(1 + L)", jnp.log1p, True, np.log1p),
        MonotoneMap("sqrt", "√L", r"\sqrt{L}", jnp.sqrt, True, np.sqrt),
        MonotoneMap("square", "L²", "L^2", jnp.square, True, np.square),
    )
}


def maps_for(lower_bound: float | None) -> list[str]:
    """Names of the monotone maps defined for a loss with this lower bound."""
    nonnegative = lower_bound is not None and lower_bound >= 0.0
    return [n for n, m in MONOTONE_MAPS.items() if nonnegative or not m.needs_nonnegative]


def transform(loss: Loss, scale: float = 1.0, g: str = "identity", shift: float = 0.0) -> Loss:
    """Returns ``theta -> scale * g(loss(theta)) + shift``.

    ``scale`` and ``shift`` may be traced values: inside a jitted function the
    transformed loss then compiles once for all their values.
    """
    fn = MONOTONE_MAPS[g].fn

    def transformed(theta: jax.Array) -> jax.Array:
        return scale * fn(loss(theta)) + shift

    return transformed


def affine(loss: Loss, scale: float = 1.0, shift: float = 0.0) -> Loss:
    """Returns ``theta -> scale * loss(theta) + shift``."""
    return transform(loss, scale=scale, g="identity", shift=shift)


def apply_to_values(values: jax.Array, scale: float, g: str, shift: float) -> jax.Array:
    """The same transform applied to already computed loss values."""
    return scale * MONOTONE_MAPS[g].fn(values) + shift


def apply_to_host_values(values: np.ndarray, scale: float, g: str, shift: float) -> np.ndarray:
    """:func:`apply_to_values` in NumPy float32 (agrees to float32 rounding; never compiles)."""
    v = np.asarray(values, np.float32)
    with np.errstate(all="ignore"):  # a diverged run's inf stays inf, NaN stays NaN
        return (np.float32(scale) * MONOTONE_MAPS[g].np_fn(v) + np.float32(shift)).astype(np.float32)
