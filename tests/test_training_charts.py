"""Chart builders of the "Train a network" page: valid Vega-Lite, JSON without NaN, also for diverged runs."""

import copy
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest
from vl import validated

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


def _valid(spec: dict) -> dict:
    validated(spec)  # the Vega-Lite schema, strict JSON, Arrow tables
    assert len(json.dumps(spec)) < 300_000
    return spec


def _drawn(spec: dict, layer: dict) -> list[dict]:
    """The rows a layer draws: its records through its transforms, done here as Vega does them.

    Only the transforms the curve layers use are known (anything else fails the test), so a
    change in how the curves travel is caught here first.
    """
    rows = [dict(r) for r in spec["datasets"][layer["data"]["name"]]]
    for t in layer.get("transform", []):
        if "window" in t:
            assert t == {"window": [{"op": "row_number", "as": "epoch"}]}
            rows = [{**r, "epoch": i + 1} for i, r in enumerate(rows)]
        elif "fold" in t:
            assert t["as"] == ["variant", "value"]
            rows = [{**r, "variant": f, "value": r.get(f)} for r in rows for f in t["fold"]]
        elif "filter" in t:
            assert t["filter"] == "isValid(datum.value) && isFinite(datum.value)"
            rows = [r for r in rows if r["value"] is not None and math.isfinite(r["value"])]
        elif "calculate" in t:
            assert t["calculate"] == tc._RUN_LABEL and t["as"] == "run"
            rows = [{**r, "run": tc.VARIANT_LABELS.get(r["variant"], r["variant"])} for r in rows]
        else:
            raise AssertionError(f"unknown transform {t}")
    return rows


def _points(spec: dict) -> dict[str, list[tuple[int, float]]]:
    """Each drawn run's ``(epoch, value)`` points, from every curve layer of a chart."""
    points: dict[str, list[tuple[int, float]]] = {}
    for layer in spec["layer"]:
        if layer["mark"]["type"] == "line":
            for r in _drawn(spec, layer):
                assert r["run"] == tc.VARIANT_LABELS[r["variant"]]
                points.setdefault(r["variant"], []).append((r["epoch"], r["value"]))
    return points


def _expected(curves: dict[str, np.ndarray], keep=np.isfinite) -> dict[str, list[tuple[int, float]]]:
    expected = {}
    for name, values in curves.items():
        v = np.asarray(values, dtype=float)
        epochs = np.flatnonzero(keep(v))
        if epochs.size:
            expected[name] = [(int(e) + 1, float(v[e])) for e in epochs]
    return expected


@pytest.mark.parametrize("diverged", [False, True])
def test_loss_charts(diverged):
    curves = _curves(diverged)
    objective, loss = (_valid(c) for c in tc.loss_charts(curves, curves, -2 * np.pi))
    assert "shifted (L + c)" in json.dumps(objective) and "shifted (L + c)" in json.dumps(loss)
    # every finite value drawn at its epoch, a diverged run's NaN/inf left out; the log axis
    # leaves out what is not above 0 too (the negated and shifted runs here)
    assert _points(objective) == _expected(curves)
    assert _points(loss) == _expected(curves, keep=lambda v: np.isfinite(v) & (v > 0))
    assert set(_points(loss)) == {"original"}


def test_curves_travel_as_one_record_per_epoch_with_null_for_non_finite():
    curves = _curves(diverged=True)
    curves["original"][2:4] = [np.nan, 0.0]  # a gap, and a perfect fit (no place on a log axis)
    spec = _valid(tc.curve_chart(curves, "t", "y"))
    first, last = spec["layer"]
    assert first["data"] == last["data"]  # both layers read one data set
    records = spec["datasets"][first["data"]["name"]]
    assert len(records) == EPOCHS and all(set(r) == {"original", "shifted", "negated"} for r in records)
    assert [r["negated"] for r in records[5:]] == [None] * 7  # -inf, then NaN
    assert records[4]["negated"] == float(curves["negated"][4])
    assert [r["original"] for r in records[2:4]] == [None, 0.0]
    assert _points(spec) == _expected(curves)
    log = _valid(tc.curve_chart(curves, "t", "L", log=True))
    assert _points(log) == _expected(curves, keep=lambda v: np.isfinite(v) & (v > 0))
    assert [r["original"] for r in log["datasets"][log["layer"][0]["data"]["name"]][2:4]] == [None, None]


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
    lo, hi = _objective_extent(d)
    curves = _training_like()
    # L and L + c both inside the axis, which does not spend itself on the negated run's −e^11
    assert lo < curves["shifted"].min() and hi > curves["original"].max()
    assert hi - lo < 3 * (curves["original"].max() - curves["shifted"].min())
    rows = [r for v in d["datasets"].values() for r in v]
    (gap,) = [r for r in rows if (r.get("text") or "").startswith("c =")]
    assert gap["text"] == "c = −6.28" and gap["top"] - gap["bottom"] == pytest.approx(2 * np.pi)
    assert [
        r["text"] for r in rows if "below the chart" in (r.get("text") or "")
    ]  # −L leaves the chart, said so


def _objective_extent(d: dict) -> tuple[float, float]:
    """The objective axis's extent: the record its domain's parameter reads (the notes' first)."""
    (param,) = d["params"]
    assert d["layer"][0]["encoding"]["y"]["scale"]["domain"] == {
        "expr": f"[{param['name']}.lo, {param['name']}.hi]"
    }
    name = re.fullmatch(r"data\('(\w+)'\)\[0\] \|\| \{lo: 0, hi: 1\}", param["expr"]).group(1)
    assert any(layer["data"]["name"] == name for layer in d["layer"])  # drawn: so Vega keeps it
    record = d["datasets"][name][0]
    return record["lo"], record["hi"]


def _ticks(d: dict) -> list[float]:
    """A log or symlog chart's tick values: its ticks data set's (lossviz.charts.packed.ticks_from)."""
    y = d["layer"][0]["encoding"]["y"]
    name = re.search(r"data\('(\w+)'\)", y["axis"]["values"]["expr"]).group(1)
    assert any(layer["data"]["name"] == name for layer in d["layer"])  # drawn: so Vega keeps it
    return [r["v"] for r in d["datasets"][name]]


def test_a_data_set_switch_changes_the_training_curves_data_not_their_specs():
    # the browser keeps a chart whose spec is the one it has and replaces its data; the axes'
    # ticks and extents are data, and every layer is there whatever the data
    small, large = _training_like(), {k: 50 * v for k, v in _training_like().items()}
    no_shift = {**small, "shifted": small["original"]}
    pairs = [
        (tc.curve_chart(small, "t", "L", log=True), tc.curve_chart(large, "t", "L", log=True)),
        (tc.objective_chart(small, -2 * np.pi), tc.objective_chart(large, -1.0)),
        (tc.objective_chart(small, -2 * np.pi), tc.objective_chart(no_shift, 0.0)),
    ]
    for one, other in pairs:
        strip = [json.dumps({k: v for k, v in _valid(d).items() if k != "datasets"}) for d in (one, other)]
        assert strip[0] == strip[1]
    assert _ticks(pairs[0][0]) != _ticks(pairs[0][1])
    assert _objective_extent(pairs[1][0]) != _objective_extent(pairs[1][1])


def test_the_objective_has_no_gap_label_without_a_shift():
    curves = _training_like()
    curves["shifted"] = curves["original"]
    d = _valid(tc.objective_chart(curves, 0.0))
    assert not [r for v in d["datasets"].values() for r in v if (r.get("text") or "").startswith("c =")]


def test_the_true_loss_has_log_ticks_below_one():
    d = _valid(tc.curve_chart(_training_like(), "t", "L", log=True))
    y = d["layer"][0]["encoding"]["y"]
    assert y["scale"]["type"] == "log"
    below_one = [t for t in _ticks(d) if t < 1]
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
    spec = _valid(tc.curve_chart(_curves(), "t", "y"))
    first, last = spec["layer"]
    assert {r["variant"] for r in _drawn(spec, first)} == {"original", "negated"}
    assert {r["variant"] for r in _drawn(spec, last)} == {"shifted"}
    assert last["mark"]["strokeDash"] == tc.VARIANT_DASHES["shifted"]
    assert last["mark"]["strokeWidth"] < first["mark"]["strokeWidth"]


def test_same_colours_in_every_chart():
    texts = [
        json.dumps([_valid(c) for c in tc.loss_charts(_curves(), _curves(), -1.0)]),
        json.dumps([_valid(c) for c in tc.accuracy_charts(_curves(), _curves())]),
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


def test_the_builders_need_neither_altair_nor_pandas():
    # building Altair objects from DataFrames cost ~0.2 s of CPU per view, importing them ~65 MB
    code = "import sys, lossviz.charts.training\nprint(sorted({m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules = set(out.split("'"))
    assert "numpy" in modules and not modules & {"altair", "pandas"}


def test_drawing_a_spec_leaves_it_as_it_was():
    # the page caches the specs of a view and draws them on every rerun, in every session
    from lossviz.ui import common

    x = np.random.default_rng(1).normal(size=(50, 2))
    specs = [
        *tc.loss_charts(_curves(True), _curves(True), -2 * np.pi),
        *tc.accuracy_charts(_curves(), _curves()),
        *tc.decision_chart({"original": _grid(2)}, x, np.arange(50) % 2, {"original": 0.9}),
    ]
    before = copy.deepcopy(specs)
    for spec in specs:
        common.draw(spec, width="stretch")  # Streamlit in bare mode: builds the element, shows nothing
    assert specs == before


def test_the_decision_maps_are_drawn_on_a_canvas():
    # hundreds of points per panel are redrawn on a switch: Vega's SVG renderer made each a DOM node
    x = np.random.default_rng(1).normal(size=(50, 2))
    for chart in tc.decision_chart({"original": _grid(2)}, x, np.arange(50) % 2, {"original": 0.9}):
        assert _valid(chart)["usermeta"]["embedOptions"]["renderer"] == "canvas"
