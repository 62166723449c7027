"""Verdicts: what a transform of the loss did to an optimizer's path.

:func:`compare` turns an original and a transformed :class:`~lossviz.trajectories.Run`
into a structured :class:`Verdict`; :func:`describe` turns that into a sentence.
The checks are exact where the law is exact: "identical" means ``np.array_equal``
on every parameter of every step, not "close".

>>> import numpy as np
>>> from lossviz.trajectories import Run
>>> p = np.array([[0.0, 1.0], [0.0, 0.5]])
>>> a = Run(p, np.array([1.0, 0.25]), np.array([1.0, 0.25]), None)
>>> b = Run(p, np.array([-5.28, -6.03]), np.array([1.0, 0.25]), None)
>>> compare(a, b).kind
'identical'
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lossviz.trajectories import Run

IDENTICAL = "identical"
SAME_PATH = "same_path"
SAME_END = "same_end"
ASCENT = "ascent"
DIVERGED = "diverged"
DIFFERENT = "different"

KIND_LABELS = {
    IDENTICAL: "identical bit for bit",
    SAME_PATH: "same path (within tolerance)",
    SAME_END: "same end point, another path",
    ASCENT: "ascent: L grew",
    DIVERGED: "diverged",
    DIFFERENT: "different path and end point",
}


class Verdict(NamedTuple):
    """A structured comparison of two runs from the same start.

    Attributes:
      kind: one of ``identical``, ``same_path``, ``same_end``, ``ascent``,
        ``diverged``, ``different``.
      max_dtheta: largest ``|θ_original − θ_transformed|`` over the steps both
        runs are finite (``inf`` if one diverged earlier than the other).
      first_difference: first step where the parameters differ (``None``: never).
      loss_start, loss_end_original, loss_end_transformed: the original loss
        ``L`` at the start and at the last finite step of each run.
      diverged_original, diverged_transformed: first non-finite step or ``None``.
      tolerance: the distance under which two points count as the same.
      scale: the ``a`` of ``L' = a g(L) + c`` when known (``None``: judge by the numbers alone).
      effective_lr: for plain gradient steps on ``a L``, the learning rate they amount to
        (``a × lr``), when known: the cause of a divergence a positive scale brings.
    """

    kind: str
    max_dtheta: float
    first_difference: int | None
    loss_start: float
    loss_end_original: float
    loss_end_transformed: float
    diverged_original: int | None
    diverged_transformed: int | None
    tolerance: float
    scale: float | None = None
    effective_lr: float | None = None


def _last_finite(values: np.ndarray, diverged_at: int | None) -> float:
    index = len(values) - 1 if diverged_at is None else diverged_at - 1
    return float(values[index]) if index >= 0 else math.nan


def _first_difference(a: np.ndarray, b: np.ndarray) -> int | None:
    differs = np.flatnonzero(~np.all((a == b) | (np.isnan(a) & np.isnan(b)), axis=1))
    return int(differs[0]) if differs.size else None


def compare(
    original: Run,
    transformed: Run,
    tolerance: float = 1e-3,
    *,
    scale: float | None = None,
    effective_lr: float | None = None,
) -> Verdict:
    """Compares two runs that started at the same point.

    A verdict names only a cause it can prove: "ascent" means the transform
    reversed the loss (``scale < 0``; every monotone map here is increasing) and
    the real loss then grew. With a positive ``scale`` a growing, diverging run
    is overshoot (larger steps), not ascent.

    Args:
      original: the run on ``L``.
      transformed: the run on ``L'`` (its ``loss`` field is still ``L``).
      tolerance: distance in parameter space under which points count as equal
        (the page passes 1e-3 of the window's diagonal).
      scale: the transform's ``a``, if known; ``None`` judges ascent by the numbers alone.
      effective_lr: ``a × lr`` for optimizers whose step is proportional to the gradient.
    """
    first_diff = _first_difference(original.params, transformed.params)
    n = min(
        len(original.params) if original.diverged_at is None else original.diverged_at,
        len(transformed.params) if transformed.diverged_at is None else transformed.diverged_at,
    )
    dtheta = np.abs(original.params[:n] - transformed.params[:n])
    max_dtheta = float(dtheta.max()) if n else 0.0
    if original.diverged_at != transformed.diverged_at:
        max_dtheta = math.inf
    loss_start = float(original.loss[0])
    end_o = _last_finite(original.loss, original.diverged_at)
    end_t = _last_finite(transformed.loss, transformed.diverged_at)

    # Ascent: the real loss ended above where it started (before any
    # divergence) and above the original run's end.
    ascent = end_t > loss_start + 1e-6 * max(1.0, abs(loss_start)) and not end_t <= end_o
    if scale is not None and scale > 0:
        ascent = False  # a positive scale keeps "down" down: growth is overshoot
    if first_diff is None:
        kind = IDENTICAL
    elif ascent:
        kind = ASCENT
    elif transformed.diverged_at is not None or original.diverged_at is not None:
        kind = DIVERGED
    elif max_dtheta <= tolerance:
        kind = SAME_PATH
    elif np.linalg.norm(original.params[-1] - transformed.params[-1]) <= tolerance:
        kind = SAME_END
    else:
        kind = DIFFERENT
    return Verdict(
        kind,
        max_dtheta,
        first_diff,
        loss_start,
        end_o,
        end_t,
        original.diverged_at,
        transformed.diverged_at,
        tolerance,
        scale,
        effective_lr,
    )


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def describe(v: Verdict) -> str:
    """One or two plain sentences saying what happened (Markdown allowed)."""
    if v.kind == IDENTICAL:
        text = (
            "**Identical, bit for bit.** Every parameter of every step of the transformed run "
            "equals the original run exactly: the optimizer never saw a difference."
        )
    elif v.kind == SAME_PATH:
        text = (
            f"**Same path** to within {_fmt(v.tolerance)} (largest gap {_fmt(v.max_dtheta)}), "
            f"though not bit for bit: they first differ at step {v.first_difference}."
        )
    elif v.kind == SAME_END:
        text = (
            f"**Same end point, another path.** The runs part at step {v.first_difference} "
            f"(largest gap {_fmt(v.max_dtheta)}) but end at the same point."
        )
    elif v.kind == ASCENT:
        text = (
            f"**Ascent.** On the transformed loss the real loss L grew from {_fmt(v.loss_start)} "
            f"to {_fmt(v.loss_end_transformed)} (the original run reached {_fmt(v.loss_end_original)})."
        )
        if v.diverged_transformed is not None:
            text += f" It climbed until it diverged at step {v.diverged_transformed}."
    elif v.kind == DIVERGED:
        parts = []
        if v.diverged_original is not None:
            parts.append(f"the original run diverged at step {v.diverged_original}")
        if v.diverged_transformed is not None:
            parts.append(f"the transformed run diverged at step {v.diverged_transformed}")
        text = "**Diverged:** " + " and ".join(parts) + " (a parameter or the loss became infinite)."
        if v.diverged_transformed is not None and v.diverged_original is None and (v.scale or 0) > 1:
            text = (
                f"**Diverged by overshooting, not ascent.** a·L multiplies every gradient by a = "
                f"{_fmt(v.scale)}, so each step is {_fmt(v.scale)}× longer"
                + (
                    f": plain gradient descent on a·L is descent on L at learning rate a·lr = "
                    f"{_fmt(v.effective_lr)}, too large here"
                    if v.effective_lr is not None
                    else ""
                )
                + f". The transformed run diverged at step {v.diverged_transformed}; "
                "a positive scale keeps the minimisers, and a smaller learning rate finds them."
            )
    else:
        text = (
            f"**Different path and end point.** The runs part at step {v.first_difference}; "
            f"L ends at {_fmt(v.loss_end_original)} (original) vs {_fmt(v.loss_end_transformed)} (transformed)."
        )
    if v.kind == IDENTICAL and v.diverged_original is not None:
        text += f" Both runs diverged at step {v.diverged_original}."
    return text
