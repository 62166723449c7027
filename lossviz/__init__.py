"""lossviz: gradient descent follows the gradient of the loss, not its value.

The pure-JAX core (no streamlit): problems, transforms, optimizers,
trajectories, landscapes, verdicts, surrogates and training. Charts live in :mod:`lossviz.charts`,
Streamlit pages in :mod:`lossviz.ui`.
"""

from lossviz import nondifferentiable, surrogates
from lossviz.datasets import DATASETS, DEFAULT_DATASET, Dataset, DatasetSpec
from lossviz.landscapes import GradientField, Landscape, Views, gradient_field, landscape, views
from lossviz.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS, HyperParam, Preset, loss_times_gradient
from lossviz.problems import DEFAULT_PROBLEM, PROBLEMS, Problem
from lossviz.training import VARIANTS, DecisionGrid, History, decision_grid, train_variants
from lossviz.trajectories import Run, Trajectory, run_preset, trajectory
from lossviz.transforms import MONOTONE_MAPS, affine, maps_for, transform

__all__ = [
    "nondifferentiable",
    "surrogates",
    "DATASETS",
    "DEFAULT_DATASET",
    "DEFAULT_OPTIMIZER",
    "DEFAULT_PROBLEM",
    "MONOTONE_MAPS",
    "OPTIMIZERS",
    "PROBLEMS",
    "VARIANTS",
    "Dataset",
    "DatasetSpec",
    "DecisionGrid",
    "GradientField",
    "History",
    "HyperParam",
    "Landscape",
    "Preset",
    "Problem",
    "Run",
    "Trajectory",
    "Views",
    "affine",
    "decision_grid",
    "gradient_field",
    "landscape",
    "loss_times_gradient",
    "maps_for",
    "run_preset",
    "train_variants",
    "trajectory",
    "transform",
    "views",
]
