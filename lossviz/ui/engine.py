"""Cached engine calls for the pages: primitives in, numpy/pandas out.

``st.cache_data`` cannot hash ``jax.Array`` arguments, so every wrapper takes
plain floats, ints, strings and tuples. The caches are bounded.
"""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd
import streamlit as st

from lossviz import trajectories, verdicts
from lossviz.landscapes import Views, views
from lossviz.optimizers import OPTIMIZERS
from lossviz.trajectories import Run, run_preset
from lossviz.transforms import apply_to_values

RESOLUTION = 200
FIELD_RESOLUTION = 25
# Each compiled run costs ~2.4 MB and JAX keeps them all: past this many, start
# afresh, so that memory stays bounded on a small host (~700 MB).
MAX_COMPILED_RUNS = 60


def bound_compile_cache() -> bool:
    """Clears JAX's compile caches once they hold too many programs; returns whether it did."""
    if trajectories.compiled_run_count() > MAX_COMPILED_RUNS:
        jax.clear_caches()
        _COMPILED.clear()
        return True
    return False


@st.cache_data(max_entries=32, show_spinner=False)
def landscape_views(problem: str, scale: float, g: str, shift: float, temperature: float) -> Views:
    """Landscapes and gradient fields of ``L`` and ``L' = a g(L) + c``."""
    return views(
        problem,
        scale=scale,
        g=g,
        shift=shift,
        temperature=temperature,
        resolution=RESOLUTION,
        field_resolution=FIELD_RESOLUTION,
    )


def transformed_values(values: np.ndarray, scale: float, g: str, shift: float) -> np.ndarray:
    """``a g(L) + c`` of loss values (numpy in, numpy out)."""
    with np.errstate(all="ignore"):
        return np.asarray(apply_to_values(np.asarray(values, np.float32), scale, g, shift))


@st.cache_data(max_entries=64, show_spinner=False)
def run_pair(
    problem: str,
    optimizer: str,
    lr: float,
    hyper: tuple[float, ...],
    steps: int,
    start: tuple[float, float],
    scale: float,
    g: str,
    shift: float,
    temperature: float,
) -> tuple[Run, Run, np.ndarray]:
    """The original run (on ``L``), the transformed run (on ``L'``) and ``L'`` along the original path."""
    bound_compile_cache()
    common = dict(lr=lr, hyper=hyper, steps=steps, start=start, temperature=temperature)
    original = run_preset(problem, optimizer, **common)
    transformed = run_preset(problem, optimizer, scale=scale, g=g, shift=shift, **common)
    return original, transformed, transformed_values(original.loss, scale, g, shift)


# (problem, g, compiled steps) whose ten optimizer programs this process has compiled
_COMPILED: set[tuple[str, str, int]] = set()


def optimizers_compiled(problem: str, g: str, steps: int) -> bool:
    """Whether the all-optimizers table of this problem, map and length is cheap now."""
    return (problem, g, trajectories.compiled_steps(steps)) in _COMPILED


def all_optimizers(
    problem: str,
    lr: float,
    steps: int,
    start: tuple[float, float],
    scale: float,
    g: str,
    shift: float,
    temperature: float,
    tolerance: float,
) -> pd.DataFrame:
    """For every optimizer preset (default hyper-parameters): does the transform change its path?"""
    table = _all_optimizers(problem, lr, steps, start, scale, g, shift, temperature, tolerance)
    # outside the cached function: a cache hit must mark the programs as compiled too
    _COMPILED.add((problem, g, trajectories.compiled_steps(steps)))
    return table


@st.cache_data(max_entries=32, show_spinner=False)
def _all_optimizers(
    problem: str,
    lr: float,
    steps: int,
    start: tuple[float, float],
    scale: float,
    g: str,
    shift: float,
    temperature: float,
    tolerance: float,
) -> pd.DataFrame:
    rows = []
    for name, preset in OPTIMIZERS.items():
        original, transformed, _ = run_pair(
            problem, name, lr, preset.defaults(), steps, start, scale, g, shift, temperature
        )
        v = verdicts.compare(original, transformed, tolerance)
        rows.append(
            {
                "optimizer": preset.label,
                "reads the value": "yes" if preset.reads_value else "no",
                "verdict": verdicts.KIND_LABELS[v.kind],
                "max_dtheta": v.max_dtheta,
                "first difference at step": v.first_difference,
                "final L (original)": v.loss_end_original,
                "final L (transformed)": v.loss_end_transformed,
                "kind": v.kind,
            }
        )
    return pd.DataFrame(rows)


@st.cache_data(max_entries=32, show_spinner=False)
def descents(start: tuple[float, float], lr: float, steps: int, temperature: float) -> dict:
    """Gradient descent on the 0-1 error, its straight-through gradient and its surrogates."""
    from lossviz.nondifferentiable import descents as run

    return run(start, lr=lr, steps=steps, temperature=temperature)
