"""The thread's exercise: one network trained on the loss, on ``L + c`` and on ``-L``.

:func:`train_variants` trains a small MLP (softmax cross-entropy ``L``) three
times from the same initial weights on the same minibatches, minimising the
objective ``scale * L + shift`` with ``(scale, shift)`` = ``(1, 0)`` (original),
``(1, c)`` (shifted) and ``(-1, 0)`` (negated). The three runs are lanes of one
``jax.vmap`` inside a ``jax.lax.scan`` over epochs, so they run as a single
compiled computation, and after every epoch the lanes' weights are compared
with the original's bit for bit (:attr:`History.weights_equal_original`).

The compiled loop runs :data:`CHUNK` epochs per call (a callback may report
progress between calls). Static (a program each): the activation, the data
set's shape and the hidden widths' bucket (:data:`WIDTH_BUCKETS`). Everything
else is data (a change never recompiles): the optimizer (every preset runs in
the program, chosen by index), the minibatch size (one of :data:`BATCH_SIZES`),
learning rate, hyper-parameters, shift, number of epochs, and everything the
seed decides (the points, the initial weights and the minibatch order, drawn
with NumPy).

>>> import math
>>> runs = train_variants("moons", shift=-2 * math.pi, epochs=3)
>>> list(runs), runs["shifted"].objective.shape
(['original', 'shifted', 'negated'], (3,))
>>> bool(runs["shifted"].weights_equal_original.all())
True
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lossviz import datasets
from lossviz.optimizers import MAX_HYPER, OPTIMIZERS, PRESET_NAMES, selected
from lossviz.programs import Programs
from lossviz.trajectories import f32

Params = tuple[tuple[jax.Array, jax.Array], ...]
"""An MLP's weights: one ``(W (d_in, d_out), b (d_out,))`` pair per layer."""

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {"tanh": jnp.tanh, "relu": jax.nn.relu}

VARIANTS = ("original", "shifted", "negated")
"""The lanes of :func:`train_variants`, in order: objectives ``L``, ``L + c`` and ``-L``."""

TRAINING_LR: dict[str, float] = {
    "sgd": 0.1,
    "momentum": 0.05,
    "nesterov": 0.05,
    "adagrad": 0.1,
    "rmsprop": 0.01,
    "adam": 0.01,
    "lion": 0.003,
    "polyak": 1.0,
    "backtracking": 1.0,
    "loss_x_grad": 0.2,
}
"""Default learning rates for the network (the explorer's presets are tuned for 2-D toys).

Each reaches >= 98 % training accuracy on the default two moons in 200 epochs.
"""

FALLBACK_LR = 0.01  # an optimizer without a tuned rate in TRAINING_LR


def default_lr(optimizer: str) -> float:
    """The default learning rate of ``optimizer`` for :func:`train_variants`."""
    return TRAINING_LR.get(optimizer, FALLBACK_LR)


class History(NamedTuple):
    """One variant's training run, one entry per epoch (entry ``k``: after ``k + 1`` epochs).

    Attributes:
      objective: ``(epochs,)``: the value the optimizer minimised, ``scale * L + shift``
        on the whole training set.
      loss: ``(epochs,)``: the ordinary cross-entropy ``L`` of the same weights.
      accuracy: ``(epochs,)``: training accuracy in ``[0, 1]``.
      test_accuracy: ``(epochs,)``: accuracy on the held-out split.
      weights_equal_original: ``(epochs,)`` bool: every weight has the same bits
        as the original run's (compared inside the compiled loop).
      max_weight_diff: ``(epochs,)``: largest ``|w - w_original|`` over all weights.
      params: final weights, ``((W (d_in, d_out), b (d_out,)), ...)`` per layer.
      scale: the objective's factor (1 or -1).
      shift: the objective's constant ``c``.
      activation: the hidden layers' activation (for :func:`decision_grid`).
      diverged_at: ``None``, or the first epoch whose weights or values are not finite.
    """

    objective: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    test_accuracy: np.ndarray
    weights_equal_original: np.ndarray
    max_weight_diff: np.ndarray
    params: tuple[tuple[np.ndarray, np.ndarray], ...]
    scale: float
    shift: float
    activation: str
    diverged_at: int | None


# --- the network -----------------------------------------------------------------


WIDTH_BUCKETS = (16, 64)
"""Hidden widths are computed in the next of these (zero-padded): a program per bucket, not per width.

Two, not more: every bucket is a program per data set shape that the server
compiles at start (:func:`warm_up`). A width of 16 or less runs at 16 (the
default width, at full speed); a wider one at 64, which costs up to ~4x the
arithmetic of its own width.
"""


def bucket(width: int) -> int:
    """The compiled width that serves ``width`` (the width itself past the last bucket)."""
    return next((b for b in WIDTH_BUCKETS if b >= width), width)


def pad_layers(params: Params, sizes: Sequence[int]) -> Params:
    """``params`` zero-padded to layer widths ``sizes`` (inputs first), e.g. hidden layers to their bucket.

    A padded hidden unit has zero incoming weights and bias, so it outputs
    act(0) = 0 (tanh and relu), and zero outgoing weights, so its gradient is
    exactly 0 and every optimizer leaves it at 0. A padded input (a feature
    that is always 0) gets zero gradients too; a padded output (a class the data
    set lacks) is masked to a logit of -inf (:func:`_masked_logits`). The network
    computes the same function, and trains the same, as the unpadded one (up to
    the rounding of sums with extra zero terms).
    """
    out = []
    for k, (w, b) in enumerate(params):
        rows, cols = sizes[k], sizes[k + 1]
        pad_w = np.zeros((*w.shape[:-2], rows, cols), np.float32)
        pad_w[..., : w.shape[-2], : w.shape[-1]] = w
        pad_b = np.zeros((*b.shape[:-1], cols), np.float32)
        pad_b[..., : b.shape[-1]] = b
        out.append((pad_w, pad_b))
    return tuple(out)


def unpad_layers(params: Params, sizes: Sequence[int]) -> Params:
    """The inverse of :func:`pad_layers`: the first ``sizes[k]`` units of each layer."""
    return tuple(
        (w[..., : sizes[k], : sizes[k + 1]], b[..., : sizes[k + 1]]) for k, (w, b) in enumerate(params)
    )


def init_mlp(rng: np.random.Generator, sizes: Sequence[int]) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Glorot-normal weights and zero biases for layer widths ``sizes`` (input first), in float32.

    Drawn with NumPy outside the compiled loop: the weights enter it as data,
    so a new seed never recompiles.
    """
    return tuple(
        (
            (rng.standard_normal((d_in, d_out)) * np.sqrt(2.0 / (d_in + d_out))).astype(np.float32),
            np.zeros(d_out, np.float32),
        )
        for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True)
    )


def mlp(params: Params, x: jax.Array, activation: str = "tanh") -> jax.Array:
    """Logits ``(n, n_classes)`` of inputs ``x (n, d)``."""
    act = ACTIVATIONS[activation]
    # b[None]: (1, d_out), so no implicit rank promotion (the tests make it an error)
    for w, b in params[:-1]:
        x = act(x @ w + b[None])
    w, b = params[-1]
    return x @ w + b[None]


def cross_entropy(params: Params, x: jax.Array, y: jax.Array, activation: str = "tanh") -> jax.Array:
    """Mean softmax cross-entropy of labels ``y (n,)``: the ordinary loss ``L``."""
    return optax.softmax_cross_entropy_with_integer_labels(mlp(params, x, activation), y).mean()


def accuracy(params: Params, x: jax.Array, y: jax.Array, activation: str = "tanh") -> jax.Array:
    """Share of ``x (n, d)`` whose largest logit is the label ``y (n,)``."""
    return jnp.mean(jnp.argmax(mlp(params, x, activation), axis=-1) == y)


def _masked_logits(params: Params, x: jax.Array, classes: jax.Array, activation: str) -> jax.Array:
    """Logits with the classes a data set lacks (``classes`` False; padded outputs) at -inf."""
    return jnp.where(classes[None], mlp(params, x, activation), -jnp.inf)


def _cross_entropies(params, x, y, classes, activation: str) -> jax.Array:
    """The cross-entropy of each row of ``x``: ``(n,)``.

    ``logsumexp(logits) - logits[label]`` as :func:`optax.softmax_cross_entropy_with_integer_labels`
    computes it, but the label's logit is picked by a comparison with the class numbers rather than
    by indexing: the gradient of an indexed pick is a scatter, which XLA's CPU backend runs as a
    loop over the rows (376 iterations a step on the full batch); the gradient of a ``where`` is an
    elementwise select. Full-batch training ~20 % faster, wide networks ~5-10 %; the values agree
    with optax's to float32 rounding (tested).
    """
    logits = _masked_logits(params, x, classes, activation)
    is_label = jnp.arange(logits.shape[-1])[None] == y[:, None]
    # where, not a product with a one-hot: a lacking class's logit is -inf, and -inf * 0 is NaN
    return jax.nn.logsumexp(logits, axis=-1) - jnp.sum(jnp.where(is_label, logits, 0.0), axis=-1)


def _mean_cross_entropy(params, x, y, classes, activation: str, weights=None) -> jax.Array:
    """Cross-entropy ``L`` over the rows of ``x``: their mean, or their ``weights``-weighted mean
    (weights 0 for padded rows)."""
    ce = _cross_entropies(params, x, y, classes, activation)
    if weights is None:
        return ce.mean()
    return jnp.sum(jnp.where(weights > 0, ce, 0.0) * weights) / jnp.sum(weights)


def _weighted_accuracy(params, x, y, classes, weights, activation: str) -> jax.Array:
    hits = jnp.argmax(_masked_logits(params, x, classes, activation), axis=-1) == y
    return jnp.sum(hits * weights) / jnp.sum(weights)


def epoch_order(rng: np.random.Generator, n: int, batch_size: int) -> np.ndarray:
    """One epoch's order of the ``n`` training points, ``(n,)`` int32.

    A fresh permutation per epoch, cut into ``n // batch_size`` minibatches (the
    last incomplete batch is dropped). ``batch_size`` 0 (or >= ``n``) means one
    full batch in the original order (nothing is drawn).
    """
    if batch_size == 0 or batch_size >= n:
        return np.arange(n, dtype=np.int32)
    return rng.permutation(n).astype(np.int32)


def epoch_batches(rng: np.random.Generator, n: int, batch_size: int) -> np.ndarray:
    """One epoch's minibatch indices ``(n_batches, batch)``, int32, as the compiled loop cuts
    :func:`epoch_order`."""
    order = epoch_order(rng, n, batch_size)
    size = n if batch_size == 0 or batch_size >= n else batch_size
    return order[: n // size * size].reshape(n // size, size)


# --- the compiled training loop ------------------------------------------------

CHUNK = 10
"""Epochs per compiled call. Fixed, so the number of epochs is not a static argument."""


BATCH_SIZES = (0, 16, 32, 64, 128)
"""The minibatch sizes a program serves (0: the full batch); the size is traced data."""
MAX_BATCH = max(BATCH_SIZES)
GATHERS = (32, 128)
"""Rows a minibatch step gathers: the smallest of these that holds the size (a branch each)."""
"""The largest minibatch: each epoch's order is padded by this many rows, so every gather stays inside it."""

FRAMES = ((376, 126, 4, 3), (1347, 450, 64, 10))
"""Shapes ``(n_train, n_test, features, classes)`` that data sets are padded to.

Two frames, each a program per width bucket: the small sets (two moons, circles,
blobs and the spiral: 500 points, 2 features, 2 or 3 classes; iris: 150
flowers, 4 features, 3 classes) share the first, digits (1,797 images of 64
pixels, 10 classes) has the second. One frame for all six would save two
programs (~40 MB of a server's memory) but cost a small set 1.5-2x its time
(two moons, 200 epochs: ~0.45 s instead of ~0.3 s; circles at width 64: ~1.2 s
instead of ~0.65 s): the per-epoch metrics would run over digits' 1,347 rows of
64 features. A data set that fits no frame runs
at its own shape: a program of its own.
"""


def frame(n_train: int, n_test: int, features: int, classes: int) -> tuple[int, int, int, int]:
    """The padded shape a data set of these sizes is computed at: the first of :data:`FRAMES` it fits."""
    sizes = (n_train, n_test, features, classes)
    return next((f for f in FRAMES if all(a <= b for a, b in zip(sizes, f, strict=True))), sizes)


def _pad(a: np.ndarray, *shape: int) -> np.ndarray:
    """``a`` zero-padded at the end of each axis to ``shape``."""
    out = np.zeros(shape, a.dtype)
    out[tuple(slice(0, k) for k in a.shape)] = a
    return out


def padded_data(ds: datasets.Dataset) -> tuple[Data, tuple[int, int, int, int]]:
    """``ds`` zero-padded to its :func:`frame`, with the masks, and that frame."""
    n_train, n_test, features, classes = frame(
        ds.x_train.shape[0], ds.x_test.shape[0], ds.x_train.shape[1], ds.n_classes
    )
    data = Data(
        x=_pad(ds.x_train, n_train, features),
        y=_pad(ds.y_train, n_train),
        weights=_pad(np.ones(ds.y_train.shape, np.float32), n_train),
        x_test=_pad(ds.x_test, n_test, features),
        y_test=_pad(ds.y_test, n_test),
        test_weights=_pad(np.ones(ds.y_test.shape, np.float32), n_test),
        classes=np.arange(classes) < ds.n_classes,
        n=np.int32(ds.x_train.shape[0]),
    )
    return data, (n_train, n_test, features, classes)


class Data(NamedTuple):
    """A data set as the compiled loop sees it: padded to a :data:`FRAMES` shape, with masks.

    Attributes:
      x, y: training points ``(n_max, d_max)`` and labels; rows past ``n`` are padding.
      weights: ``(n_max,)`` 1 for a real row, 0 for padding.
      x_test, y_test, test_weights: the same for the test split.
      classes: ``(classes_max,)`` whether each output is a class of the data set.
      n: the number of real training points (int32).
    """

    x: jax.Array
    y: jax.Array
    weights: jax.Array
    x_test: jax.Array
    y_test: jax.Array
    test_weights: jax.Array
    classes: jax.Array
    n: jax.Array


def _lane_epoch(carry, scale, shift, perm, batch, data: Data, tx, activation: str):
    """One epoch of one variant: an optimizer step per minibatch on ``scale * L + shift``.

    The minibatch size is ``BATCH_SIZES[batch]`` (traced). Step ``s`` gathers, from position
    ``s * size`` of ``perm`` (whose first ``data.n`` entries order the real points), the smallest of
    :data:`GATHERS` rows that holds the size and weighs the first ``size`` of them, so the loss is
    the mean over the minibatch; each gather size is a branch of one ``lax.switch`` (a branch per
    size would compute no spare rows but cost a server ~20 MB more per program). The epoch is a
    loop of ``n // size`` such steps. Size 0 is one step on the full batch (the host picks it for a
    size >= ``n``): every real row, in the data's own order.
    """
    size = jnp.array(BATCH_SIZES, jnp.int32)[batch]

    def full(p, s):
        return scale * _mean_cross_entropy(p, data.x, data.y, data.classes, activation, data.weights) + shift

    def minibatch(rows: int):
        """A minibatch of ``size <= rows`` points: ``rows`` gathered, the first ``size`` counted."""
        counted = jnp.arange(rows) < size

        def objective(p, s):
            idx = jax.lax.dynamic_slice(perm, (s * size,), (rows,))
            ce = _cross_entropies(p, data.x[idx], data.y[idx], data.classes, activation)
            # where, not a 0 weight: a spare row's overflowed loss times 0 would be NaN
            return scale * (jnp.sum(jnp.where(counted, ce, 0.0)) / size) + shift

        return objective

    # a branch per gather size (the full batch first), each differentiated on its own: the
    # gradient of a switch would keep the residuals of every branch (the full batch's activations
    # too) at every step. A size takes the smallest gather that holds it: at most twice its rows.
    branches = [full, *(minibatch(rows) for rows in GATHERS)]
    with_grads = [jax.value_and_grad(b) for b in branches]
    kind = jnp.where(size == 0, 0, 1 + jnp.sum(size > jnp.array(GATHERS)))

    def step(s, carry):
        params, state = carry
        value, grad = jax.lax.switch(kind, with_grads, params, s)

        def objective(p):  # values only, for the line search's trials
            return jax.lax.switch(kind, branches, p, s)

        updates, state = tx.update(grad, state, params, value=value, grad=grad, value_fn=objective)
        return optax.apply_updates(params, updates), state

    # a loop with a traced bound: an epoch takes as many steps as its size has minibatches (the
    # optimizer's update is traced once, for both kinds of batch: a smaller program)
    steps = jnp.where(size == 0, 1, data.n // jnp.maximum(size, 1))
    return jax.lax.fori_loop(0, steps, step, carry)


def _quality(params, data: Data, activation: str):
    """``L``, the training accuracy and the test accuracy of one network's weights."""
    return (
        _mean_cross_entropy(params, data.x, data.y, data.classes, activation, data.weights),
        _weighted_accuracy(params, data.x, data.y, data.classes, data.weights, activation),
        _weighted_accuracy(params, data.x_test, data.y_test, data.classes, data.test_weights, activation),
    )


SHIFTED = VARIANTS.index("shifted")


def _lane_quality(params, equal, data: Data, activation: str):
    """:func:`_quality` of every lane's weights: ``(loss, accuracy, test_accuracy)``, each ``(lanes,)``.

    Under every optimizer that reads only the gradient, the shifted lane's weights equal the
    original's bit for bit (``equal``, from :func:`_compare`, after every epoch); its numbers are
    then the original's and are not computed again: the per-epoch evaluation, a third of a
    run's arithmetic, is done for two lanes instead of three (a width-64 run ~10 % faster). The
    same vmapped evaluation gives the same bits for two lanes as for three.
    """
    quality = jax.vmap(functools.partial(_quality, data=data, activation=activation))
    others = [k for k in range(len(VARIANTS)) if k != SHIFTED]
    back = np.array([others.index(0 if k == SHIFTED else k) for k in range(len(VARIANTS))])

    def shared(p):
        return tuple(v[back] for v in quality(jax.tree.map(lambda a: a[np.array(others)], p)))

    return jax.lax.cond(equal[SHIFTED], shared, quality, params)


def _compare(params):
    """Per lane: same bits as lane 0 (the original) in every weight, largest difference, all finite."""
    flats = [leaf.reshape(leaf.shape[0], -1) for leaf in jax.tree.leaves(params)]
    flat = jnp.concatenate(flats, axis=1)
    bits = jax.lax.bitcast_convert_type(flat, jnp.int32)
    return (
        jnp.all(bits == bits[:1], axis=1),
        jnp.max(jnp.abs(flat - flat[:1]), axis=1),
        jnp.all(jnp.isfinite(flat), axis=1),
    )


def _init_state_program(params, optimizer, lr, hyper):
    return jax.vmap(selected(optimizer, lr, hyper, packed=True).init)(params)


def _train_chunk_program(
    carry, perms, stop, batch, optimizer, lr, hyper, scales, shifts, data, *, activation: str
):
    """Up to :data:`CHUNK` epochs of all lanes.

    Args:
      carry: ``(params, opt_state)``, each leaf with a leading lane axis.
      perms: ``(CHUNK, n_max + MAX_BATCH)`` each epoch's order of the real training points (then padding),
        shared by all lanes; an epoch of batch size ``b`` takes its first ``n // b * b`` entries
        as ``n // b`` batches.
      stop: epochs of this chunk to run; the others leave ``carry`` as it is.
      batch: index into :data:`BATCH_SIZES` (traced: every size is a branch of this one program).
      optimizer: the preset's index in :data:`lossviz.optimizers.PRESET_NAMES` (traced: every
        preset runs in this one program, see :func:`lossviz.optimizers.selected`).
      lr, hyper: the optimizer's hyper-parameters (traced; ``hyper`` padded to ``MAX_HYPER``).
      scales, shifts: ``(lanes,)``: each lane minimises ``scale * L + shift``.
      data: the padded data set (:class:`Data`).

    Returns:
      The new carry and per-epoch ``(objective, loss, accuracy, test_accuracy,
      equal, diff, finite)``, each ``(CHUNK, lanes)``.
    """
    tx = selected(optimizer, lr, hyper, packed=True)
    lane_epoch = jax.vmap(
        functools.partial(_lane_epoch, tx=tx, activation=activation),
        in_axes=(0, 0, 0, None, None, None),
    )

    def epoch(carry, step):
        perm, i = step
        carry = jax.lax.cond(
            i < stop,
            lambda c: lane_epoch(c, scales, shifts, perm, batch, data),
            lambda c: c,
            carry,
        )
        equal, diff, finite = _compare(carry[0])
        loss, acc, test_acc = _lane_quality(carry[0], equal, data, activation)
        return carry, (scales * loss + shifts, loss, acc, test_acc, equal, diff, finite)

    return jax.lax.scan(epoch, carry, (perms, jnp.arange(CHUNK, dtype=jnp.int32)))


# One program per activation, data set frame and width bucket: the optimizer, the batch size,
# the learning rate, the shift, the seed and the number of epochs are data. The app's data sets
# fit the 2 FRAMES, and WIDTH_BUCKETS has 2 widths: 4 programs.
PROGRAMS_PER_ACTIVATION = 4
_init_state = Programs(_init_state_program, maxsize=PROGRAMS_PER_ACTIVATION, name="training_init")
_train_chunk = Programs(
    _train_chunk_program, static=("activation",), maxsize=PROGRAMS_PER_ACTIVATION, name="training"
)


def _check(optimizer: str, hidden: Sequence[int], activation: str, epochs: int, batch_size: int | None, seed):
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {sorted(OPTIMIZERS)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    if epochs < 1 or any(h < 1 for h in hidden) or (batch_size or 0) < 0:
        raise ValueError(
            f"need epochs >= 1, hidden sizes >= 1, batch_size >= 0; got {epochs}, {hidden}, {batch_size}"
        )
    if (batch_size or 0) not in BATCH_SIZES:
        raise ValueError(f"batch_size must be one of {BATCH_SIZES} (0 or None: full batch), got {batch_size}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")


def _diverged_at(*per_epoch: np.ndarray) -> int | None:
    ok = np.logical_and.reduce([np.isfinite(v) if v.dtype != bool else v for v in per_epoch])
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if bad.size else None


def train_variants(
    dataset: str = datasets.DEFAULT_DATASET,
    *,
    shift: float = -2 * np.pi,
    epochs: int = 200,
    seed: int = 0,
    optimizer: str = "sgd",
    lr: float | None = None,
    hyper: Sequence[float] = (),
    hidden: Sequence[int] = (16, 16),
    activation: str = "tanh",
    batch_size: int | None = 32,
    n: int = 500,
    noise: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, History]:
    """Trains one MLP three times: on ``L``, on ``L + shift`` and on ``-L``.

    Args:
      dataset: a key of :data:`lossviz.datasets.DATASETS`; the data is
        ``datasets.load(dataset, n=n, noise=noise, seed=seed)``.
      shift: the constant ``c`` of the shifted variant (used as float32).
      epochs: passes over the training set.
      seed: seeds the data, the initial weights and the minibatch order.
      optimizer: a key of :data:`lossviz.optimizers.OPTIMIZERS`.
        Presets that read the loss value get it (``value=``); for them the
        shifted run may differ, which ``weights_equal_original`` then shows.
      lr: learning rate (``None``: :func:`default_lr`).
      hyper: the preset's extra hyper-parameters (empty: its defaults).
      hidden: widths of the hidden layers (computed at their :func:`bucket`).
      activation: ``"tanh"`` or ``"relu"`` (static).
      batch_size: minibatch size, one of :data:`BATCH_SIZES`; ``None`` or 0 for full-batch
        gradient descent (a size >= the training set is the full batch too).
      n: points of a synthetic data set.
      noise: noise of a synthetic data set (``None``: its default).
      on_progress: called as ``on_progress(epochs_done, epochs)`` between chunks of epochs.

    Returns:
      ``{"original": History, "shifted": History, "negated": History}``.
    """
    _check(optimizer, hidden, activation, int(epochs), batch_size, seed)
    preset = OPTIMIZERS[optimizer]
    hyper = tuple(hyper) if len(hyper) else preset.defaults()
    if len(hyper) != len(preset.hyper):
        raise ValueError(f"{optimizer} takes {len(preset.hyper)} hyper-parameters, got {len(hyper)}")
    ds = datasets.load(dataset, n=n, noise=noise, seed=seed)
    sizes = (ds.x_train.shape[1], *map(int, hidden), ds.n_classes)
    weights_rng, batch_rng = (np.random.default_rng([seed, stream]) for stream in (1, 2))
    # the data padded to its frame and the hidden layers to their width bucket: one program serves
    # every data set of the frame and every width of the bucket
    data, (n_max, _, features, classes) = padded_data(ds)
    padded = (features, *(bucket(int(h)) for h in hidden), classes)
    lanes = jax.tree.map(
        lambda a: np.broadcast_to(a, (len(VARIANTS), *a.shape)), init_mlp(weights_rng, sizes)
    )
    # on the device from the start: the chunks after the first get device arrays too, and a
    # jitted function keeps one dispatch entry per argument type
    params = jax.device_put(pad_layers(lanes, padded))
    n_train = ds.x_train.shape[0]
    full = not batch_size or batch_size >= n_train
    scales, shifts = f32([1.0, 1.0, -1.0]), f32([0.0, shift, 0.0])
    traced = dict(
        lr=f32(default_lr(optimizer) if lr is None else lr),
        optimizer=np.int32(PRESET_NAMES.index(optimizer)),
        hyper=f32((*hyper, *[0.0] * (MAX_HYPER - len(hyper)))),
        scales=scales,
        shifts=shifts,
        data=jax.device_put(data),  # jnp.asarray would compile
        batch=np.int32(0 if full else BATCH_SIZES.index(batch_size)),
    )
    # an endless stream of epochs (each order padded past the frame by a minibatch buffer, so that
    # every step's gather stays inside it); the last chunk draws a few unused
    batches = (
        _pad(epoch_order(batch_rng, n_train, 0 if full else batch_size), n_max + MAX_BATCH)
        for _ in itertools.count()
    )
    per_epoch, params = _run(params, batches, int(epochs), traced, activation, on_progress)
    params = unpad_layers(params, sizes)
    return {
        name: _history(lane, per_epoch, params, float(scales[lane]), float(shifts[lane]), activation)
        for lane, name in enumerate(VARIANTS)
    }


def _run(params, batches, epochs: int, traced: dict, activation: str, on_progress):
    """Calls :func:`_train_chunk` until ``epochs`` are done; per-epoch outputs ``(epochs, lanes)``."""
    carry = (params, _init_state(params, traced["optimizer"], traced["lr"], traced["hyper"]))
    outputs = []
    for start in range(0, epochs, CHUNK):
        stop = min(CHUNK, epochs - start)
        perms = np.stack([next(batches) for _ in range(CHUNK)])
        carry, out = _train_chunk(carry, perms, np.int32(stop), **traced, activation=activation)
        outputs.append((stop, out))
        if on_progress is not None:
            jax.block_until_ready(out)
            on_progress(start + stop, epochs)
    per_epoch = [np.concatenate([np.asarray(out[i])[:stop] for stop, out in outputs]) for i in range(7)]
    return per_epoch, jax.tree.map(np.asarray, carry[0])


def _history(lane: int, per_epoch, params, scale: float, shift: float, activation: str) -> History:
    objective, loss, acc, test_acc, equal, diff, finite = (v[:, lane] for v in per_epoch)
    lane_params = tuple((w[lane], b[lane]) for w, b in params)
    return History(
        objective,
        loss,
        acc,
        test_acc,
        equal,
        diff,
        lane_params,
        scale,
        shift,
        activation,
        _diverged_at(objective, loss, finite),
    )


class DecisionGrid(NamedTuple):
    """Class probabilities of a 2-D classifier on a regular grid.

    Attributes:
      x: ``(resolution,)`` first-feature coordinates.
      y: ``(resolution,)`` second-feature coordinates.
      probs: ``(resolution, resolution, n_classes)``; ``probs[i, j]`` is at ``(x[j], y[i])``.
    """

    x: np.ndarray
    y: np.ndarray
    probs: np.ndarray


_NUMPY_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
}


def decision_grid(
    params: Params,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    resolution: int = 100,
    *,
    activation: str = "tanh",
) -> DecisionGrid:
    """Class probabilities of a network with 2 inputs over ``bounds``.

    Args:
      params: an MLP's weights, e.g. :attr:`History.params`.
      bounds: ``((x_min, x_max), (y_min, y_max))`` in standardised feature units.
      resolution: grid points per axis (static).
      activation: the network's activation (:attr:`History.activation`).

    >>> runs = train_variants("moons", epochs=2)
    >>> decision_grid(runs["original"].params, ((-2, 2), (-2, 2)), 5).probs.shape
    (5, 5, 2)
    """
    if int(resolution) < 2:
        raise ValueError(f"resolution must be >= 2, got {resolution}")
    if params[0][0].shape[0] != 2:
        raise ValueError(f"decision_grid needs a network with 2 inputs, got {params[0][0].shape[0]}")
    # a forward pass on a grid: NumPy does it in milliseconds, and a compiled program would hold
    # ~10 MB of the server's memory per width
    x = np.linspace(bounds[0][0], bounds[0][1], int(resolution), dtype=np.float32)
    y = np.linspace(bounds[1][0], bounds[1][1], int(resolution), dtype=np.float32)
    xx, yy = np.meshgrid(x, y)
    h = np.stack([xx.ravel(), yy.ravel()], axis=1)
    act = _NUMPY_ACTIVATIONS[activation]
    for w, b in params[:-1]:
        h = act(h @ np.asarray(w, np.float32) + np.asarray(b, np.float32))
    logits = h @ np.asarray(params[-1][0], np.float32) + np.asarray(params[-1][1], np.float32)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return DecisionGrid(x, y, probs.reshape(int(resolution), int(resolution), -1))


def warm_up(
    dataset: str = datasets.DEFAULT_DATASET,
    width: int = 16,
    *,
    rest: bool = True,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Compiles (or loads from the persistent cache) the training programs.

    ``dataset`` at ``width`` first (the page's default view), then, with
    ``rest``, every other data set frame and width bucket; ``should_stop`` is
    asked before each program.
    """
    shapes: dict[tuple, str] = {}
    for name in (dataset, *datasets.DATASETS):
        ds = datasets.load(name)
        shapes.setdefault(
            frame(ds.x_train.shape[0], ds.x_test.shape[0], ds.x_train.shape[1], ds.n_classes), name
        )
    widths = (bucket(width), *[b for b in WIDTH_BUCKETS if b != bucket(width)])
    todo = [(name, w) for w in widths for name in shapes.values()]
    for name, w in todo if rest else todo[:1]:
        if should_stop():
            return
        train_variants(name, epochs=1, hidden=(w, w))
