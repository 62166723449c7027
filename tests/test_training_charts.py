"""Chart builders of the "Train a network" page: valid Vega-Lite, JSON without NaN, also for diverged runs."""

import json
import re

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
    objective, loss = (_valid(c) for c in tc.loss_charts(_curves(diverged), _curves(diverged), -2 * np.pi))
    assert "shifted (L + c)" in json.dumps(objective) and "shifted (L + c)" in json.dumps(loss)


@pytest.mark.parametrize("diverged", [False, True])
def test_accuracy_charts(diverged):
    acc = {k: np.clip(np.abs(v) / 10, 0, 1) for k, v in _curves(diverged).items()}
    charts = [_valid(c) for c in tc.accuracy_charts(acc, acc)]
    assert len(charts) == 2 and all(
        c["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 1] for c in charts
    )


def _training_like() -> dict[str, np.ndarray]:
    """Cross-entropy of a run that learns (0.69 -> 0.03), shifted by -2π, and a negated run that explodes."""
    loss = 0.03 + 0.66 * np.exp(-np.arange(EPOCHS) / 3.0)
    return {"original": loss, "shifted": loss - 2 * np.pi, "negated": -np.exp(np.arange(EPOCHS, dtype=float))}


def test_the_objective_shows_the_shift_as_a_shift():
    # issue 10: on a symlog axis L + c looked flat beside L; on a linear one it is L moved down by c
    d = _valid(tc.objective_chart(_training_like(), -2 * np.pi))
    y = d["layer"][0]["encoding"]["y"]
    assert y["scale"].get("type") in (None, "linear")
    lo, hi = y["scale"]["domain"]
    curves = _training_like()
    # L and L + c both inside the axis, which does not spend itself on the negated run's −e^11
    assert lo < curves["shifted"].min() and hi > curves["original"].max()
    assert hi - lo < 3 * (curves["original"].max() - curves["shifted"].min())
    rows = [r for v in d["datasets"].values() for r in v]
    (gap,) = [r for r in rows if "text" in r and r["text"].startswith("c =")]
    assert gap["text"] == "c = −6.28" and gap["top"] - gap["bottom"] == pytest.approx(2 * np.pi)
    assert [r["text"] for r in rows if "below the chart" in r.get("text", "")]  # −L leaves the chart, said so


def test_the_objective_has_no_gap_label_without_a_shift():
    curves = _training_like()
    curves["shifted"] = curves["original"]
    d = _valid(tc.objective_chart(curves, 0.0))
    assert not [r for v in d["datasets"].values() for r in v if r.get("text", "").startswith("c =")]


def test_the_true_loss_has_log_ticks_below_one():
    d = _valid(tc.curve_chart(_training_like(), "t", "L", log=True))
    y = d["layer"][0]["encoding"]["y"]
    assert y["scale"]["type"] == "log"
    below_one = [t for t in y["axis"]["values"] if t < 1]
    assert len(below_one) >= 3  # where the original run lives (0.03 to 0.69)
    assert tc.log_ticks(np.array([0.03, 0.7])) == [0.05, 0.1, 0.2, 0.5]
    assert len(tc.log_ticks(np.array([1e-6, 1e30]))) <= 7


def test_every_chart_fills_its_container_and_draws_no_black():
    x = np.random.default_rng(1).normal(size=(50, 2))
    grids = {"original": _grid(2), "shifted": _grid(2), "negated": _grid(2)}
    charts = [
        *tc.loss_charts(_training_like(), _training_like(), -2 * np.pi),
        *tc.accuracy_charts(_curves(), _curves()),
        *tc.decision_chart(grids, x, np.arange(50) % 2, {"original": 0.9}),
    ]
    for chart in charts:
        d = _valid(chart)
        assert d["width"] == "container" and "hconcat" not in d
        assert not re.search(r'"(black|#000|#000000|#222222)"', json.dumps(d))


def test_all_nan_run_still_draws():
    nan = np.full(EPOCHS, np.nan)
    runs = {"original": nan, "shifted": nan, "negated": nan}
    _valid(tc.curve_chart(runs, "t", "y", symlog=True))
    _valid(tc.curve_chart(runs, "t", "y", log=True))
    _valid(tc.objective_chart(runs, -1.0))


def test_the_dashed_shifted_run_is_drawn_last_and_thinner():
    spec = tc.curve_chart(_curves(), "t", "y").to_dict()
    first, last = spec["layer"]
    assert last["mark"]["strokeDash"] == tc.VARIANT_DASHES["shifted"]
    assert last["mark"]["strokeWidth"] < first["mark"]["strokeWidth"]


def test_same_colours_in_every_chart():
    texts = [
        json.dumps([c.to_dict() for c in tc.loss_charts(_curves(), _curves(), -1.0)]),
        json.dumps([c.to_dict() for c in tc.accuracy_charts(_curves(), _curves())]),
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
    charts = tc.decision_chart(grids, x, y, {"original": 0.9, "shifted": 0.9, "negated": float("nan")})
    assert len(charts) == 3
    assert all("data:image/png;base64," in json.dumps(_valid(c)) for c in charts)


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
