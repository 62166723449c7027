"""Classification data sets for the "train a network" page: seeded and offline.

Four synthetic 2-D sets drawn with NumPy (two moons, circles, blobs, a spiral),
each with ``n`` points and a ``noise`` control, and two real, well-known sets
(handwritten ``digits`` and ``iris``, the copies scikit-learn ships), read from
small files inside this package (``lossviz/data``), never downloaded. :func:`load` splits a set into train
and test parts per class (so both keep the class balance) and standardises the
features with the training part's mean and standard deviation.

>>> ds = load("moons", n=100, seed=0)
>>> ds.x_train.shape, ds.x_test.shape, ds.n_classes, ds.is_2d
((76, 2), (24, 2), 2, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


class Dataset(NamedTuple):
    """A classification set split into train and test parts.

    Attributes:
      x_train: ``(n_train, d)`` float32, standardised with the training statistics.
      y_train: ``(n_train,)`` int32 labels in ``[0, n_classes)``.
      x_test: ``(n_test, d)`` float32, standardised like ``x_train``.
      y_test: ``(n_test,)`` int32.
      n_classes: number of classes.
      name: registry key.
      title: display name.
      is_2d: whether ``d == 2`` (a decision boundary can be drawn).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str
    title: str
    is_2d: bool


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """An entry of :data:`DATASETS`.

    Attributes:
      name: registry key (used in URLs).
      title: display name.
      generate: ``(n, noise, rng) -> (x (n, d), y (n,))``; real sets ignore ``n`` and ``noise``.
      noise: default noise (the standard deviation of the Gaussian jitter).
      synthetic: whether ``n`` and ``noise`` mean anything for this set.
      description: one sentence for the page.
    """

    name: str
    title: str
    generate: Generator
    noise: float = 0.0
    synthetic: bool = True
    description: str = ""


# --- synthetic 2-D sets --------------------------------------------------------


def _class_sizes(n: int, k: int) -> np.ndarray:
    """``k`` class sizes summing to ``n``, differing by at most one."""
    return np.full(k, n // k) + (np.arange(k) < n % k)


def _labels(n: int, k: int) -> np.ndarray:
    return np.repeat(np.arange(k), _class_sizes(n, k))


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(n, 2)
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.where((y == 0)[:, None], upper, lower)
    return x + rng.normal(0.0, noise, size=x.shape), y


def _circles(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(n, 2)
    t = rng.uniform(0.0, 2.0 * np.pi, size=n)
    radius = np.where(y == 0, 1.0, 0.5)
    x = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    return x + rng.normal(0.0, noise, size=x.shape), y


def _blobs(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs on a circle of radius 2; ``noise`` is their standard deviation."""
    y = _labels(n, 3)
    angle = 2.0 * np.pi * y / 3 + np.pi / 2
    centres = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + rng.normal(0.0, noise, size=(n, 2)), y


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three interleaved spiral arms, each turning by 240 degrees."""
    y = _labels(n, 3)
    r = rng.uniform(0.1, 1.0, size=n)
    t = 2.0 * np.pi * y / 3 + 4.0 * np.pi / 3 * r
    x = r[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    return x + rng.normal(0.0, noise, size=x.shape), y


# --- real sets shipped inside this package ---------------------------------------

DATA = Path(__file__).parent / "data"
"""The real sets, as compressed NumPy files: ``x`` (uint8) and ``y`` (class index).

Copies of scikit-learn's ``load_digits()`` and ``load_iris()`` (UCI data), so that
the app needs neither scikit-learn nor SciPy (importing them costs a server ~140 MB
of memory). ``tests/test_datasets.py`` checks them against scikit-learn.
"""


def _shipped(name: str, divisor: float) -> Generator:
    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        del n, noise, rng
        with np.load(DATA / f"{name}.npz") as data:
            # digits are grey levels 0..16; iris was measured to a tenth of a centimetre
            return data["x"].astype(np.float64) / divisor, data["y"].astype(np.int64)

    return generate


_SPECS = (
    DatasetSpec("moons", "Two moons", _moons, 0.15, description="Two interleaving half circles."),
    DatasetSpec("circles", "Circles", _circles, 0.1, description="A ring around a disc."),
    DatasetSpec("blobs", "Blobs (3 classes)", _blobs, 0.8, description="Three Gaussian clusters."),
    DatasetSpec("spiral", "Spiral (3 classes)", _spiral, 0.05, description="Three interleaved spiral arms."),
    DatasetSpec(
        "digits",
        "Handwritten digits (8×8, 10 classes)",
        _shipped("digits", 1.0),
        synthetic=False,
        description="1797 scanned digits 0-9 as 64 grey levels (UCI, the copy scikit-learn ships).",
    ),
    DatasetSpec(
        "iris",
        "Iris flowers (4 features, 3 classes)",
        _shipped("iris", 10.0),
        synthetic=False,
        description="Fisher's 150 iris flowers, 4 measurements each (the copy scikit-learn ships).",
    ),
)

DATASETS: dict[str, DatasetSpec] = {s.name: s for s in _SPECS}
DEFAULT_DATASET = "moons"


# --- split and standardise -------------------------------------------------------


def split_indices(
    y: np.ndarray, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled train and test indices with ``round(test_fraction * size)`` test points per class.

    Every class keeps at least one training point.
    """
    train, test = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test = min(int(round(test_fraction * idx.size)), idx.size - 1)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def standardise(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres and scales both parts with the training part's statistics (constant features stay 0)."""
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return ((x_train - mean) / std).astype(np.float32), ((x_test - mean) / std).astype(np.float32)


def load(
    name: str = DEFAULT_DATASET,
    *,
    n: int = 500,
    noise: float | None = None,
    seed: int = 0,
    test_fraction: float = 0.25,
) -> Dataset:
    """Draws (or reads) a data set, splits it per class and standardises it.

    Args:
      name: a key of :data:`DATASETS`.
      n: number of points of a synthetic set (at least 2 per class); ignored by real sets.
      noise: standard deviation of the Gaussian jitter of a synthetic set
        (``None``: the set's default); ignored by real sets.
      seed: seeds the points, the jitter and the split: same seed, same data.
      test_fraction: share of each class held out for testing, in ``[0, 1)``.

    Returns:
      A :class:`Dataset`.
    """
    spec = DATASETS[name]
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    noise = spec.noise if noise is None else float(noise)
    if not noise >= 0.0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    x, y = spec.generate(int(n), noise, rng)
    if y.size == 0 or np.bincount(y).min() < 2:
        raise ValueError(f"{name} needs at least 2 points per class, got n={n}")
    train, test = split_indices(y, test_fraction, rng)
    x_train, x_test = standardise(x[train], x[test])
    n_classes = int(y.max()) + 1
    y = y.astype(np.int32)
    return Dataset(x_train, y[train], x_test, y[test], n_classes, name, spec.title, x.shape[1] == 2)
