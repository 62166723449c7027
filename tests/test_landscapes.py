"""Landscapes and gradient fields: the indexing convention and the transformed views."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lossviz
from lossviz.landscapes import grid_axes
from lossviz.problems import PROBLEMS
from lossviz.trajectories import f32

# Rosenbrock's window is not symmetric in w1 <-> w2, so swapping i and j shows.
ASYMMETRIC = "rosenbrock"

NUMPY_MAPS = {
    "identity": (lambda v: v, lambda v: np.ones_like(v)),
    "log1p": (np.log1p, lambda v: 1.0 / (1.0 + v)),
    "sqrt": (np.sqrt, lambda v: 0.5 / np.sqrt(v)),
    "square": (np.square, lambda v: 2.0 * v),
}


def test_grid_axes():
    w1, w2 = grid_axes(((-2.0, 2.0), (-1.0, 3.0)), 5)
    np.testing.assert_allclose(w1, [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(w2, [-1, 0, 1, 2, 3])
    assert w1.dtype == w2.dtype == np.float32
    with pytest.raises(ValueError, match="resolution"):
        grid_axes(((0.0, 1.0), (0.0, 1.0)), 1)


def test_landscape_indexing_convention():
    p = PROBLEMS[ASYMMETRIC]
    ls = lossviz.landscape(p.loss, p.bounds, resolution=7)
    np.testing.assert_array_equal(ls.w1, np.linspace(*p.bounds[0], 7, dtype=np.float32))
    np.testing.assert_array_equal(ls.w2, np.linspace(*p.bounds[1], 7, dtype=np.float32))
    assert ls.values.shape == (7, 7)
    for i, j in [(0, 6), (6, 0), (1, 4), (5, 2), (3, 3)]:
        want = float(p.loss(f32([ls.w1[j], ls.w2[i]])))
        assert ls.values[i, j] == pytest.approx(want, rel=1e-6), (i, j)
    # Rows follow w2: the swapped reading is a different surface here.
    assert not np.allclose(ls.values, ls.values.T)


@pytest.mark.parametrize("problem", [ASYMMETRIC, "beale"])
def test_gradient_field_is_jax_grad_pointwise(problem):
    p = PROBLEMS[problem]
    gf = lossviz.gradient_field(p.loss, p.bounds, resolution=6)
    assert gf.grad.shape == (6, 6, 2)
    grad = jax.jit(jax.grad(p.loss))
    for i in range(6):
        for j in range(6):
            want = np.asarray(grad(f32([gf.w1[j], gf.w2[i]])))
            np.testing.assert_allclose(gf.grad[i, j], want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


RES = 24  # even: no grid point falls on rosenbrock's minimum, where sqrt' is infinite


def _views(problem: str, scale: float, g: str, shift: float):
    return lossviz.views(problem, scale=scale, g=g, shift=shift, resolution=RES, field_resolution=RES)


def test_views_original_is_the_landscape():
    p = PROBLEMS[ASYMMETRIC]
    v = _views(ASYMMETRIC, 1.0, "identity", 0.0)
    ls = lossviz.landscape(p.loss, p.bounds, resolution=RES)
    gf = lossviz.gradient_field(p.loss, p.bounds, resolution=RES)
    for got, want in ((v.original, ls), (v.transformed, ls)):
        np.testing.assert_array_equal(got.w1, want.w1)
        np.testing.assert_array_equal(got.w2, want.w2)
        np.testing.assert_allclose(got.values, want.values, rtol=1e-6)
    # Gradients cancel to near 0 in the valley: absolute tolerance relative to the field's size.
    tol = dict(rtol=1e-5, atol=1e-6 * np.abs(gf.grad).max())
    np.testing.assert_allclose(v.original_field.grad, gf.grad, **tol)
    np.testing.assert_allclose(v.transformed_field.grad, gf.grad, **tol)


@pytest.mark.parametrize(("problem", "g"), [(ASYMMETRIC, g) for g in NUMPY_MAPS] + [("saddle", "identity")])
@given(scale=st.floats(-10.0, 10.0), shift=st.floats(-100.0, 100.0))
def test_views_transform_values_and_gradients(problem, g, scale, shift):
    v = _views(problem, scale, g, shift)
    values = v.original.values.astype(np.float64)
    grads = v.original_field.grad.astype(np.float64)
    np_g, np_dg = NUMPY_MAPS[g]
    a, c = float(np.float32(scale)), float(np.float32(shift))

    want = a * np_g(values) + c
    np.testing.assert_allclose(v.transformed.values, want, rtol=1e-5, atol=1e-5 * (1 + np.abs(want).max()))
    want_grad = a * np_dg(values)[..., None] * grads
    np.testing.assert_allclose(
        v.transformed_field.grad, want_grad, rtol=1e-4, atol=1e-5 * (1e-6 + np.abs(want_grad).max())
    )


def test_views_does_not_recompile_when_scale_or_shift_change(count_compiles):
    _views(ASYMMETRIC, 1.0, "log1p", 0.0)  # warm
    with count_compiles() as c:
        _views(ASYMMETRIC, -2.0, "log1p", 5.0)
        _views(ASYMMETRIC, 0.5, "log1p", -3.25)
        _views(ASYMMETRIC, 3, "log1p", np.float64(1.0))
    assert c.n == 0


def test_views_default_resolutions():
    v = lossviz.views("linear_regression", scale=-1.0, shift=2.0)
    assert v.original.values.shape == v.transformed.values.shape == (200, 200)
    assert v.original_field.grad.shape == v.transformed_field.grad.shape == (25, 25, 2)
    np.testing.assert_allclose(v.transformed.values, 2.0 - v.original.values, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(v.transformed_field.grad, -v.original_field.grad, rtol=1e-6, atol=1e-6)
