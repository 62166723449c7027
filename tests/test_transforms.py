"""Transforms of a loss: ``L' = a * g(L) + c``."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossviz.problems import PROBLEMS
from lossviz.transforms import MONOTONE_MAPS, affine, apply_to_values, maps_for, transform

# Independent NumPy versions of the maps and their derivatives.
NUMPY_MAPS = {
    "identity": (lambda v: v, lambda v: np.ones_like(v)),
    "log1p": (np.log1p, lambda v: 1.0 / (1.0 + v)),
    "sqrt": (np.sqrt, lambda v: 0.5 / np.sqrt(v)),
    "square": (np.square, lambda v: 2.0 * v),
}
NONNEGATIVE_ONLY = {"log1p", "sqrt", "square"}

POINTS = jnp.array([[-1.5, 2.0], [0.3, -0.7], [1.1, 1.3], [2.0, -1.0]], dtype=jnp.float32)


def test_registry_of_monotone_maps():
    assert set(MONOTONE_MAPS) == set(NUMPY_MAPS)
    for name, m in MONOTONE_MAPS.items():
        assert m.name == name and m.label and m.latex
        assert m.needs_nonnegative == (name in NONNEGATIVE_ONLY)


@pytest.mark.parametrize(
    ("lower_bound", "expected"),
    [
        (None, ["identity"]),
        (-1.0, ["identity"]),
        (0.0, ["identity", "log1p", "sqrt", "square"]),
        (2.5, ["identity", "log1p", "sqrt", "square"]),
    ],
)
def test_maps_for(lower_bound, expected):
    assert maps_for(lower_bound) == expected


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_maps_offered_per_problem(name):
    p = PROBLEMS[name]
    offered = set(maps_for(p.lower_bound))
    assert "identity" in offered
    nonnegative = p.lower_bound is not None and p.lower_bound >= 0
    assert (NONNEGATIVE_ONLY <= offered) == nonnegative
    assert (offered & NONNEGATIVE_ONLY == set()) == (not nonnegative)


@pytest.mark.parametrize("name", sorted(MONOTONE_MAPS))
def test_maps_are_increasing(name):
    fn = MONOTONE_MAPS[name].fn
    big = 1e4
    lo = 0.0 if MONOTONE_MAPS[name].needs_nonnegative else -big
    dense = np.asarray(fn(jnp.linspace(lo, big, 100_001, dtype=jnp.float32)))
    assert np.all(np.diff(dense) >= 0)  # float32 rounding may tie neighbours
    coarse = np.asarray(fn(jnp.linspace(lo, big, 101, dtype=jnp.float32)))
    assert np.all(np.diff(coarse) > 0)
    # The derivative is positive away from 0 (sqrt' is infinite at 0).
    slopes = jax.vmap(jax.grad(fn))(jnp.linspace(1e-3, big, 1001, dtype=jnp.float32))
    assert np.all(np.asarray(slopes) > 0)


@given(
    a=st.floats(0.0, 1e6, width=32),
    b=st.floats(0.0, 1e6, width=32),
    name=st.sampled_from(sorted(MONOTONE_MAPS)),
)
def test_maps_are_monotone_in_numpy(a, b, name):
    lo, hi = sorted((a, b))
    fn = MONOTONE_MAPS[name].fn
    assert float(fn(jnp.float32(lo))) <= float(fn(jnp.float32(hi)))


@pytest.mark.parametrize(
    ("scale", "shift"), [(1.0, 0.0), (1.0, -2 * np.pi), (-1.0, 0.0), (2.5, 3.0), (-0.3, -7.0)]
)
def test_affine_values(scale, shift):
    loss = PROBLEMS["rosenbrock"].loss
    f = affine(loss, scale=scale, shift=shift)
    for theta in POINTS:
        want = scale * np.float64(loss(theta)) + shift
        np.testing.assert_allclose(float(f(theta)), want, rtol=1e-6, atol=1e-5)


def test_default_transform_is_the_loss_itself():
    loss = PROBLEMS["himmelblau"].loss
    for theta in POINTS:
        assert float(transform(loss)(theta)) == float(loss(theta))
        assert float(affine(loss)(theta)) == float(loss(theta))


@pytest.mark.parametrize("g", sorted(MONOTONE_MAPS))
@pytest.mark.parametrize(("scale", "shift"), [(1.0, 0.0), (0.5, -1.0), (-2.0, 4.0)])
def test_transform_values_and_gradients(g, scale, shift):
    loss = PROBLEMS["quadratic"].loss
    f = transform(loss, scale=scale, g=g, shift=shift)
    np_g, np_dg = NUMPY_MAPS[g]
    for theta in POINTS:
        value = np.float64(loss(theta))
        grad = np.asarray(jax.grad(loss)(theta), np.float64)
        np.testing.assert_allclose(float(f(theta)), scale * np_g(value) + shift, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(
            np.asarray(jax.grad(f)(theta)), scale * np_dg(value) * grad, rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize("g", sorted(MONOTONE_MAPS))
def test_apply_to_values_matches_transform(g):
    loss = PROBLEMS["beale"].loss
    values = jax.vmap(loss)(POINTS)
    got = apply_to_values(values, 1.5, g, -0.25)
    want = jax.vmap(transform(loss, scale=1.5, g=g, shift=-0.25))(POINTS)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


@functools.partial(jax.jit, static_argnames="g")
def _transformed_value_and_grad(scale, shift, theta, g):
    return jax.value_and_grad(transform(PROBLEMS["rosenbrock"].loss, scale=scale, g=g, shift=shift))(theta)


@pytest.mark.parametrize("g", ["identity", "log1p"])
def test_traced_scale_and_shift_under_jit(g, count_compiles):
    theta = POINTS[2]
    _transformed_value_and_grad(np.float32(1.0), np.float32(0.0), theta, g=g)  # compile once
    settings = [(2.0, -3.0), (-1.0, 10.0), (0.25, 0.0)]
    with count_compiles() as c:
        results = [_transformed_value_and_grad(np.float32(a), np.float32(b), theta, g=g) for a, b in settings]
    assert c.n == 0
    for (scale, shift), (value, grad) in zip(settings, results, strict=True):
        eager = transform(PROBLEMS["rosenbrock"].loss, scale=scale, g=g, shift=shift)
        np.testing.assert_allclose(float(value), float(eager(theta)), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(grad), np.asarray(jax.grad(eager)(theta)), rtol=1e-6)
