"""Cached engine calls for the pages: primitives in, numpy/pandas out.

``st.cache_data`` cannot hash ``jax.Array`` arguments, so every wrapper takes
plain values: the page's settings dataclass itself (Streamlit hashes its
fields), or floats, strings and tuples. Every cache is bounded; so are the
compiled programs behind them (:mod:`lossviz.programs`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from lossviz import datasets, nondifferentiable, training, trajectories, verdicts
from lossviz.landscapes import Views, views
from lossviz.lru import LRU
from lossviz.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS
from lossviz.trajectories import Run, run_preset
from lossviz.transforms import apply_to_values
from lossviz.ui.settings import ExplorerSettings, TrainingSettings

RESOLUTION = 200
FIELD_RESOLUTION = 25


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
    return np.asarray(apply_to_values(np.asarray(values, np.float32), scale, g, shift))


def computed(s: ExplorerSettings) -> ExplorerSettings:
    """``s`` without what does not change the runs (the playback step): the cache key of :func:`run_pair`."""
    return dataclasses.replace(s, step=0)


@st.cache_data(max_entries=64, show_spinner=False)
def run_pair(s: ExplorerSettings) -> tuple[Run, Run, np.ndarray]:
    """The original run (on ``L``), the transformed run (on ``L'``) and ``L'`` along the original path.

    Pass :func:`computed` settings, so that a playback step does not miss the cache.
    """
    common = dict(lr=s.lr, hyper=s.hyper, steps=s.steps, start=s.start, temperature=s.temperature)
    original = run_preset(s.problem, s.optimizer, **common)
    transformed = run_preset(s.problem, s.optimizer, scale=s.scale, g=s.g, shift=s.shift, **common)
    return original, transformed, transformed_values(original.loss, s.scale, s.g, s.shift)


def optimizers_compiled(s: ExplorerSettings) -> bool:
    """Whether the all-optimizers table of these settings' problem, map and length is cheap now."""
    steps = trajectories.compiled_steps(s.steps)
    return all(
        trajectories.RUNS.has(problem=s.problem, optimizer=name, g=g, steps=steps)
        for name in OPTIMIZERS
        for g in {"identity", s.g}
    )


def all_optimizers(s: ExplorerSettings, tolerance: float) -> pd.DataFrame:
    """For every optimizer preset (default hyper-parameters): does the transform change its path?"""
    # the table ignores the chosen optimizer and the playback step: one cache entry for all of them
    return _all_optimizers(
        dataclasses.replace(
            computed(s), optimizer=DEFAULT_OPTIMIZER, hyper=OPTIMIZERS[DEFAULT_OPTIMIZER].defaults()
        ),
        tolerance,
    )


@st.cache_data(max_entries=32, show_spinner=False)
def _all_optimizers(s: ExplorerSettings, tolerance: float) -> pd.DataFrame:
    rows = []
    for name, preset in OPTIMIZERS.items():
        original, transformed, _ = run_pair(dataclasses.replace(s, optimizer=name, hyper=preset.defaults()))
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
    return nondifferentiable.descents(start, lr=lr, steps=steps, temperature=temperature)


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


# Trained views, shared by all sessions (never mutated). Not st.cache_data: that records
# what a cached call draws (here the progress bar) and replays it on every hit.
TRAINED: LRU[TrainingSettings, TrainingView] = LRU(16)


def training_view(s: TrainingSettings, on_progress: Callable[[int, int], None] | None = None) -> TrainingView:
    """:func:`_train` behind :data:`TRAINED`, keyed by the settings themselves.

    ``on_progress(done, total)`` is called between chunks of epochs, only when
    the runs are computed (by this caller: a second caller of the same settings waits).
    """
    return TRAINED.get(s, lambda: _train(s, on_progress))


def _train(s: TrainingSettings, on_progress: Callable[[int, int], None] | None = None) -> TrainingView:
    """Trains the network on ``L``, ``L + shift`` and ``-L``; decision grids for 2-D data."""
    start = time.perf_counter()
    runs = training.train_variants(
        s.dataset,
        shift=s.shift,
        epochs=s.epochs,
        seed=s.seed,
        optimizer=s.optimizer,
        lr=s.lr,
        hidden=(s.width, s.width),
        batch_size=s.batch_size,
        noise=s.noise,
        on_progress=on_progress,
    )
    seconds = time.perf_counter() - start
    ds = datasets.load(s.dataset, noise=s.noise, seed=s.seed)
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
