"""Gradient descent on a non-differentiable loss, on a "fake" gradient, and on surrogates.

A linear classifier's 0-1 error is piecewise constant, so ``jax.grad`` of it is
zero almost everywhere and descent never moves. :func:`descents` runs the
same optimizer from the same start on the 0-1 error (true gradient), on the
0-1 error with a straight-through gradient, and on smooth surrogates, and
records the 0-1 error along every path.

>>> d = descents(start=(-3.0, 1.0), lr=0.5, steps=50, temperature=0.5)
>>> bool((d["zero_one"].params == d["zero_one"].params[0]).all())  # never moved
True
>>> bool((d["zero_one_ste"].params == d["zero_one_soft"].params).all())  # the same run
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lossviz import surrogates
from lossviz.engine import MAX_STEPS, Lane, run_lanes
from lossviz.problems import PROBLEMS, zero_one_loss
from lossviz.programs import Programs
from lossviz.trajectories import f32


@dataclasses.dataclass(frozen=True)
class Method:
    """One way to 'descend' the 0-1 error: a problem of the registry and its story."""

    problem: str
    label: str
    gradient: str


METHODS: dict[str, Method] = {
    m.problem: m
    for m in (
        Method("zero_one", "true gradient of the 0-1 error", "exactly zero almost everywhere"),
        Method(
            "zero_one_ste",
            "straight-through (“fake”) gradient",
            "the sigmoid surrogate's, behind a 0-1 forward",
        ),
        Method("zero_one_soft", "sigmoid surrogate of the 0-1 error", "real: σ′(m/T)/T per point"),
        Method("logistic", "logistic loss", "real, never zero"),
        Method("hinge", "hinge loss", "real, zero for points with margin > 1"),
    )
}


class Descent(NamedTuple):
    """A run on one method's loss, and the 0-1 error along its path.

    Attributes:
      params: ``(steps + 1, 2)``.
      objective: ``(steps + 1,)``: the value of the loss this run descended (its forward pass).
      zero_one: ``(steps + 1,)``: the 0-1 error (fraction misclassified) at each row.
      diverged_at: ``None`` or the first non-finite row.
    """

    params: np.ndarray
    objective: np.ndarray
    zero_one: np.ndarray
    diverged_at: int | None


def _zero_one_program(params: jax.Array) -> jax.Array:
    return jax.vmap(jax.vmap(zero_one_loss))(jnp.nan_to_num(params))


_ZERO_ONE = Programs(
    _zero_one_program, maxsize=1, name="zero_one_on_paths"
)  # one shape: all runs, max length


def descents(
    start: Sequence[float] | None = None,
    *,
    lr: float = 0.5,
    steps: int = 200,
    temperature: float = 0.5,
    optimizer: str = "sgd",
) -> dict[str, Descent]:
    """Runs ``optimizer`` from ``start`` on every method's loss (see :data:`METHODS`).

    All methods are lanes of the app's one run program (:mod:`lossviz.engine`),
    so the straight-through and surrogate runs are runs of one compiled program.
    """
    start = PROBLEMS["zero_one"].start if start is None else (float(start[0]), float(start[1]))
    lanes = [Lane(name, optimizer, lr, int(steps), start=start, temperature=temperature) for name in METHODS]
    runs = run_lanes(lanes)
    padded = np.zeros((len(runs), MAX_STEPS + 1, 2), np.float32)
    for k, run in enumerate(runs):
        padded[k, : len(run.params)] = run.params
    zero_one = np.asarray(_ZERO_ONE(padded))
    out = {}
    for k, (name, run) in enumerate(zip(METHODS, runs, strict=True)):
        errors = zero_one[k, : len(run.params)].copy()
        if run.diverged_at is not None:
            errors[run.diverged_at :] = np.nan
        out[name] = Descent(run.params, run.objective, errors, run.diverged_at)
    return out


class Finding(NamedTuple):
    """What happened to one method: did it move, did the 0-1 error fall?"""

    method: str
    moved: bool
    distance: float
    zero_one_start: float
    zero_one_end: float


def findings(runs: dict[str, Descent]) -> list[Finding]:
    """A :class:`Finding` per method, in the order of :data:`METHODS`."""
    out = []
    for name, run in runs.items():
        last = len(run.params) - 1 if run.diverged_at is None else run.diverged_at - 1
        distance = float(np.abs(run.params[: last + 1] - run.params[0]).max()) if last >= 0 else 0.0
        # below float32's smallest normal number, a "move" is the CPU flushing a subnormal start to zero
        moved = distance >= np.finfo(np.float32).tiny
        out.append(Finding(name, moved, distance, float(run.zero_one[0]), float(run.zero_one[last])))
    return out


def straight_through_is_surrogate(runs: dict[str, Descent]) -> bool:
    """Whether the straight-through run equals the sigmoid-surrogate run bit for bit."""
    return bool(np.array_equal(runs["zero_one_ste"].params, runs["zero_one_soft"].params, equal_nan=True))


def _curves_program(x: jax.Array, temperature: jax.Array) -> tuple[jax.Array, ...]:
    soft = lambda v: surrogates.soft_step(v, temperature)
    return (
        jax.vmap(surrogates.step)(x),
        jax.vmap(soft)(x),
        jax.vmap(jax.grad(surrogates.step))(x),
        jax.vmap(jax.grad(soft))(x),
    )


_curves = Programs(_curves_program, maxsize=2, name="step_curves")


def step_curves(temperature: float, x: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``step``, ``soft_step`` and their ``jax.grad`` derivatives on ``x`` (default: 401 points in [-3, 3])."""
    x = np.linspace(-3.0, 3.0, 401, dtype=np.float32) if x is None else f32(x)
    step, soft, dstep, dsoft = (np.asarray(a) for a in _curves(x, f32(temperature)))
    return {"x": x, "step": step, "soft_step": soft, "d_step": dstep, "d_soft_step": dsoft}


def _argmaxes_program(z: jax.Array, temperature: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    soft = surrogates.soft_argmax(z, temperature)
    # d softmax_k / d z_k: the diagonal of the Jacobian (argmax's is all zeros)
    sensitivity = jnp.diagonal(jax.jacobian(lambda v: surrogates.soft_argmax(v, temperature))(z))
    return surrogates.hard_argmax(z), soft, sensitivity


_argmaxes = Programs(_argmaxes_program, maxsize=1, name="argmax_vs_softmax")  # one shape: padded logits


MAX_LOGITS = 8


def argmax_vs_softmax(logits: Sequence[float], temperature: float) -> dict[str, np.ndarray]:
    """One-hot argmax, softmax at ``temperature`` and softmax's ``∂p_k/∂z_k`` of the logits.

    Up to :data:`MAX_LOGITS` logits, padded with ``-inf`` (weight exactly 0 in a
    softmax, never the argmax), so that every count runs the same program.
    """
    n = len(logits)
    if not 1 <= n <= MAX_LOGITS:
        raise ValueError(f"between 1 and {MAX_LOGITS} logits, got {n}")
    padded = np.full(MAX_LOGITS, -np.inf, np.float32)
    padded[:n] = f32(logits)
    hard, soft, sensitivity = (np.asarray(a)[:n] for a in _argmaxes(padded, f32(temperature)))
    return {"argmax": hard, "softmax": soft, "sensitivity": sensitivity}


def warm_up() -> None:
    """Compiles (or loads from the persistent cache) this page's programs besides the engine's."""
    descents(steps=1)
    step_curves(1.0)
    argmax_vs_softmax([1.0, 0.0], 1.0)


def parse_logits(
    text: str, *, max_count: int = 8, limit: float = 100.0
) -> tuple[list[float] | None, str | None]:
    """Logits typed as ``"2, 1, 0.5"``: a list of 2..``max_count`` finite numbers, or an error message.

    Only ``float()`` parses the text: nothing typed is ever evaluated.
    """
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    if not 2 <= len(parts) <= max_count:
        return None, f"Type between 2 and {max_count} numbers separated by commas."
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            return None, f"{part[:20]!r} is not a number."
        if not np.isfinite(value) or abs(value) > limit:
            return None, f"{part[:20]!r}: logits must be finite numbers between −{limit:g} and {limit:g}."
        values.append(value)
    return values, None
