"""Data sets: shapes, class balance, seeds, noise, the split, and offline loading of the real sets."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lossviz import datasets
from lossviz.datasets import DATASETS, load

SYNTHETIC = [name for name, spec in DATASETS.items() if spec.synthetic]
REAL = [name for name, spec in DATASETS.items() if not spec.synthetic]


def _rows(x: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in x}


def test_registry_has_the_four_synthetic_sets_and_a_real_one():
    assert set(SYNTHETIC) == {"moons", "circles", "blobs", "spiral"}
    assert "digits" in REAL
    assert datasets.DEFAULT_DATASET in DATASETS


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_dtypes_and_labels(name):
    ds = load(name, n=300, seed=1)
    d = ds.x_train.shape[1]
    assert ds.x_train.dtype == ds.x_test.dtype == np.float32
    assert ds.y_train.dtype == ds.y_test.dtype == np.int32
    assert ds.x_test.shape[1] == d and ds.is_2d == (d == 2)
    assert ds.x_train.shape[0] == ds.y_train.shape[0] and ds.x_test.shape[0] == ds.y_test.shape[0]
    assert set(np.unique(ds.y_train)) == set(range(ds.n_classes)) == set(np.unique(ds.y_test))
    assert ds.name == name and ds.title == DATASETS[name].title
    if name in SYNTHETIC:
        assert ds.is_2d and ds.x_train.shape[0] + ds.x_test.shape[0] == 300


@pytest.mark.parametrize("name", list(DATASETS))
def test_classes_balanced_and_split_per_class(name):
    ds = load(name, n=301, seed=2)
    train, test = np.bincount(ds.y_train), np.bincount(ds.y_test)
    np.testing.assert_allclose(test / (train + test), 0.25, atol=0.5 / (train + test).min())
    if name in SYNTHETIC:
        assert train.max() - train.min() <= 1 and test.max() - test.min() <= 1


@pytest.mark.parametrize("name", list(DATASETS))
def test_standardised_with_training_statistics(name):
    ds = load(name, seed=3)
    std = ds.x_train.std(axis=0)
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0.0, atol=1e-5)
    # constant features (digits has a few blank pixels) stay at 0
    np.testing.assert_allclose(std[std > 0], 1.0, rtol=1e-4)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = load(name, seed=7), load(name, seed=7), load(name, seed=8)
    for x, y in zip(a[:4], b[:4], strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.x_train, c.x_train)


def test_real_set_seed_changes_only_the_split():
    a, b = load("iris", seed=0), load("iris", seed=1)
    assert _rows(a.x_train) != _rows(b.x_train)
    assert a.x_train.shape == b.x_train.shape


@pytest.mark.parametrize("name", SYNTHETIC)
def test_noise_is_gaussian_jitter_of_that_size(name):
    """Same seed: points(noise) = points(0) + noise * z with z standard normal."""
    generate = DATASETS[name].generate
    x0, y0 = generate(2000, 0.0, np.random.default_rng(5))
    x1, y1 = generate(2000, 0.1, np.random.default_rng(5))
    x2, _ = generate(2000, 0.2, np.random.default_rng(5))
    np.testing.assert_array_equal(y0, y1)
    np.testing.assert_allclose(x2 - x0, 2 * (x1 - x0), atol=1e-12)
    assert (x1 - x0).std() == pytest.approx(0.1, rel=0.05)
    assert not np.array_equal(load(name, noise=0.05).x_train, load(name, noise=0.3).x_train)


def test_noise_free_shapes_oracle():
    x, y = DATASETS["moons"].generate(400, 0.0, np.random.default_rng(0))
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5).all()
    x, y = DATASETS["circles"].generate(400, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(np.hypot(*x.T), np.where(y == 0, 1.0, 0.5))
    x, y = DATASETS["blobs"].generate(300, 0.0, np.random.default_rng(0))
    assert len(_rows(x)) == 3 and np.bincount(y).tolist() == [100, 100, 100]
    x, y = DATASETS["spiral"].generate(300, 0.0, np.random.default_rng(0))
    assert np.hypot(*x.T).max() <= 1.0 and np.bincount(y).tolist() == [100, 100, 100]


def test_split_indices_disjoint_and_complete():
    y = np.repeat(np.arange(3), [10, 11, 1])
    train, test = datasets.split_indices(y, 0.3, np.random.default_rng(0))
    assert not set(train) & set(test)
    assert sorted(np.concatenate([train, test])) == list(range(y.size))
    assert np.bincount(y[test], minlength=3).tolist() == [3, 3, 0]  # a class keeps a training point


@pytest.mark.parametrize("name", SYNTHETIC)
def test_loaded_train_and_test_points_disjoint(name):
    ds = load(name, seed=4)
    assert not _rows(ds.x_train) & _rows(ds.x_test)


@pytest.mark.parametrize("name", REAL)
def test_real_sets_load_offline(name, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    ds = load(name)
    expected = {"digits": (1797, 64, 10), "iris": (150, 4, 3)}[name]
    assert (ds.x_train.shape[0] + ds.x_test.shape[0], ds.x_train.shape[1], ds.n_classes) == expected
    assert not ds.is_2d


@pytest.mark.parametrize(
    "kwargs", [dict(n=3), dict(n=0), dict(noise=-0.1), dict(noise=float("nan")), dict(test_fraction=1.0)]
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        load("blobs", **kwargs)


def test_unknown_name_raises():
    with pytest.raises(KeyError):
        load("mnist")


@pytest.mark.parametrize("name", REAL)
def test_shipped_real_sets_equal_scikit_learns(name):
    # the oracle: the package's copies are exactly what scikit-learn's loaders return
    from sklearn import datasets as sklearn_datasets  # a test tool (requirements-dev.txt)

    bunch = {"digits": sklearn_datasets.load_digits, "iris": sklearn_datasets.load_iris}[name]()
    x, y = DATASETS[name].generate(0, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(x, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_the_app_does_not_import_scikit_learn_or_scipy():
    # they cost a server ~140 MB; a fresh interpreter shows what loading every set imports
    code = (
        "import sys; from lossviz import datasets\n"
        "[datasets.load(n) for n in datasets.DATASETS]\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"
