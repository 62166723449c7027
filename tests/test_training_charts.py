"""Chart builders of the "Train a network" page: valid Vega-Lite, JSON without NaN, also for diverged runs."""

import json

import numpy as np
import pytest

from lossviz.charts import training as tc

EPOCHS = 12


def _curves(diverged: bool = False) -> dict[str, np.ndarray]:
    t = np.arange(EPOCHS, dtype=np.float32)
    loss = 1.0 / (1.0 + t)
    negated = -np.exp(t)
    if diverged:
        negated[6:] = np.nan
        negated[5] = -np.inf
    return {"original": loss, "shifted": loss - 2 * np.pi, "negated": negated}


def _valid(chart) -> dict:
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    text = json.dumps(spec, allow_nan=False)
    assert len(text) < 300_000
    return spec


@pytest.mark.parametrize("diverged", [False, True])
def test_loss_charts(diverged):
    spec = _valid(tc.loss_charts(_curves(diverged), _curves(diverged)))
    text = json.dumps(spec)
    assert "symlog" in text and "shifted (L + c)" in text


@pytest.mark.parametrize("diverged", [False, True])
def test_accuracy_chart(diverged):
    acc = {k: np.clip(np.abs(v) / 10, 0, 1) for k, v in _curves(diverged).items()}
    spec = _valid(tc.accuracy_chart(acc, acc))
    assert len(spec["hconcat"]) == 2


def test_all_nan_run_still_draws():
    nan = np.full(EPOCHS, np.nan)
    _valid(tc.curve_chart({"original": nan, "shifted": nan, "negated": nan}, "t", "y", symlog=True))


def test_the_dashed_shifted_run_is_drawn_last_and_thinner():
    spec = tc.curve_chart(_curves(), "t", "y").to_dict()
    first, last = spec["layer"]
    assert last["mark"]["strokeDash"] == tc.VARIANT_DASHES["shifted"]
    assert last["mark"]["strokeWidth"] < first["mark"]["strokeWidth"]


def test_same_colours_in_every_chart():
    texts = [
        json.dumps(tc.loss_charts(_curves(), _curves()).to_dict()),
        json.dumps(tc.accuracy_chart(_curves(), _curves()).to_dict()),
    ]
    for colour in tc.VARIANT_COLOURS.values():
        assert all(colour in t for t in texts)


def test_symlog_ticks():
    assert tc.symlog_ticks(np.array([-6.3, 0.02, 5000.0])) == [-1.0, 0.0, 1.0, 10.0, 100.0, 1000.0]
    assert len(tc.symlog_ticks(np.array([-1e30, 1.0]))) <= 12
    assert tc.symlog_ticks(np.array([np.nan])) == []


def _grid(k: int, diverged: bool = False):
    g = np.linspace(-2, 2, 30)
    logits = np.random.default_rng(0).normal(size=(30, 30, k))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    if diverged:
        probs[:] = np.nan
    return g, g, probs


@pytest.mark.parametrize("k", [2, 3, 10])
def test_decision_chart(k):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(200, 2)), rng.integers(0, k, 200)
    grids = {"original": _grid(k), "shifted": _grid(k), "negated": _grid(k, diverged=True)}
    spec = _valid(tc.decision_chart(grids, x, y, {"original": 0.9, "shifted": 0.9, "negated": float("nan")}))
    assert len(spec["hconcat"]) == 3
    assert "data:image/png;base64," in json.dumps(spec)


def test_class_map_is_light_and_flipped():
    probs = np.zeros((2, 3, 2))
    probs[0, :, 0] = 1.0  # bottom row: class 0
    probs[1, :, 1] = 1.0
    rgb = tc.class_map_rgb(probs)
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    assert (rgb[1] == rgb[1, 0]).all() and not (rgb[0] == rgb[1]).all()  # row 0 of the pixels is the top
    assert rgb.min() > 100  # pale, so the points stay visible
    grey = tc.class_map_rgb(np.full((2, 2, 2), np.nan))  # a diverged network: plain grey
    assert (grey == grey[0, 0, 0]).all()
