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
from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from lossviz import datasets, engine, nondifferentiable, training, verdicts
from lossviz.families import basin_labels, grid_starts
from lossviz.landscapes import Views
from lossviz.lru import LRU
from lossviz.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS
from lossviz.problems import PROBLEMS
from lossviz.trajectories import Run
from lossviz.transforms import apply_to_host_values
from lossviz.ui.settings import LR_CHOICES, ExplorerSettings, TrainingSettings


def landscape_views(problem: str, scale: float, g: str, shift: float, temperature: float) -> Views:
    """Landscapes and gradient fields of ``L`` and ``L' = a g(L) + c``."""
    return landscape_and_hover(problem, scale, g, shift, temperature)[0]


@st.cache_data(max_entries=32, show_spinner=False)
def landscape_and_hover(
    problem: str, scale: float, g: str, shift: float, temperature: float
) -> tuple[Views, tuple[np.ndarray, np.ndarray]]:
    """:func:`landscape_views` and ``(L, L')`` on the click grid (the hover readout)."""
    return engine.surfaces(problem, scale=scale, g=g, shift=shift, temperature=temperature, hover=True)


# --- families: what a drag could ask for next ------------------------------------

FAMILY_GRID = 32
"""The verdict's family: a run on L and on L' from every start of a 32 x 32 grid."""
PREVIEW_GRID = 16
"""The drag preview draws every other start of the family's grid: 16 x 16."""
BASIN_GRID = 64


class Families(NamedTuple):
    """The families of one explorer view (see :func:`lossviz.engine.family`).

    Attributes:
      members: starts in the verdict's family; identical: how many of them give
        runs on L and L' identical at every step, bit for bit.
      preview: ``(2, PREVIEW_GRID**2, K, 2)`` runs from the preview grid.
      lrs: the learning-rate family's rates (the slider's); lr_index: the current one's.
      lr_paths: ``(2, len(lrs), K, 2)`` runs from the current start at each rate.
    """

    members: int
    identical: int
    preview: np.ndarray
    lrs: tuple[float, ...]
    lr_index: int
    lr_paths: np.ndarray


def _family_kwargs(s: ExplorerSettings) -> dict:
    return dict(steps=s.steps, hyper=s.hyper, scale=s.scale, g=s.g, shift=s.shift, temperature=s.temperature)


def families(s: ExplorerSettings) -> Families:
    """The families of ``s`` (cached without the playback step)."""
    return _families(computed(s))


@st.cache_data(max_entries=32, show_spinner=False)
def _families(s: ExplorerSettings) -> Families:
    bounds = PROBLEMS[s.problem].bounds
    _, _, starts = grid_starts(bounds, FAMILY_GRID)
    fam = engine.family(s.problem, s.optimizer, lr=s.lr, starts=starts, **_family_kwargs(s))
    every_other = np.arange(0, FAMILY_GRID, FAMILY_GRID // PREVIEW_GRID)
    chosen = (every_other[:, None] * FAMILY_GRID + every_other[None, :]).ravel()
    lrs = LR_CHOICES
    rates = engine.family(
        s.problem, s.optimizer, lr=np.asarray(lrs, np.float32), starts=s.start, **_family_kwargs(s)
    )
    return Families(
        members=len(starts),
        identical=int((fam.differs_at == -1).sum()),
        preview=fam.path[:, chosen],
        lrs=lrs,
        lr_index=lrs.index(s.lr) if s.lr in lrs else 0,
        lr_paths=rates.path,
    )


def basin_maps(s: ExplorerSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Basin labels of the runs on L and on L' from a 64 x 64 grid of starts, and its axes
    (cached without the playback step)."""
    return _basin_maps(computed(s))


@st.cache_data(max_entries=16, show_spinner=False)
def _basin_maps(s: ExplorerSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = PROBLEMS[s.problem]
    w1, w2, starts = grid_starts(p.bounds, BASIN_GRID)
    fam = engine.family(s.problem, s.optimizer, lr=s.lr, starts=starts, **_family_kwargs(s))
    (lo1, hi1), (lo2, hi2) = p.bounds
    tol = 0.02 * float(np.hypot(hi1 - lo1, hi2 - lo2))
    shape = (BASIN_GRID, BASIN_GRID)
    labels = [
        basin_labels(fam.final[v], fam.diverged_at[v] >= 0, p.minima, tol).reshape(shape) for v in range(2)
    ]
    return labels[0], labels[1], w1, w2


def computed(s: ExplorerSettings) -> ExplorerSettings:
    """``s`` without what does not change the runs (the playback step): the cache key of the runs."""
    return dataclasses.replace(s, step=0)


def _pair(s: ExplorerSettings, optimizer: str, hyper: tuple[float, ...]) -> list[engine.Lane]:
    """The run on ``L`` and the run on ``L'`` as two lanes of the one program (same body: bit for bit)."""
    common = dict(
        problem=s.problem, optimizer=optimizer, lr=s.lr, steps=s.steps, hyper=hyper, start=s.start,
        temperature=s.temperature,
    )  # fmt: skip
    return [engine.Lane(**common), engine.Lane(**common, scale=s.scale, g=s.g, shift=s.shift)]


def run_pair(s: ExplorerSettings) -> tuple[Run, Run, np.ndarray]:
    """The original run (on ``L``), the transformed run (on ``L'``) and ``L'`` along the original path."""
    return _run_pair(computed(s))  # a playback step must not miss the cache


@st.cache_data(max_entries=64, show_spinner=False)
def _run_pair(s: ExplorerSettings) -> tuple[Run, Run, np.ndarray]:
    original, transformed = engine.run_lanes(_pair(s, s.optimizer, s.hyper))
    return original, transformed, apply_to_host_values(original.loss, s.scale, s.g, s.shift)


def all_optimizers(s: ExplorerSettings, tolerance: float) -> list[dict[str, Any]]:
    """For every optimizer preset (default hyper-parameters): does the transform change its path?

    One row per preset, in :data:`~lossviz.optimizers.OPTIMIZERS` order.
    """
    # the table ignores the chosen optimizer and the playback step: one cache entry for all of them
    return _all_optimizers(
        dataclasses.replace(
            computed(s), optimizer=DEFAULT_OPTIMIZER, hyper=OPTIMIZERS[DEFAULT_OPTIMIZER].defaults()
        ),
        tolerance,
    )


@st.cache_data(max_entries=32, show_spinner=False)
def _all_optimizers(s: ExplorerSettings, tolerance: float) -> list[dict[str, Any]]:
    lanes = [lane for name, preset in OPTIMIZERS.items() for lane in _pair(s, name, preset.defaults())]
    runs = engine.run_lanes(lanes)  # all 20 runs in one call of the one program
    rows = []
    for k, preset in enumerate(OPTIMIZERS.values()):
        original, transformed = runs[2 * k], runs[2 * k + 1]
        v = verdicts.compare(original, transformed, tolerance, scale=s.scale)
        rows.append(
            {
                "optimizer": preset.label,
                "reads the value": "yes" if preset.reads_value else "no",
                "verdict": verdicts.KIND_LABELS[v.kind],
                "max_dtheta": v.max_dtheta,
                # text, so that "never" reads as a dash rather than None
                "first difference at step": "—" if v.first_difference is None else str(v.first_difference),
                "final L (original)": v.loss_end_original,
                "final L (transformed)": v.loss_end_transformed,
                "diverged_original": v.diverged_original,
                "diverged_transformed": v.diverged_transformed,
                "kind": v.kind,
            }
        )
    return rows


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


DEFAULT_VIEWS: dict[TrainingSettings, TrainingView] = {}
"""Each data set's view with the page's other defaults, trained by the server's warm-up
(:func:`keep_default_views`) and kept for the server's life, apart from :data:`TRAINED`.

A visitor who picks another data set usually leaves the rest as it is: that first visit of a
data set is then drawn at once instead of training (0.1-0.6 s alone, seconds under load), and no
visitor's views can push these out. One view per data set: six, 1.2 MB of arrays.
"""


def training_view(s: TrainingSettings, on_progress: Callable[[int, int], None] | None = None) -> TrainingView:
    """:func:`_train` behind :data:`TRAINED`, keyed by the settings themselves (or a :data:`DEFAULT_VIEWS` one).

    ``on_progress(done, total)`` is called between chunks of epochs, only when
    the runs are computed (by this caller: a second caller of the same settings waits).
    """
    kept = DEFAULT_VIEWS.get(s)
    if kept is not None:
        return kept
    return TRAINED.get(s, lambda: _train(s, on_progress))


def keep_default_views(
    names: tuple[str, ...] = tuple(datasets.DATASETS), should_stop: Callable[[], bool] = lambda: False
) -> None:
    """Trains the default view of each data set in ``names`` into :data:`DEFAULT_VIEWS`
    (``should_stop`` is asked before each)."""
    for name in names:
        if should_stop():
            return
        s = TrainingSettings(dataset=name)
        if s not in DEFAULT_VIEWS:
            DEFAULT_VIEWS[s] = training_view(s)


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
