"""Hard (non-differentiable) functions, their smooth surrogates, and "fake" gradients.

A step or an argmax is piecewise constant: its gradient is zero almost
everywhere, so gradient descent through it cannot move. A sigmoid is a soft
step and a softmax a soft argmax: real functions with real gradients, which
tend to the hard ones as the temperature goes to zero. A straight-through
estimator keeps the hard forward value but borrows the surrogate's gradient:
whatever it calls itself, descent with it follows the surrogate's gradient.

>>> import jax, jax.numpy as jnp
>>> ste = straight_through(step, lambda x: soft_step(x, 0.5))
>>> float(ste(jnp.float32(0.3))), float(jax.grad(ste)(jnp.float32(0.3))) > 0
(1.0, True)
>>> float(jax.grad(step)(jnp.float32(0.3)))
0.0
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

Fn = Callable[[jax.Array], jax.Array]


def step(x: jax.Array) -> jax.Array:
    """The Heaviside step: 1.0 where ``x > 0`` else 0.0 (gradient 0 everywhere)."""
    return jnp.where(x > 0, 1.0, 0.0).astype(jnp.result_type(x, jnp.float32))


def soft_step(x: jax.Array, temperature: float | jax.Array) -> jax.Array:
    """``sigmoid(x / temperature)``: a step for small temperatures, smooth for large ones."""
    return jax.nn.sigmoid(x / temperature)


def hard_argmax(z: jax.Array) -> jax.Array:
    """One-hot of the argmax over the last axis (ties: the first index)."""
    return jax.nn.one_hot(jnp.argmax(z, axis=-1), z.shape[-1], dtype=jnp.result_type(z, jnp.float32))


def soft_argmax(z: jax.Array, temperature: float | jax.Array) -> jax.Array:
    """``softmax(z / temperature)`` over the last axis: the 'soft argmax'."""
    return jax.nn.softmax(z / temperature, axis=-1)


def straight_through(hard: Fn, soft: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """A function whose value is ``hard(x)`` and whose gradient is that of ``soft(x, *args)``.

    A ``jax.custom_jvp``: the forward pass is exactly ``hard(x)`` (the usual
    ``soft + stop_gradient(hard - soft)`` trick can round), the derivative is
    the surrogate's. ``jax.grad`` works through it like any function. The
    surrogate's parameters (a temperature) are passed as ``args`` rather than
    closed over, so that they may be traced values of any enclosing
    transformation (a ``lax.switch`` inside a loop, for one).
    """

    @jax.custom_jvp
    def fn(x, *args):
        return hard(x)

    @fn.defjvp
    def fn_jvp(primals, tangents):
        _, soft_dot = jax.jvp(soft, primals, tangents)
        return hard(primals[0]), soft_dot

    return fn
