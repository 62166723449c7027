"""Chart builders of the non-differentiable page: valid Vega-Lite, fit their container, readable in both themes."""

import json
import re

import numpy as np
import pytest
from test_charts import walk

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


def _spec(chart) -> dict:
    d = chart.to_dict()  # validates against the Vega-Lite schema
    json.dumps(d, allow_nan=False)
    return d


def _all_charts():
    return [
        *nc.step_charts(CURVES, 0.5),
        nc.argmax_chart(
            [2.0, 1.0, 0.5], {"argmax": [1, 0, 0], "softmax": [0.6, 0.3, 0.1], "sensitivity": [0.1] * 3}, 0.5
        ),
        nc.zero_one_path_chart(PATHS),
    ]


@pytest.mark.parametrize("k", range(4))
def test_every_chart_fills_its_container_rather_than_a_fixed_width(k):
    d = _spec(_all_charts()[k])
    assert d["width"] == "container"
    assert "hconcat" not in d  # a side-by-side pair cannot shrink to a phone: the page uses columns


def test_no_text_or_line_is_fixed_black_or_near_white():
    # black vanishes on the dark theme, the landscape's light grey on a white page
    for chart in _all_charts():
        text = json.dumps(_spec(chart))
        assert not re.search(r'"(black|#000|#000000|#111111|#222222|white|#fff|#ffffff|#d9d9d9)"', text), (
            text[:200]
        )
    labels = [n for n in walk(_spec(_all_charts()[2])) if n.get("type") == "text"]
    assert labels and all(n["color"] == style.NEUTRAL for n in labels)


def test_the_straight_through_run_is_drawn_dashed_on_top_of_the_surrogate():
    d = _spec(nc.zero_one_path_chart(PATHS))
    under, over = d["layer"]
    assert under["mark"]["strokeWidth"] > over["mark"]["strokeWidth"]
    assert over["mark"]["strokeDash"] and "strokeDash" not in under["mark"]
    data = d["datasets"]
    on_top = {r["method"] for r in data[over["data"]["name"]]}
    below = {r["method"] for r in data[under["data"]["name"]]}
    assert on_top == {nc.METHOD_LABELS["zero_one_ste"]}
    assert nc.METHOD_LABELS["zero_one_soft"] in below


def test_zero_one_legend_labels_are_whole_and_the_y_title_short():
    d = _spec(nc.zero_one_path_chart(PATHS))
    colour = d["layer"][0]["encoding"]["color"]
    assert colour["legend"]["labelLimit"] == 0 and colour["legend"]["orient"] == "bottom"
    assert colour["scale"]["domain"] == [nc.METHOD_LABELS[k] for k in PATHS]
    # the flat true-gradient run in a grey that reads on white and on #0e1117
    assert colour["scale"]["range"][0] == style.NEUTRAL
    # a 240 px tall axis holds a short title; the long one is the chart's title
    assert len(d["layer"][0]["encoding"]["y"]["title"]) <= 12
    assert max(len(label) for label in nc.METHOD_LABELS.values()) <= 20  # the landscape legend cuts at 160 px


def test_non_finite_rows_are_dropped_and_an_empty_run_set_validates():
    d = _spec(nc.zero_one_path_chart(PATHS))
    rows = [r for v in d["datasets"].values() for r in v]
    assert len(rows) == 5 * 21 - 1
    _spec(nc.zero_one_path_chart({}))
