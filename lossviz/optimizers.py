"""Optimizer presets: every one an optax ``GradientTransformation``.

Most optimizers read only the gradient. Three read the loss *value* too, and
only for those can a constant shift of the loss change the path:

* Polyak's step size (``optax.polyak_sgd`` with ``f* = 0``): the step is
  ``(L - f*) / |grad|**2``, so ``L + c`` changes it.
* A backtracking (Armijo) line search: it compares values, but only through
  differences ``L(new) - L(old)``, so a shift cancels (up to rounding).
* The forum asker's hypothesis ``step = lr * L * grad``
  (:func:`loss_times_gradient`): the step is proportional to the value.

Hyper-parameters are plain arguments of :attr:`Preset.build`, so inside a
jitted function they may be traced values: changing them does not recompile.

>>> import jax.numpy as jnp
>>> opt = OPTIMIZERS["sgd"].build(0.1, ())
>>> params = jnp.array([1.0, 2.0])
>>> updates, _ = opt.update(jnp.array([1.0, 1.0]), opt.init(params), params)
>>> [round(float(u), 3) for u in updates]
[-0.1, -0.1]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax


def scale_by_loss_value() -> optax.GradientTransformationExtraArgs:
    """Multiplies the updates by the current loss value (``update(..., value=L)``)."""

    def update_fn(updates, state, params=None, *, value, **extra_args):
        del params, extra_args
        return jax.tree.map(lambda u: value * u, updates), state

    return optax.GradientTransformationExtraArgs(optax.init_empty_state, update_fn)


def loss_times_gradient(learning_rate: Any) -> optax.GradientTransformationExtraArgs:
    """The asker's hypothesis: ``new = old - learning_rate * L * grad``.

    With it, a negative loss really would turn descent into ascent and a
    shift ``L + c`` really would change the path: it is *not* how gradient
    descent works, which is what this preset is here to show.
    """
    return optax.chain(scale_by_loss_value(), optax.sgd(learning_rate))


def backtracking_descent(learning_rate: Any, decrease_factor: Any) -> optax.GradientTransformationExtraArgs:
    """Gradient descent whose step is shrunk until Armijo's condition holds.

    Each search tries steps ``-s * grad`` from ``s = min(1.5 * last accepted s,
    learning_rate)`` down (the first one from ``learning_rate``). The search
    scales ``-grad`` itself rather than fractions of ``-learning_rate * grad``
    (the same steps): multiplying the gradient by a constant learning rate lets
    XLA reassociate the products, so :func:`~lossviz.trajectories.trajectory`
    and :func:`~lossviz.engine.run_preset` (traced learning rate) would
    differ in the last bit.
    """
    search = optax.scale_by_backtracking_linesearch(
        max_backtracking_steps=20,
        decrease_factor=decrease_factor,
        increase_factor=1.5,
        max_learning_rate=learning_rate,
    )

    def init_fn(params):
        state = search.init(params)
        return state._replace(learning_rate=jnp.asarray(learning_rate, dtype=state.learning_rate.dtype))

    return optax.chain(optax.sgd(1.0), optax.GradientTransformationExtraArgs(init_fn, search.update))


@dataclasses.dataclass(frozen=True)
class HyperParam:
    """A continuous hyper-parameter besides the learning rate."""

    name: str
    label: str
    default: float
    min: float
    max: float
    step: float
    help: str = ""


@dataclasses.dataclass(frozen=True)
class Preset:
    """An optimizer the explorer offers.

    Attributes:
      name: registry key (used in URLs).
      title: display name.
      label: short name for the selector and for shared links.
      build: ``(learning_rate, hyper_values) -> optax transformation``;
        ``hyper_values`` follow the order of ``hyper``.
      hyper: the extra hyper-parameters (learning rate excluded).
      lr: default learning rate.
      reads_value: whether the update reads the loss value.
      note: one sentence on how it reacts to the loss value.
    """

    name: str
    title: str
    label: str
    build: Callable[[Any, Sequence[Any]], optax.GradientTransformationExtraArgs]
    hyper: tuple[HyperParam, ...] = ()
    lr: float = 0.05
    reads_value: bool = False
    note: str = "Reads only the gradient: a shift of the loss cannot change its path."

    def defaults(self) -> tuple[float, ...]:
        return tuple(h.default for h in self.hyper)


_BETA = HyperParam("momentum", "momentum β", 0.9, 0.0, 0.99, 0.01, "Fraction of the previous step kept.")
_B1 = HyperParam("b1", "β₁ (first moment)", 0.9, 0.0, 0.999, 0.001)
_B2 = HyperParam("b2", "β₂ (second moment)", 0.999, 0.0, 0.9999, 0.0001)
_DECAY = HyperParam("decay", "decay ρ", 0.9, 0.0, 0.999, 0.001, "Averaging of squared gradients.")


def _with_extra_args(tx: optax.GradientTransformation) -> optax.GradientTransformationExtraArgs:
    return optax.with_extra_args_support(tx)


_PRESET_LIST = (
    Preset(
        "sgd", "SGD (plain gradient descent)", "SGD", lambda lr, h: _with_extra_args(optax.sgd(lr)), lr=0.05
    ),
    Preset(
        "momentum",
        "SGD with momentum",
        "Momentum",
        lambda lr, h: _with_extra_args(optax.sgd(lr, momentum=h[0])),
        hyper=(_BETA,),
        lr=0.02,
    ),
    Preset(
        "nesterov",
        "Nesterov momentum",
        "Nesterov",
        lambda lr, h: _with_extra_args(optax.sgd(lr, momentum=h[0], nesterov=True)),
        hyper=(_BETA,),
        lr=0.02,
    ),
    Preset("adagrad", "Adagrad", "Adagrad", lambda lr, h: _with_extra_args(optax.adagrad(lr)), lr=0.5),
    Preset(
        "rmsprop",
        "RMSProp",
        "RMSProp",
        lambda lr, h: _with_extra_args(optax.rmsprop(lr, decay=h[0])),
        hyper=(_DECAY,),
        lr=0.02,
        note="Divides by a running RMS of the gradient: rescaling the loss barely matters, shifting it never.",
    ),
    Preset(
        "adam",
        "Adam",
        "Adam",
        lambda lr, h: _with_extra_args(optax.adam(lr, b1=h[0], b2=h[1])),
        hyper=(_B1, _B2),
        lr=0.05,
        note="Normalises the gradient: a shift never matters, a positive scale hardly does.",
    ),
    Preset(
        "lion",
        "Lion (sign method)",
        "Lion",
        lambda lr, h: _with_extra_args(optax.lion(lr, b1=h[0], b2=h[1])),
        hyper=(
            dataclasses.replace(_B1, default=0.9),
            dataclasses.replace(_B2, default=0.99, min=0.0, max=0.999, step=0.001),
        ),
        lr=0.01,
        note="Moves by the sign of a momentum: any positive scale of the loss is invisible to it.",
    ),
    Preset(
        "polyak",
        "Polyak step size (f* = 0)",
        "Polyak",
        lambda lr, h: optax.polyak_sgd(max_learning_rate=lr, f_min=0.0),
        lr=0.1,
        reads_value=True,
        note="Step = (L − f*)/|∇L|² with f* = 0, capped by the learning rate: reads the value, so a shift changes the path.",
    ),
    Preset(
        "backtracking",
        "Backtracking (Armijo) line search",
        "Line search",
        lambda lr, h: backtracking_descent(lr, h[0]),
        hyper=(
            HyperParam(
                "decrease", "shrink factor", 0.8, 0.1, 0.95, 0.05, "Step multiplier per failed trial."
            ),
        ),
        lr=0.1,
        reads_value=True,
        note="Compares L(new) with L(old): a shift cancels in the difference, so only rounding can change the path.",
    ),
    Preset(
        "loss_x_grad",
        "Hypothesis: step = lr × L × ∇L",
        "Loss × grad",
        lambda lr, h: loss_times_gradient(lr),
        lr=0.02,
        reads_value=True,
        note="The forum asker's guess, not a real optimizer: negative L would turn it into ascent.",
    ),
)

OPTIMIZERS: dict[str, Preset] = {p.name: p for p in _PRESET_LIST}
DEFAULT_OPTIMIZER = "sgd"


PRESET_NAMES: tuple[str, ...] = tuple(OPTIMIZERS)
MAX_HYPER = max(len(p.hyper) for p in _PRESET_LIST)


def _layout(states: Sequence[Any]) -> dict[Any, int]:
    """Per dtype, the most elements any one of ``states`` holds (shapes and dtypes suffice)."""
    sizes: dict[Any, int] = {}
    for state in states:
        mine: dict[Any, int] = {}
        for leaf in jax.tree.leaves(state):
            dtype = jnp.result_type(leaf)
            mine[dtype] = mine.get(dtype, 0) + int(np.prod(leaf.shape))
        for dtype, size in mine.items():
            sizes[dtype] = max(sizes.get(dtype, 0), size)
    return sizes


def _pack(state: Any, layout: dict[Any, int]) -> tuple[jax.Array, ...]:
    """``state``'s leaves raveled into one vector per dtype of ``layout``, zero-padded to its size."""
    vectors = []
    for dtype, size in layout.items():
        parts = [jnp.ravel(leaf) for leaf in jax.tree.leaves(state) if jnp.result_type(leaf) == dtype]
        used = sum(part.size for part in parts)
        vectors.append(jnp.concatenate([*parts, jnp.zeros(size - used, dtype)]))
    return tuple(vectors)


def _unpack(vectors: tuple[jax.Array, ...], like: Any, layout: dict[Any, int]) -> Any:
    """The inverse of :func:`_pack`: a tree with the structure, shapes and dtypes of ``like``."""
    dtypes = list(layout)
    offsets = [0] * len(dtypes)
    leaves = []
    for leaf in jax.tree.leaves(like):
        k = dtypes.index(jnp.result_type(leaf))
        size = int(np.prod(leaf.shape))
        leaves.append(vectors[k][offsets[k] : offsets[k] + size].reshape(leaf.shape))
        offsets[k] += size
    return jax.tree.unflatten(jax.tree.structure(like), leaves)


def selected(
    index: Any, learning_rate: Any, hyper: Any, *, packed: bool = False
) -> optax.GradientTransformationExtraArgs:
    """Every preset in one transformation; ``index`` (traced) selects the one that updates.

    The state holds every preset's state; an update runs only the selected
    preset's (``lax.switch``) and leaves the others as they are. So the choice of
    optimizer is data: one compiled program serves all of them.

    Args:
      index: position of the preset in :data:`PRESET_NAMES` (an int32 scalar).
      learning_rate: the learning rate (traced).
      hyper: ``(MAX_HYPER,)``: the preset's hyper-parameters in its order, padded.

    Every branch is traced, so ``update`` takes what any preset needs:
    ``value=``, ``grad=`` and ``value_fn=``.

    With ``packed``, the state is the selected preset's alone, raveled into one
    vector per dtype (two: float32 and int32) sized for the largest preset's,
    rather than a tuple of every preset's (~13 arrays); ``index`` must then be
    the same at ``init`` and at every update. XLA copies every array that
    passes through the switch, twice per update: in a vmapped family of small
    states, ~26 copies a step cost more than the optimizer's arithmetic.

    >>> import jax.numpy as jnp
    >>> tx = selected(PRESET_NAMES.index("sgd"), 0.1, jnp.zeros(MAX_HYPER))
    >>> params, grad = jnp.array([1.0, 2.0]), jnp.array([1.0, 1.0])
    >>> loss = lambda p: jnp.sum(p)
    >>> updates, _ = tx.update(grad, tx.init(params), params, value=loss(params), grad=grad, value_fn=loss)
    >>> [round(float(u), 3) for u in updates]
    [-0.1, -0.1]
    """
    txs = [
        optax.with_extra_args_support(
            OPTIMIZERS[name].build(learning_rate, hyper[: len(OPTIMIZERS[name].hyper)])
        )
        for name in PRESET_NAMES
    ]

    def init_fn(params):
        if not packed:
            return tuple(tx.init(params) for tx in txs)
        layout = _layout([jax.eval_shape(tx.init, params) for tx in txs])
        inits = [lambda p, tx=tx: _pack(tx.init(p), layout) for tx in txs]
        return jax.lax.switch(index, inits, params)

    def update_fn(updates, state, params=None, **extra_args):
        if packed:  # every preset's state shapes, and the vectors they are packed into
            likes = [jax.eval_shape(tx.init, params) for tx in txs]
            layout = _layout(likes)

        def branch(k):
            def run(grads, state, params):
                if not packed:
                    new, inner = txs[k].update(grads, state[k], params, **extra_args)
                    return new, (*state[:k], inner, *state[k + 1 :])
                new, inner = txs[k].update(grads, _unpack(state, likes[k], layout), params, **extra_args)
                return new, _pack(inner, layout)

            return run

        return jax.lax.switch(index, [branch(k) for k in range(len(txs))], updates, state, params)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
