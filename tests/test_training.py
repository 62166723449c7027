"""The thread's exercise: original, shifted and negated training runs.

Most tests share the default two-moons network (one compile); the epochs are
data, not a static argument, so short runs reuse that compile.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lossviz
from lossviz import datasets, training
from lossviz.training import VARIANTS, decision_grid, train_variants


@pytest.fixture(scope="module")
def default_runs():
    return lossviz.train_variants(dataset="moons", shift=-2 * math.pi, epochs=200, seed=0)


def _assert_same_weights(a, b):
    for (wa, ba), (wb, bb) in zip(a.params, b.params, strict=True):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)


# --- the network against a NumPy oracle -----------------------------------------


def _np_cross_entropy(params, x, y):
    h = np.asarray(x, np.float64)
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
    logits = h @ params[-1][0] + params[-1][1]
    logits = logits - logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean(), (logits.argmax(axis=1) == y).mean()


def test_cross_entropy_and_accuracy_match_numpy():
    rng = np.random.default_rng(0)
    params = training.init_mlp(rng, (3, 5, 4))
    params = tuple((w, rng.normal(size=b.shape).astype(np.float32)) for w, b in params)
    x, y = rng.normal(size=(50, 3)).astype(np.float32), rng.integers(0, 4, 50).astype(np.int32)
    loss, acc = _np_cross_entropy([(w.astype(np.float64), b.astype(np.float64)) for w, b in params], x, y)
    assert float(training.cross_entropy(params, x, y)) == pytest.approx(loss, rel=1e-5)
    assert float(training.accuracy(params, x, y)) == pytest.approx(acc)


def test_the_training_cross_entropy_equals_optax_and_its_gradient_too():
    """The compiled loop's cross-entropy (a label picked by comparison, no scatter in its gradient)
    against optax's, with a class the data set lacks masked to -inf: values and gradients agree to
    float32 rounding, and nothing is NaN."""
    rng = np.random.default_rng(1)
    params = training.init_mlp(rng, (3, 8, 4))
    x, y = rng.normal(size=(40, 3)).astype(np.float32), rng.integers(0, 3, 40).astype(np.int32)
    classes = np.array([True, True, True, False])  # the fourth output is padding

    def ours(p):
        return training._cross_entropies(p, x, y, classes, "tanh")

    def optax_ce(p):
        logits = jnp.where(classes[None], training.mlp(p, x), -jnp.inf)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y)

    np.testing.assert_allclose(ours(params), optax_ce(params), rtol=2e-6, atol=1e-7)
    g_ours = jax.grad(lambda p: ours(p).mean())(params)
    g_optax = jax.grad(lambda p: optax_ce(p).mean())(params)
    for a, b in zip(jax.tree.leaves(g_ours), jax.tree.leaves(g_optax), strict=True):
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_epoch_batches():
    rng = np.random.default_rng(0)
    idx = training.epoch_batches(rng, 100, 32)
    assert idx.shape == (3, 32) and len(set(idx.ravel())) == 96 and idx.max() < 100
    assert not np.array_equal(idx, training.epoch_batches(rng, 100, 32))  # a new order every epoch
    np.testing.assert_array_equal(training.epoch_batches(rng, 100, 0), np.arange(100)[None])
    np.testing.assert_array_equal(training.epoch_batches(rng, 100, 500), np.arange(100)[None])


# --- training: the oracle is a plain loop over epochs and batches ---------------


# 5 is computed zero-padded to 16 units, 20 to 64; 0 is the full batch, 128 a size with 2 steps per
# epoch, 16 one of 23 masked in the 128-row buffer; moons, iris and blobs are padded to FRAMES[0],
# digits to FRAMES[1] (rows, features and classes)
@pytest.mark.parametrize(
    ("data", "width", "batch"),
    [
        ("moons", 16, 32),
        ("moons", 5, 32),
        ("moons", 20, 16),
        ("moons", 16, 0),
        ("moons", 16, 128),
        ("iris", 16, 16),
        ("iris", 16, 0),
        ("blobs", 16, 64),
        ("digits", 16, 128),
    ],
)
def test_original_run_matches_a_plain_training_loop(data, width, batch):
    """Chunks, the skipped epochs and steps, the batch-size branches, the vmap and the padding of the
    network and of the data change nothing but rounding."""
    epochs, lr, seed = 13, 0.1, 4
    runs = train_variants(data, epochs=epochs, lr=lr, seed=seed, hidden=(width, width), batch_size=batch)
    ds = datasets.load(data, seed=seed)
    weights_rng, batch_rng = (np.random.default_rng([seed, s]) for s in (1, 2))
    params = training.init_mlp(weights_rng, (ds.x_train.shape[1], width, width, ds.n_classes))
    step = jax.jit(
        lambda p, x, y: jax.tree.map(lambda w, g: w - lr * g, p, jax.grad(training.cross_entropy)(p, x, y))
    )
    losses = []
    for _ in range(epochs):
        for idx in training.epoch_batches(batch_rng, len(ds.y_train), batch):
            params = step(params, ds.x_train[idx], ds.y_train[idx])
        losses.append(float(training.cross_entropy(params, ds.x_train, ds.y_train)))
    np.testing.assert_allclose(runs["original"].loss, losses, rtol=1e-4)
    for (w, b), (w_ref, b_ref) in zip(runs["original"].params, params, strict=True):
        assert w.shape == w_ref.shape and b.shape == b_ref.shape  # unpadded again
        np.testing.assert_allclose(w, w_ref, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(b, b_ref, rtol=1e-4, atol=1e-5)


def test_default_moons_learns_and_negated_fails(default_runs):
    original, negated = default_runs["original"], default_runs["negated"]
    assert list(default_runs) == list(VARIANTS)
    for h in default_runs.values():
        assert h.objective.shape == h.loss.shape == h.accuracy.shape == h.test_accuracy.shape == (200,)
        assert h.diverged_at is None
    assert original.accuracy[-1] >= 0.95 and original.test_accuracy[-1] >= 0.9
    assert original.loss[-1] < original.loss[0]
    # the negated run "minimises" -L: its plotted objective falls, its true loss rises
    assert negated.objective[-1] < negated.objective[0]
    assert negated.loss[-1] > 10 * negated.loss[0]
    assert negated.accuracy[-1] <= 0.5
    np.testing.assert_array_equal(negated.objective, -negated.loss)


def test_shifted_identical_to_original(default_runs):
    original, shifted = default_runs["original"], default_runs["shifted"]
    assert shifted.shift == pytest.approx(-2 * math.pi) and shifted.scale == 1.0
    assert shifted.weights_equal_original.all() and (shifted.max_weight_diff == 0).all()
    for field in ("loss", "accuracy", "test_accuracy"):
        np.testing.assert_array_equal(getattr(shifted, field), getattr(original, field))
    _assert_same_weights(shifted, original)
    assert shifted.objective[-1] < 0  # below zero, and it trained just as well


def test_weight_flag_reports_differences(default_runs):
    """The flag the page cites is computed, not assumed: the negated lane differs from epoch 1."""
    negated, original = default_runs["negated"], default_runs["original"]
    assert not negated.weights_equal_original.any()
    assert (negated.max_weight_diff > 0).all()
    final_diff = max(
        np.abs(a - b).max()
        for la, lb in zip(negated.params, original.params, strict=True)
        for a, b in zip(la, lb, strict=True)
    )
    assert negated.max_weight_diff[-1] == final_diff
    assert original.weights_equal_original.all() and (original.max_weight_diff == 0).all()


def test_value_reading_optimizer_breaks_the_identity():
    """``step = lr * L * grad``: with ``L - 2π < 0`` the shifted run climbs, and the flag says so."""
    runs = train_variants(optimizer="loss_x_grad", epochs=10, batch_size=None)
    shifted = runs["shifted"]
    assert not shifted.weights_equal_original[-1] and shifted.max_weight_diff[-1] > 0
    assert shifted.loss[-1] > runs["original"].loss[-1]


def _lanes_quality(equal: bool, lane1: str):
    """:func:`training._lane_quality` of three moons networks: lanes 0 and 2 their own weights, lane 1
    a copy of lane 0's (``lane1="same"``) or other weights; ``equal`` is what the lanes' flag says."""
    ds = datasets.load("moons", seed=0)
    data, (_, _, features, classes) = training.padded_data(ds)
    rng = np.random.default_rng(7)
    nets = [
        training.pad_layers(training.init_mlp(rng, (2, 16, 16, 2)), (features, 16, 16, classes))
        for _ in range(3)
    ]
    if lane1 == "same":
        nets[1] = nets[0]
    params = jax.tree.map(lambda *a: jnp.stack(a), *nets)
    flags = jnp.array([True, equal, False])
    out = jax.jit(training._lane_quality, static_argnames="activation")(
        params, flags, data, activation="tanh"
    )
    alone = [training._quality(net, data, "tanh") for net in nets]
    return np.array(out), np.array([[float(v) for v in q] for q in alone]).T


def test_the_shifted_lane_shares_the_original_numbers_only_when_its_weights_are_the_same():
    """Equal weights: the shifted lane's loss and accuracies are the original's (not computed again);
    other weights (the flag false): its own, as every other lane's."""
    shared, alone = _lanes_quality(equal=True, lane1="same")
    np.testing.assert_array_equal(shared[:, 1], shared[:, 0])
    np.testing.assert_allclose(shared, alone, rtol=1e-6)
    own, alone = _lanes_quality(equal=False, lane1="other")
    np.testing.assert_allclose(own, alone, rtol=1e-6)
    assert own[0, 1] != own[0, 0]
    # the flag alone decides: a (false) flag of equal weights gives lane 1 the original's numbers
    told, _ = _lanes_quality(equal=True, lane1="other")
    np.testing.assert_array_equal(told[:, 1], told[:, 0])
    np.testing.assert_array_equal(told[:, 2], own[:, 2])


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(-100.0, 100.0))
def test_shift_changes_only_the_objective(seed, shift):
    runs = train_variants(shift=shift, seed=seed, epochs=12)
    original, shifted = runs["original"], runs["shifted"]
    np.testing.assert_allclose(
        shifted.objective, original.objective.astype(np.float64) + shift, rtol=0, atol=1e-6 * (1 + abs(shift))
    )
    assert shifted.weights_equal_original.all()
    for field in ("loss", "accuracy", "test_accuracy"):
        np.testing.assert_array_equal(getattr(shifted, field), getattr(original, field))
    _assert_same_weights(shifted, original)


def test_same_seed_same_run_and_prefix_property():
    a, b = train_variants(epochs=15, seed=9), train_variants(epochs=15, seed=9)
    longer = train_variants(epochs=25, seed=9)
    for name in VARIANTS:
        np.testing.assert_array_equal(a[name].loss, b[name].loss)
        np.testing.assert_array_equal(a[name].loss, longer[name].loss[:15])
    assert not np.array_equal(a["original"].loss, train_variants(epochs=15, seed=10)["original"].loss)


def test_no_recompile_when_lr_shift_seed_or_epochs_change(count_compiles):
    train_variants(epochs=5)
    with count_compiles() as c:
        train_variants(epochs=5, lr=0.37)
        train_variants(epochs=5, shift=123.0)
        train_variants(epochs=5, seed=12345)
        train_variants(epochs=23)
        train_variants(epochs=5, noise=0.3)
    assert c.n == 0


def test_on_progress_reports_chunks():
    calls = []
    train_variants(epochs=25, on_progress=lambda done, total: calls.append((done, total)))
    assert calls == [(10, 25), (20, 25), (25, 25)]


def test_digits_trains_offline_to_a_sensible_accuracy():
    runs = train_variants("digits", epochs=60)
    assert runs["original"].test_accuracy[-1] >= 0.9
    assert runs["shifted"].weights_equal_original.all()
    assert runs["negated"].test_accuracy[-1] < 0.3


def test_decision_grid(default_runs):
    original = default_runs["original"]
    grid = decision_grid(original.params, ((-2.0, 2.0), (-1.0, 3.0)), 7, activation=original.activation)
    assert grid.probs.shape == (7, 7, 2)
    np.testing.assert_allclose(grid.x[[0, -1]], [-2.0, 2.0])
    np.testing.assert_allclose(grid.y[[0, -1]], [-1.0, 3.0])
    np.testing.assert_allclose(grid.probs.sum(axis=-1), 1.0, rtol=1e-6)
    logits = training.mlp(original.params, jnp.asarray([[grid.x[2], grid.y[5]]]))
    np.testing.assert_allclose(grid.probs[5, 2], jax.nn.softmax(logits[0]), rtol=1e-5)


def test_decision_grid_needs_two_inputs():
    params = training.init_mlp(np.random.default_rng(0), (4, 3, 3))
    with pytest.raises(ValueError):
        decision_grid(params, ((0, 1), (0, 1)))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(optimizer="nope"),
        dict(activation="gelu"),
        dict(epochs=0),
        dict(hidden=(0,)),
        dict(batch_size=-1),
        dict(seed=-1),
        dict(optimizer="adam", hyper=(0.9,)),
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        train_variants(**kwargs)


def test_every_preset_has_a_training_learning_rate():
    assert set(training.TRAINING_LR) == set(lossviz.OPTIMIZERS)
    assert training.default_lr("sgd") == training.TRAINING_LR["sgd"]


def test_widths_of_one_bucket_share_one_program():
    assert [training.bucket(w) for w in (2, 8, 9, 16, 17, 33, 64)] == [16, 16, 16, 16, 64, 64, 64]
    train_variants(epochs=2, hidden=(9, 9))
    live = training._train_chunk.live()
    for width in (2, 13, 16):  # bucket 16: no new program
        train_variants(epochs=2, hidden=(width, width))
    assert training._train_chunk.live() == live
    assert training._train_chunk.has(activation="tanh")


def test_data_sets_of_one_frame_share_one_program(count_compiles):
    sizes = {name: datasets.load(name) for name in datasets.DATASETS}
    frames = {
        name: training.frame(d.x_train.shape[0], d.x_test.shape[0], d.x_train.shape[1], d.n_classes)
        for name, d in sizes.items()
    }
    assert set(frames.values()) == set(training.FRAMES)  # every set fits a frame, and no frame is idle
    assert frames["digits"] == training.FRAMES[1] and frames["moons"] == frames["iris"] == training.FRAMES[0]
    train_variants("moons", epochs=2)
    train_variants("digits", epochs=2)
    with count_compiles() as c:
        for name in datasets.DATASETS:
            runs = train_variants(name, epochs=2)
            assert runs["original"].params[-1][0].shape[-1] == sizes[name].n_classes  # unpadded again
    assert c.n == 0


def test_optimizer_and_batch_size_are_data_not_programs():
    train_variants(epochs=2)
    live = training._train_chunk.live(), training._init_state.live()
    for optimizer, batch in [("adam", 16), ("backtracking", 0), ("lion", 128), ("polyak", 64)]:
        train_variants(epochs=2, optimizer=optimizer, batch_size=batch)
    assert (training._train_chunk.live(), training._init_state.live()) == live


def test_unsupported_batch_size_is_refused():
    with pytest.raises(ValueError, match="batch_size must be one of"):
        train_variants(epochs=2, batch_size=50)
