"""Hard functions, their soft surrogates and the straight-through estimator."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lossviz import surrogates as s
from lossviz.problems import CLASSIFIER_X, CLASSIFIER_Y, PROBLEMS

finite = st.floats(-50.0, 50.0, width=32)
temperatures = st.floats(0.0625, 4.0, width=32)


def test_step_and_its_zero_gradient():
    x = jnp.array([-2.0, -1e-6, 0.0, 1e-6, 3.0])
    np.testing.assert_array_equal(s.step(x), [0.0, 0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(jax.vmap(jax.grad(s.step))(x), np.zeros(5))


@given(st.floats(-20.0, 20.0, width=32).filter(lambda v: abs(v) > 1e-3))
def test_soft_step_tends_to_step(x):
    x = jnp.float32(x)
    gaps = [abs(float(s.soft_step(x, t)) - float(s.step(x))) for t in (1.0, 0.1, 0.01, 1e-4)]
    assert gaps == sorted(gaps, reverse=True)  # closer as the temperature falls
    assert gaps[-1] <= float(np.exp(-abs(float(x)) / 1e-4)) + 1e-7


@given(arrays(np.float32, st.integers(2, 6), elements=st.floats(-20, 20, width=32)))
def test_soft_argmax_at_low_temperature_is_argmax(z):
    top2 = np.sort(z)[-2:]
    assume(top2[1] - top2[0] >= 0.1)
    np.testing.assert_allclose(s.soft_argmax(jnp.asarray(z), 1e-3), s.hard_argmax(jnp.asarray(z)), atol=1e-6)


@given(arrays(np.float32, 4, elements=st.floats(-5, 5, width=32)), temperatures)
def test_soft_argmax_is_a_distribution(z, t):
    p = np.asarray(s.soft_argmax(jnp.asarray(z), t))
    assert (p >= 0).all() and abs(p.sum() - 1.0) < 1e-5
    assert p.argmax() == np.asarray(s.hard_argmax(jnp.asarray(z))).argmax() or np.isclose(
        p.max(), p[z.argmax()]
    )


@given(finite, temperatures)
def test_straight_through_forward_is_step_and_gradient_is_soft_steps(x, t):
    soft = lambda v: s.soft_step(v, t)
    ste = s.straight_through(s.step, soft)
    x = jnp.float32(x)
    assert float(ste(x)) == float(s.step(x))
    assert float(jax.grad(ste)(x)) == float(jax.grad(soft)(x))


@given(st.floats(-4, 4, width=32), st.floats(-4, 4, width=32))
def test_zero_one_gradient_is_exactly_zero_off_the_boundary(w1, w2):
    theta = np.array([w1, w2], np.float32)
    margins = CLASSIFIER_Y * (CLASSIFIER_X @ theta)
    assume(np.abs(margins).min() > 1e-6)  # off the decision boundary of every point
    np.testing.assert_array_equal(jax.grad(PROBLEMS["zero_one"].loss)(jnp.asarray(theta)), np.zeros(2))


def test_the_issues_api_snippet_works_as_written():
    import lossviz

    s = lossviz.surrogates
    x = jnp.array([-1.0, 0.5])
    ste = s.straight_through(s.step, lambda x: s.soft_step(x, 0.5))
    np.testing.assert_array_equal(jax.vmap(ste)(x), s.step(x))
    np.testing.assert_array_equal(
        jax.vmap(jax.grad(ste))(x), jax.vmap(jax.grad(lambda v: s.soft_step(v, 0.5)))(x)
    )
    z = jnp.array([1.0, 3.0, 2.0])
    np.testing.assert_array_equal(s.hard_argmax(z), [0.0, 1.0, 0.0])
    np.testing.assert_allclose(s.soft_argmax(z, 1.0), jax.nn.softmax(z), rtol=1e-6)
    assert {"zero_one", "zero_one_soft", "zero_one_ste", "logistic", "hinge"} <= set(lossviz.PROBLEMS)
