"""Chart builders of the non-differentiable page: valid Vega-Lite, fit their container, readable in both themes."""

import ast
import json
import pathlib
import re

import numpy as np
import pytest
from test_charts import walk
from vl import validated

from lossviz.charts import nondifferentiable as nc
from lossviz.charts import style

X = np.linspace(-2, 2, 41)
CURVES = {
    "x": X,
    "step": (X > 0) * 1.0,
    "soft_step": 1 / (1 + np.exp(-X / 0.5)),
    "d_step": 0 * X,
    "d_soft_step": np.exp(-X / 0.5) / (0.5 * (1 + np.exp(-X / 0.5)) ** 2),
}
SOFT = np.linspace(0.5, 0.1, 21)
PATHS = {
    "zero_one": np.full(21, 0.5),
    "zero_one_ste": SOFT,
    "zero_one_soft": SOFT.copy(),  # the same numbers: the straight-through run is the surrogate's
    "logistic": np.linspace(0.5, 0.05, 21),
    "hinge": np.r_[np.linspace(0.5, 0.2, 20), np.nan],
}
ARGMAX = {"argmax": [1, 0, 0], "softmax": [0.6, 0.3, 0.1], "sensitivity": [0.1, 0.2, 0.3]}


def _all_charts():
    return [
        *nc.step_charts(CURVES, 0.5),
        nc.argmax_chart([2.0, 1.0, 0.5], ARGMAX, 0.5),
        nc.zero_one_path_chart(PATHS),
    ]


# --- the rows a view draws, computed here from its records and its transforms ------------------

_CASE = re.compile(r'datum\.(\w+) === ("(?:[^"\\]|\\.)*") \? ("(?:[^"\\]|\\.)*"|-?\d[\d.e+-]*) : ')


def _evaluate(expr: str, row: dict):
    """The value of a chain ``datum.f === "k" ? v : ... : datum.g`` (or ``datum.g - 1``) for ``row``."""
    pos = 0
    while case := _CASE.match(expr, pos):
        if row.get(case[1]) == json.loads(case[2]):
            return json.loads(case[3])
        pos = case.end()
    default = re.fullmatch(r"datum\.(\w+)( - 1)?", expr[pos:])
    assert default, f"not an expression these tests read: {expr!r}"
    return row.get(default[1]) - 1 if default[2] else row.get(default[1])


def drawn(spec: dict, layer: dict | None = None) -> list[dict]:
    """The rows a view (``spec``, or its ``layer``) draws: its records through the row numbering, fold,
    filter and calculate transforms of the chart and of the layer, as Vega-Lite applies them."""
    layer = layer or {}
    rows = [dict(r) for r in spec["datasets"][(layer.get("data") or spec["data"])["name"]]]
    for t in [*spec.get("transform", []), *layer.get("transform", [])]:
        if t.get("window") and [w["op"] for w in t["window"]] == ["row_number"] and t.keys() == {"window"}:
            rows = [{**r, t["window"][0]["as"]: i} for i, r in enumerate(rows, start=1)]
        elif "fold" in t:
            key, value = t["as"]
            rows = [{**r, key: f, value: r.get(f)} for r in rows for f in t["fold"]]
        elif "filter" in t:
            valid = re.fullmatch(r"isValid\(datum\.(\w+)\)", t["filter"])
            assert valid, t
            rows = [r for r in rows if r.get(valid[1]) is not None]
        elif "calculate" in t:
            rows = [{**r, t["as"]: _evaluate(t["calculate"], r)} for r in rows]
        else:
            raise AssertionError(f"a transform these tests do not read: {t}")
    return rows


def test_drawn_applies_the_transforms():
    # the helper the tests below rely on: a fold, a filter of nulls and a label per folded column
    spec = {
        "datasets": {"d": [{"x": 0, "a": 1.0, "b": None}, {"x": 1, "a": None, "b": 2.0}]},
        "data": {"name": "d"},
        "transform": [
            {"window": [{"op": "row_number", "as": "n"}]},
            {"calculate": "datum.n - 1", "as": "n"},
            {"fold": ["a", "b"], "as": ["k", "v"]},
            {"filter": "isValid(datum.v)"},
            {"calculate": 'datum.k === "a" ? "first" : datum.k === "b" ? 7 : datum.k', "as": "k"},
        ],
    }
    assert drawn(spec) == [
        {"x": 0, "a": 1.0, "b": None, "n": 0, "k": "first", "v": 1.0},
        {"x": 1, "a": None, "b": 2.0, "n": 1, "k": 7, "v": 2.0},
    ]
    with pytest.raises(AssertionError):
        drawn({**spec, "transform": [{"calculate": "datum.a + 1", "as": "a"}]})


# --- the charts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("k", range(4))
def test_every_chart_fills_its_container_rather_than_a_fixed_width(k):
    d = validated(_all_charts()[k])
    assert d["width"] == "container"
    assert "hconcat" not in d  # a side-by-side pair cannot shrink to a phone: the page uses columns


def test_no_text_or_line_is_fixed_black_or_near_white():
    # black vanishes on the dark theme, the landscape's light grey on a white page
    for chart in _all_charts():
        text = json.dumps(validated(chart))
        assert not re.search(r'"(black|#000|#000000|#111111|#222222|white|#fff|#ffffff|#d9d9d9)"', text), (
            text[:200]
        )
    labels = [n for n in walk(validated(_all_charts()[2])) if n.get("type") == "text"]
    assert labels and all(n["color"] == style.NEUTRAL for n in labels)


def test_the_step_charts_draw_both_curves_from_one_record_per_x():
    values, gradients = (validated(c) for c in nc.step_charts(CURVES, 0.5))
    names = ["step (hard)", "sigmoid σ(x/0.5) (soft)"]
    for spec, (hard, soft) in ((values, ("step", "soft_step")), (gradients, ("d_step", "d_soft_step"))):
        assert len(spec["datasets"][spec["data"]["name"]]) == len(X)  # wide: one record per x
        assert spec["encoding"]["color"]["scale"]["domain"] == names
        rows = drawn(spec)
        for name, curve in zip(names, (hard, soft), strict=True):
            line = [r for r in rows if r["function"] == name]
            np.testing.assert_allclose([r["x"] for r in line], X)
            np.testing.assert_allclose([r["y"] for r in line], CURVES[curve])
    assert values["mark"]["interpolate"] == "step-after" and gradients["mark"]["interpolate"] == "linear"


def test_non_finite_curve_points_are_dropped_and_never_sent():
    curves = {**CURVES, "d_soft_step": np.where(X > 1, np.inf, CURVES["d_soft_step"])}
    curves["d_soft_step"][0] = np.nan
    spec = validated(nc.step_charts(curves, 0.01)[1])
    rows = drawn(spec)
    assert len(rows) == 2 * len(X) - 1 - int((X > 1).sum())
    assert all(np.isfinite(r["y"]) for r in rows)
    assert "sigmoid σ(x/0.01) (soft)" in {r["function"] for r in rows}


def test_argmax_bars_pair_each_class_and_only_softmax_has_a_gradient():
    spec = validated(nc.argmax_chart([2.0, 1.0, 0.5], ARGMAX, 0.5))
    rows = drawn(spec)
    assert [(r["class"], r["kind"]) for r in rows] == [
        (f"z{k + 1} = {z:g}", kind)
        for k, z in enumerate([2.0, 1.0, 0.5])
        for kind in ("argmax (one-hot)", "softmax(z/0.5)")
    ]
    assert [r["p"] for r in rows] == [1, 0.6, 0, 0.3, 0, 0.1]
    assert [r["sensitivity"] for r in rows] == [0, 0.1, 0, 0.2, 0, 0.3]
    bars, labels = spec["layer"]
    assert bars["mark"]["type"] == "bar" and labels["mark"]["type"] == "text"
    assert labels["encoding"]["text"]["field"] == "p"


def test_the_straight_through_run_is_drawn_dashed_on_top_of_the_surrogate():
    d = validated(nc.zero_one_path_chart(PATHS))
    under, over = d["layer"]
    assert under["mark"]["strokeWidth"] > over["mark"]["strokeWidth"]
    assert over["mark"]["strokeDash"] and "strokeDash" not in under["mark"]
    on_top = {r["method"] for r in drawn(d, over)}
    below = {r["method"] for r in drawn(d, under)}
    assert on_top == {nc.METHOD_LABELS["zero_one_ste"]}
    assert nc.METHOD_LABELS["zero_one_soft"] in below and nc.METHOD_LABELS["zero_one_ste"] not in below
    dashes = [r["error"] for r in drawn(d, over)]
    np.testing.assert_array_equal(dashes, PATHS["zero_one_ste"])


def test_zero_one_legend_labels_are_whole_and_the_y_title_short():
    d = validated(nc.zero_one_path_chart(PATHS))
    colour = d["layer"][0]["encoding"]["color"]
    assert colour["legend"]["labelLimit"] == 0 and colour["legend"]["orient"] == "bottom"
    assert colour["scale"]["domain"] == [nc.METHOD_LABELS[k] for k in PATHS]
    # the flat true-gradient run in a grey that reads on white and on #0e1117
    assert colour["scale"]["range"][0] == style.NEUTRAL
    # a 240 px tall axis holds a short title; the long one is the chart's title
    assert len(d["layer"][0]["encoding"]["y"]["title"]) <= 12
    assert max(len(label) for label in nc.METHOD_LABELS.values()) <= 20  # the landscape legend cuts at 160 px


def test_non_finite_rows_are_dropped_and_an_empty_run_set_validates():
    d = validated(nc.zero_one_path_chart(PATHS))
    rows = [r for layer in d["layer"] for r in drawn(d, layer)]
    assert len(rows) == 5 * 21 - 1
    assert len(d["datasets"][d["data"]["name"]]) == 21  # wide: one record per step
    hinge = [r for r in rows if r["method"] == "hinge"]
    assert [r["step"] for r in hinge] == list(range(20))  # numbered from 0, its NaN dropped
    # runs of different lengths: the shorter one simply ends; steps after every run's end are not sent
    short = validated(
        nc.zero_one_path_chart(
            {"logistic": np.linspace(0.5, 0.1, 5), "hinge": np.r_[np.full(9, 0.5), np.nan]}
        )
    )
    assert len(short["datasets"][short["data"]["name"]]) == 9
    assert [len(drawn(short, layer)) for layer in short["layer"]] == [5 + 9, 0]
    assert max(r["step"] for r in drawn(short, short["layer"][0])) == 8
    empty = validated(nc.zero_one_path_chart({}))
    assert [drawn(empty, layer) for layer in empty["layer"]] == [[], []]


@pytest.mark.parametrize(
    "module", ["lossviz/charts/nondifferentiable.py", "lossviz/ui/pages/nondifferentiable.py"]
)
def test_the_page_and_its_charts_need_neither_altair_nor_pandas(module):
    # Altair's object model and pandas cost a large share of a view's CPU, and ~65 MB to import
    source = (pathlib.Path(__file__).resolve().parent.parent / module).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "numpy" in imported  # the check sees the imports
    assert not imported & {"altair", "pandas"}
