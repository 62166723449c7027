"""Descent on the 0-1 error, on a straight-through gradient and on surrogates."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossviz import nondifferentiable as nd


@pytest.fixture(scope="module")
def runs():
    return nd.descents(start=(-3.0, 1.0), lr=0.5, steps=200, temperature=0.5)


def test_true_gradient_of_the_zero_one_error_never_moves(runs):
    run = runs["zero_one"]
    np.testing.assert_array_equal(run.params, np.broadcast_to(run.params[0], run.params.shape))
    assert (run.zero_one == run.zero_one[0]).all()


@pytest.mark.parametrize("method", ["zero_one_soft", "logistic", "hinge", "zero_one_ste"])
def test_surrogates_lower_the_zero_one_error(runs, method):
    run = runs[method]
    assert run.zero_one[-1] < run.zero_one[0] - 0.3


def test_straight_through_is_descent_on_the_surrogate(runs):
    assert nd.straight_through_is_surrogate(runs)
    # while its forward value is the 0-1 error itself
    np.testing.assert_array_equal(runs["zero_one_ste"].objective, runs["zero_one_ste"].zero_one)


@settings(max_examples=10)
@given(
    st.floats(-3.5, 3.5),
    st.floats(-3.5, 3.5),
    st.sampled_from([0.05, 0.2, 1.0, 2.0]),
    st.sampled_from([0.1, 0.5, 1.0]),
)
def test_straight_through_equals_surrogate_everywhere(w1, w2, temperature, lr):
    runs = nd.descents(start=(w1, w2), lr=lr, steps=200, temperature=temperature)
    assert nd.straight_through_is_surrogate(runs)
    assert not nd.findings(runs)[0].moved


def test_findings_report_movement_and_error(runs):
    found = {f.method: f for f in nd.findings(runs)}
    assert list(found) == list(nd.METHODS)
    assert not found["zero_one"].moved and found["zero_one"].distance == 0.0
    assert found["logistic"].moved and found["logistic"].zero_one_end < found["logistic"].zero_one_start


def test_step_curves_and_derivatives():
    c = nd.step_curves(0.1)
    assert (c["d_step"] == 0).all()
    assert c["d_soft_step"].max() == pytest.approx(1 / (4 * 0.1), rel=1e-3)  # σ'(0)/T
    assert c["soft_step"][0] < 1e-6 and c["soft_step"][-1] > 1 - 1e-6


def test_argmax_vs_softmax_sharpens_as_temperature_falls():
    warm = nd.argmax_vs_softmax([2.0, 1.0, 0.5], 5.0)
    cold = nd.argmax_vs_softmax([2.0, 1.0, 0.5], 0.01)
    np.testing.assert_array_equal(warm["argmax"], [1.0, 0.0, 0.0])
    assert warm["softmax"].max() < 0.5 < cold["softmax"].max()
    np.testing.assert_allclose(cold["softmax"], cold["argmax"], atol=1e-6)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2, 1, 0.5", True),
        ("2;1", True),
        ("1", False),
        (",".join(["1"] * 9), False),
        ("1, abc", False),
        ("1, nan", False),
        ("1, 1e999", False),
        ("__import__('os').system('x'), 1", False),
        ("", False),
    ],
)
def test_parse_logits(text, ok):
    values, error = nd.parse_logits(text)
    assert (values is not None) == ok and (error is None) == ok
