"""Cached engine calls for the pages: primitives in, numpy/pandas out.

``st.cache_data`` cannot hash ``jax.Array`` arguments, so every wrapper takes
plain floats, ints, strings and tuples. The caches are bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np
import pandas as pd
import streamlit as st

from lossviz import trajectories, verdicts
from lossviz.landscapes import Views, views
from lossviz.optimizers import OPTIMIZERS
from lossviz.settings import ExplorerSettings
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


def optimizers_compiled(s: ExplorerSettings) -> bool:
    """Whether the all-optimizers table of these settings' problem, map and length is cheap now."""
    return (s.problem, s.g, trajectories.compiled_steps(s.steps)) in _COMPILED


def all_optimizers(s: ExplorerSettings, tolerance: float) -> pd.DataFrame:
    """For every optimizer preset (default hyper-parameters): does the transform change its path?"""
    table = _all_optimizers(
        s.problem, s.lr, s.steps, s.start, s.scale, s.g, s.shift, s.temperature, tolerance
    )
    # outside the cached function: a cache hit must mark the programs as compiled too
    _COMPILED.add((s.problem, s.g, trajectories.compiled_steps(s.steps)))
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


# --- the "Train a network" page --------------------------------------------------

DECISION_RESOLUTION = 80


class TrainingView(NamedTuple):
    """Everything the training page draws: three runs, their decision grids and the data.

    Attributes:
      runs: ``{"original", "shifted", "negated"}`` → :class:`lossviz.training.History`.
      grids: the same keys → :class:`lossviz.training.DecisionGrid`, or empty for data with d != 2.
      x_train: ``(n_train, d)`` standardised training points.
      y_train: ``(n_train,)`` labels.
      n_classes: number of classes.
      seconds: wall time of the training (when it was computed, not when cached).
    """

    runs: dict
    grids: dict
    x_train: np.ndarray
    y_train: np.ndarray
    n_classes: int
    seconds: float


# Trained views, most recent last. Not st.cache_data: that records what a cached
# call draws (here the progress bar) and replays it on every hit.
_TRAINING_CACHE: OrderedDict[tuple, TrainingView] = OrderedDict()
_TRAINING_CACHE_SIZE = 16
_TRAINING_LOCK = threading.Lock()


def training_view(*key: Any, _on_progress: Callable[[int, int], None] | None = None) -> TrainingView:
    """:func:`_train` behind a bounded LRU cache shared by all sessions (its values are never mutated).

    ``_on_progress(done, total)`` is called between chunks of epochs, only when
    the runs are computed.
    """
    with _TRAINING_LOCK:
        if key in _TRAINING_CACHE:
            _TRAINING_CACHE.move_to_end(key)
            return _TRAINING_CACHE[key]
    view = _train(*key, on_progress=_on_progress)
    with _TRAINING_LOCK:
        _TRAINING_CACHE[key] = view
        while len(_TRAINING_CACHE) > _TRAINING_CACHE_SIZE:
            _TRAINING_CACHE.popitem(last=False)
    return view


def _train(
    dataset: str,
    noise: float | None,
    width: int,
    optimizer: str,
    lr: float,
    epochs: int,
    batch_size: int,
    shift: float,
    seed: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> TrainingView:
    """Trains the network on ``L``, ``L + shift`` and ``-L``; decision grids for 2-D data."""
    import time

    from lossviz import datasets, training

    start = time.perf_counter()
    runs = training.train_variants(
        dataset,
        shift=shift,
        epochs=epochs,
        seed=seed,
        optimizer=optimizer,
        lr=lr,
        hidden=(width, width),
        batch_size=batch_size,
        noise=noise,
        on_progress=on_progress,
    )
    seconds = time.perf_counter() - start
    ds = datasets.load(dataset, noise=noise, seed=seed)
    grids = {}
    if ds.is_2d:
        pad = 0.3
        bounds = tuple(
            (float(ds.x_train[:, k].min()) - pad, float(ds.x_train[:, k].max()) + pad) for k in range(2)
        )
        for name, h in runs.items():
            if h.diverged_at is None or all(np.isfinite(w).all() for layer in h.params for w in layer):
                grids[name] = training.decision_grid(
                    h.params, bounds, DECISION_RESOLUTION, activation=h.activation
                )
    return TrainingView(runs, grids, ds.x_train, ds.y_train, ds.n_classes, seconds)
