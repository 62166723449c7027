"""lossviz: gradient descent follows the gradient of the loss, not its value.

Three layers, one package each:

- the pure-JAX core (these modules; no streamlit): ``problems``, ``transforms``,
  ``optimizers``, ``trajectories``, ``landscapes``, ``engine`` (the app's few
  compiled programs), ``verdicts``, ``surrogates``, ``nondifferentiable``,
  ``datasets``, ``training``;
- :mod:`lossviz.charts`: numpy/pandas in, Vega-Lite/Altair out (no JAX);
- :mod:`lossviz.ui`: the Streamlit pages, their settings and cached calls.

The names below are imported lazily (module ``__getattr__``), so that
``import lossviz.charts`` does not import JAX.

>>> import lossviz
>>> sorted(lossviz.PROBLEMS)[:2]
['beale', 'himmelblau']
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

XLA_CPU_FLAGS = ("--xla_cpu_use_fusion_emitters=false",)
"""XLA flags of every process that imports lossviz (before JAX starts its CPU backend; a flag the
environment's ``XLA_FLAGS`` already sets is left as it is).

XLA's newer CPU fusion emitters are off: with them, compiling the app's 14 programs takes
25-27 s and leaves the process at 595 MB; without them 18 s and 487 MB, and the programs run as
fast or faster (training on two moons 0.29 -> 0.25 s, on digits 2.1 -> 1.7 s, logistic
regression's surfaces 29 -> 20 ms; families and lanes unchanged). Measured on a 2-core CPU,
jaxlib 0.10.2, every program compiled with an empty persistent cache; with a warm cache the two
end within 15 MB of each other.
"""


def _set_xla_flags(flags: tuple[str, ...] = XLA_CPU_FLAGS) -> str:
    current = os.environ.get("XLA_FLAGS", "")
    given = {part.split("=")[0] for part in current.split()}
    added = [f for f in flags if f.split("=")[0] not in given]
    os.environ["XLA_FLAGS"] = " ".join([current, *added]).strip()
    return os.environ["XLA_FLAGS"]


_set_xla_flags()

BLAS_THREADS = 1
"""Threads of NumPy's BLAS (OpenBLAS) in every process that imports lossviz, unless the
environment's ``OPENBLAS_NUM_THREADS`` says otherwise.

The app's NumPy products are small (a decision grid: 6,400 x 64 by 64 x 64 at most, a few
milliseconds on one core), but with a thread per core OpenBLAS wakes a worker for each and the
worker then spins, waiting for more: on a 2-core server that spinning was ~45 % of the CPU of a
training view (0.21 -> 0.12 s CPU for the default view, wall time unchanged) and took a core that
another visitor's view could have used. Set with ``threadpoolctl`` on the OpenBLAS NumPy has
loaded, since Streamlit imports NumPy before the app's first line runs.
"""


def _limit_blas_threads(threads: int = BLAS_THREADS) -> None:
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return
    import numpy  # noqa: F401  (loads the OpenBLAS that threadpoolctl limits)
    import threadpoolctl

    threadpoolctl.threadpool_limits(limits=threads, user_api="blas")


_limit_blas_threads()

# public name -> the core module that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("DATASETS", "DEFAULT_DATASET", "Dataset", "DatasetSpec"), "datasets"),
    **dict.fromkeys(
        ("GradientField", "Landscape", "Views", "gradient_field", "landscape", "views"), "landscapes"
    ),
    **dict.fromkeys(
        ("DEFAULT_OPTIMIZER", "OPTIMIZERS", "HyperParam", "Preset", "loss_times_gradient"), "optimizers"
    ),
    **dict.fromkeys(("DEFAULT_PROBLEM", "PROBLEMS", "Problem"), "problems"),
    **dict.fromkeys(("VARIANTS", "DecisionGrid", "History", "decision_grid", "train_variants"), "training"),
    **dict.fromkeys(("Run", "Trajectory", "trajectory"), "trajectories"),
    **dict.fromkeys(("FamilyRuns", "Lane", "family", "run_lanes", "run_preset", "surfaces"), "engine"),
    **dict.fromkeys(("Basins", "Family", "basins", "trajectories_from"), "families"),
    **dict.fromkeys(("MONOTONE_MAPS", "affine", "maps_for", "transform"), "transforms"),
}
_MODULES = (
    "datasets",
    "engine",
    "families",
    "landscapes",
    "nondifferentiable",
    "optimizers",
    "problems",
    "surrogates",
    "training",
    "trajectories",
    "transforms",
    "verdicts",
)

__all__ = sorted([*_EXPORTS, "nondifferentiable", "surrogates"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"lossviz.{_EXPORTS[name]}"), name)
    elif name in _MODULES:
        value = importlib.import_module(f"lossviz.{name}")
    else:
        raise AttributeError(f"module 'lossviz' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_MODULES})


if TYPE_CHECKING:  # for type checkers and editors; never run
    from lossviz import nondifferentiable, surrogates  # noqa: F401
    from lossviz.datasets import DATASETS, DEFAULT_DATASET, Dataset, DatasetSpec  # noqa: F401
    from lossviz.engine import FamilyRuns, Lane, family, run_lanes, run_preset, surfaces  # noqa: F401
    from lossviz.families import Basins, Family, basins, trajectories_from  # noqa: F401
    from lossviz.landscapes import GradientField, Landscape, Views, gradient_field, landscape, views  # noqa: F401
    from lossviz.optimizers import (  # noqa: F401
        DEFAULT_OPTIMIZER,
        OPTIMIZERS,
        HyperParam,
        Preset,
        loss_times_gradient,
    )
    from lossviz.problems import DEFAULT_PROBLEM, PROBLEMS, Problem  # noqa: F401
    from lossviz.training import VARIANTS, DecisionGrid, History, decision_grid, train_variants  # noqa: F401
    from lossviz.trajectories import Run, Trajectory, trajectory  # noqa: F401
    from lossviz.transforms import MONOTONE_MAPS, affine, maps_for, transform  # noqa: F401
