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
from typing import TYPE_CHECKING, Any

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
