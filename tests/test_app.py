"""The Explorer page run headless with Streamlit's AppTest."""

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from page_runs import assert_survives_hostile_link, markdown_tables, run_page
from streamlit.testing.v1 import AppTest

from lossviz import verdicts
from lossviz.charts import style
from lossviz.ui import cached, settings

TIMEOUT = 180
APP = str(Path(__file__).resolve().parent.parent / "app_pages.py")


def _run(**query) -> AppTest:
    """Runs the explorer as opened from ``?key=value&...``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _verdict(at: AppTest) -> str:
    """The verdict's sentence (the box's markdown after its badge)."""
    texts = _texts(at.markdown)
    found = [t for t in texts if "L′ =" in t and ": **" in t]
    assert found, texts
    return found[0]


def _badge(at: AppTest) -> str:
    """The verdict box's (first) badge, as Streamlit writes it: ``:colour-badge[:material/icon: label]``."""
    return _badges(at)[0]


def _badges(at: AppTest) -> list[str]:
    """The verdict box's badges (st.badge writes a Markdown element of one badge; tables are apart)."""
    return [t for t in _texts(at.markdown) if t.startswith(":") and "-badge[" in t]


def _alerts(at: AppTest) -> list[str]:
    return _texts(at.success) + _texts(at.info) + _texts(at.error) + _texts(at.warning)


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    return _run()


def test_defaults_render_without_error(default_app):
    at = default_app
    assert not at.exception
    assert at.title[0].value.startswith("Does gradient descent care")
    assert "Identical, bit for bit" in _verdict(at)
    # landscape pair, loss along the path, all-optimizers chart
    assert len(at.get("vega_lite_chart")) == 3
    assert len(markdown_tables(at)) == 2  # readout + all-optimizers table
    assert not at.warning  # no notices for a clean link


def test_the_landscape_spec_carries_the_start_selection(default_app):
    spec = json.dumps(_specs(default_app)[0])
    assert '"start_click"' in spec
    assert '"type": "image"' in spec  # the heat map is one PNG, not 40 000 rects


def test_query_parameters_reproduce_a_view():
    at = _run(problem="Rosenbrock", opt="Adam", lr="0.02", c="-6.2832", x0="-1.2", y0="2.5", steps="150")
    assert not at.exception
    assert at.selectbox(key="problem").value == "Rosenbrock"
    assert at.selectbox(key="opt").value == "Adam"
    assert at.select_slider(key="lr").value == 0.02
    assert at.number_input(key="c").value == pytest.approx(-6.2832)
    assert (at.number_input(key="x0").value, at.number_input(key="y0").value) == (-1.2, 2.5)
    assert at.slider(key="steps").value == 150
    assert "Identical, bit for bit" in _verdict(at)
    assert "L′ = L − 6.283" in _verdict(at)
    assert not at.warning


def test_negation_is_called_ascent():
    at = _run(a="-1", opt="Adam")
    assert not at.exception
    assert "Ascent" in _verdict(at)


def test_polyak_under_a_shift_is_not_identical():
    at = _run(opt="Polyak", c="-6.2832", problem="Ill-conditioned quadratic", lr="0.1")
    verdict = _verdict(at)
    # Polyak's step assumes f* = 0: on L - 2*pi it stops where L = 2*pi, below the start, far from the minimum
    assert "**Different path and end point.**" in verdict
    assert "Identical" not in verdict and "Ascent" not in verdict


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_landing_view_is_the_forums_example(default_app):
    # the first screen answers the question: L − 2π, the same path bit for bit
    at = default_app
    assert at.number_input(key="c").value == pytest.approx(-2 * math.pi)
    assert "L′ = L − 6.283" in _verdict(at) and "Identical, bit for bit" in _verdict(at)


def test_transform_buttons(default_app):
    at = default_app
    _button(at, "c = −2π").click().run()
    assert at.number_input(key="c").value == pytest.approx(-2 * math.pi)
    assert "Identical, bit for bit" in _verdict(at)
    _button(at, "−L").click().run()
    assert at.number_input(key="a").value == -1.0
    assert at.number_input(key="c").value == 0.0  # −L also clears the shift
    # SGD on −L of the default linear regression climbs L for all 200 steps without overflowing
    verdict = _verdict(at)
    assert "**Ascent.**" in verdict
    assert "diverged" not in verdict and not at.warning
    _button(at, "L′ = L").click().run()
    assert (at.number_input(key="a").value, at.number_input(key="c").value) == (1.0, 0.0)
    assert "L′ = L:" in _verdict(at) and "Identical, bit for bit" in _verdict(at)


def test_a_huge_learning_rate_diverges_gracefully():
    at = _run(problem="Rosenbrock", lr="10")
    assert not at.exception
    # one message, saying where: the verdict; no alert box (or three) repeating it
    assert not _alerts(at)
    assert "diverged at step" in _verdict(at) and "overflowed" in _verdict(at)
    # identical bit for bit (green), and a grey mark saying where both overflowed
    assert [b.split("[")[0] for b in _badges(at)] == [":green-badge", ":gray-badge"]
    assert "diverged at step" in _badges(at)[1]
    for spec in _specs(at):
        # json.dumps on the parsed spec: NaN or Infinity would not have parsed as JSON numbers
        assert "NaN" not in json.dumps(spec) and "Infinity" not in json.dumps(spec)


def test_changing_the_problem_resets_the_start_and_map():
    at = _run(x0="3.0", g="log(1 + L)")
    at.selectbox(key="problem").set_value("Saddle").run()
    assert not at.exception
    assert at.number_input(key="x0").value is None
    assert at.selectbox(key="g").value == "L"
    assert at.select_slider(key="lr").value == 0.02  # the saddle's suggested learning rate


def test_every_problem_draws_the_same_specs_so_a_switch_replaces_data_only():
    # the browser keeps a chart (its Vega view) when the spec is the one it has and only replaces
    # the data; a new spec is parsed, compiled and laid out again (~0.1-0.15 s a switch)
    at = _run()
    first = _specs(at)
    for label in at.selectbox(key="problem").options[1:]:
        at.selectbox(key="problem").set_value(label).run()
        assert not at.exception
        assert _specs(at) == first, label


def _with_data(chart) -> dict:
    """A chart's spec, with its data sets (which Streamlit sends as Arrow) back in."""
    import pyarrow as pa

    spec = json.loads(chart.proto.spec)
    spec["datasets"] = {
        d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.proto.datasets
    }
    return spec


def _landscape(at: AppTest) -> dict:
    """The landscape pair's spec, with its data sets back in."""
    for chart in at.get("vega_lite_chart"):
        spec = _with_data(chart)
        if any(p["name"] == "drag_start" for p in spec.get("params", [])):
            return spec
    raise AssertionError("no landscape pair")


def test_the_landscape_carries_the_live_controls_and_families():
    at = _run(problem="Himmelblau", steps="40", step="12", lr="0.01")
    assert not at.exception
    spec = _landscape(at)
    params = {p["name"]: p for p in spec["params"]}
    assert params["step"]["value"] == 12 and params["step"]["bind"]["max"] == 40
    # the current rate's position is the frame's (data: another rate or problem keeps the spec)
    assert params["lr_k"]["expr"] == "frame.lr" and "value" not in params["lr_k"]
    frame = spec["datasets"][
        re.fullmatch(r"data\('(\w+)'\)\[0\] \|\| \{\}", params["frame"]["expr"]).group(1)
    ]
    assert frame[0]["lr"] == settings.LR_CHOICES.index(0.01)
    assert params["lr_k"]["bind"]["max"] == len(settings.LR_CHOICES) - 1
    records = [r for rows in spec["datasets"].values() for r in rows]
    starts = [r for r in records if "sid" in r]
    assert len(starts) == 2 * cached.PREVIEW_GRID**2  # a run on L and on L' from every preview start
    assert len({r["sid"] for r in starts}) == cached.PREVIEW_GRID**2
    assert len([r for r in records if "kr" in r]) == 2 * (len(settings.LR_CHOICES) - 1)
    # the hover readout: L and L' at every click-grid point
    hover = next(r for r in records if "Lp" in r)
    assert len(hover["L"].split(",")) == len(hover["Lp"].split(",")) == 41 * 41
    # the verdict speaks for the whole plane
    assert any("1,024 starts" in m.value for m in at.markdown)


def test_the_basin_map_is_a_layer_of_both_panels():
    at = _run(problem="Himmelblau", steps="200", lr="0.01")

    def image_layers(spec):
        panels = [outer["vconcat"][0]["hconcat"][0] for outer in spec["hconcat"]]
        return [[layer for layer in p["layer"] if layer["mark"]["type"] == "image"] for p in panels]

    # the heat maps; the right panel's image layers come in pairs: the left's data (drawn when the
    # right's is the same) and its own (lossviz.charts.packed.Datasets.add_side)
    assert [len(layers) for layers in image_layers(_landscape(at))] == [1, 2]
    at.toggle(key="basins").set_value(True).run()
    assert not at.exception
    spec = _landscape(at)
    layers = image_layers(spec)
    assert [len(x) for x in layers] == [2, 4]  # and a basin map on each
    assert spec["datasets"][layers[0][1]["data"]["name"]][0]["url"].startswith("data:image/png")
    assert layers[1][2]["data"] == layers[0][1]["data"]  # the right panel draws the left's basins...
    assert spec["datasets"][layers[1][3]["data"]["name"]] == [{"same": True}]  # L - 2π: the very same


def _csv_frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data))


def test_trajectories_csv_holds_both_runs_row_by_row():
    from lossviz.trajectories import Run
    from lossviz.ui.pages.explorer import trajectories_csv
    from lossviz.ui.settings import ExplorerSettings

    s = ExplorerSettings(problem="linear_regression", steps=3)  # its parameters are named w and b
    f32 = np.float32
    original = Run(
        np.array([[-1.0, 2.0], [-0.75, 1.5], [-0.5, 1.125], [-0.375, 0.9]], f32),
        np.array([9.0, 7.5, 6.25, 5.0], f32),  # L' of this run is `along`, not this field
        np.array([13.6, 8.1, 4.2, 2.05], f32),
        None,
    )
    transformed = Run(
        np.array([[-1.0, 2.0], [-1.25, 2.5], [-1.625, 3.25], [np.inf, 4.5]], f32),
        np.array([-13.6, -20.2, -31.7, -np.inf], f32),
        np.array([13.6, 20.2, 31.7, np.inf], f32),
        3,
    )
    along = np.array([7.3168, 1.8168, -2.0832, -4.2332], f32)
    frame = _csv_frame(trajectories_csv(s, (original, transformed), along))

    assert list(frame.columns) == ["run", "step", "w", "b", "L", "L_transformed"]
    assert len(frame) == 2 * (s.steps + 1)
    for name, run, objective in (
        ("original", original, along),
        ("transformed", transformed, transformed.objective),
    ):
        rows = frame[frame["run"] == name]
        assert rows["step"].tolist() == list(range(s.steps + 1))
        # float32 values written in their shortest form read back to the same float32
        np.testing.assert_array_equal(rows["w"].to_numpy(f32), run.params[:, 0])
        np.testing.assert_array_equal(rows["b"].to_numpy(f32), run.params[:, 1])
        np.testing.assert_array_equal(rows["L"].to_numpy(f32), run.loss)
        np.testing.assert_array_equal(rows["L_transformed"].to_numpy(f32), objective)
    assert frame["run"].tolist() == ["original"] * 4 + ["transformed"] * 4


def test_the_explorer_offers_the_runs_it_shows_as_csv(monkeypatch):
    # The button gets a function that writes the CSV when the visitor clicks (Streamlit calls it
    # then, outside the script run): the page itself writes none. AppTest keeps no media files,
    # so the function is caught on its way to the button and called here, as a click would.
    from lossviz import run_preset
    from lossviz.ui.pages import explorer

    made: list[bytes] = []
    build = explorer.trajectories_csv

    def spy(*args):
        made.append(build(*args))
        return made[-1]

    given = []
    real_button = st.download_button

    def button_spy(label, data, *args, **kwargs):
        given.append(data)
        return real_button(label, data, *args, **kwargs)

    monkeypatch.setattr(explorer, "trajectories_csv", spy)
    monkeypatch.setattr(st, "download_button", button_spy)
    at = _run(c="-6.2832", steps="120")
    assert not at.exception
    (button,) = at.get("download_button")
    assert button.proto.label == "Download trajectories (CSV)"
    assert not made, "the page wrote the CSV before any click"
    assert callable(given[-1])
    frame = _csv_frame(given[-1]())
    assert made, "the button's function did not write the CSV"
    assert list(frame.columns) == ["run", "step", "w", "b", "L", "L_transformed"]
    assert len(frame) == 2 * (120 + 1)
    # the default problem and optimizer (linear regression, SGD at 0.05), from the default start
    expected = {
        "original": run_preset("linear_regression", "sgd", lr=0.05, steps=120),
        "transformed": run_preset("linear_regression", "sgd", lr=0.05, steps=120, shift=-6.2832),
    }
    for name, run in expected.items():
        rows = frame[frame["run"] == name]
        assert rows["step"].tolist() == list(range(121))
        np.testing.assert_array_equal(rows[["w", "b"]].to_numpy(np.float32), run.params)
        np.testing.assert_array_equal(rows["L"].to_numpy(np.float32), run.loss)
    rows = frame[frame["run"] == "transformed"]
    np.testing.assert_array_equal(
        rows["L_transformed"].to_numpy(np.float32), expected["transformed"].objective
    )
    # along the original path the page writes L' = L + c (the run itself minimised L)
    rows = frame[frame["run"] == "original"]
    np.testing.assert_allclose(
        rows["L_transformed"].to_numpy(), expected["original"].loss - 6.2832, rtol=1e-6, atol=1e-5
    )


HOSTILE = [
    {"lr": "abc"},
    {"lr": "1e999"},
    {"lr": "nan"},
    {"c": "inf"},
    {"c": "-1e30"},
    {"a": "__import__('os').system('echo pwned')"},
    {"problem": "<script>alert(1)</script>"},
    {"opt": "../../etc/passwd"},
    {"x0": "nan", "y0": "1e400"},
    {"x0": "1000"},
    {"problem": "Saddle", "g": "√L"},
    {"problem": "rosenbrock"},
    {"steps": "-5"},
    {"steps": "99999999"},
    {"step": "-1"},
    {"momentum": "7", "opt": "Momentum"},
    {"unknown": "1"},
    {"lr": "0.05" * 500},
]


def test_empty_parameters_mean_defaults():
    at = _run(g="", lr="", problem="")
    assert not at.exception
    assert at.selectbox(key="problem").value == "Linear regression"
    assert "Identical, bit for bit" in _verdict(at)


@pytest.mark.parametrize("query", HOSTILE, ids=lambda q: ",".join(q)[:40])
def test_hostile_query_parameters_never_raise(query):
    assert_survives_hostile_link(_run(**query), charts=3)


def test_surrogate_problems_get_a_temperature_control():
    at = _run(problem="0-1 error, sigmoid surrogate", T="0.1")
    assert not at.exception
    assert at.select_slider(key="T").value == 0.1
    at = _run(problem="0-1 error (linear classifier)")
    assert not at.exception
    # descent on the 0-1 error never moves: every optimizer's start is its end
    assert "Identical, bit for bit" in _verdict(at)
    assert not [s for s in at.select_slider if s.key == "T"]


def test_the_whole_page_including_all_optimizers_is_drawn_in_one_run():
    # every optimizer is data of the one warm program: no deferred section, no timer rerunning the page
    at = _run(steps="60", problem="Beale")
    assert not at.exception
    assert not at.info
    assert len(at.get("vega_lite_chart")) == 3 and len(markdown_tables(at)) == 2
    table = markdown_tables(at)[1]
    assert len(table) == 10 and table[0]["optimizer"] == "SGD"


def test_a_positive_scale_that_diverges_is_called_overshoot_with_its_effective_rate():
    # issue: /?problem=Himmelblau&lr=0.01&a=10 said "Ascent"; SGD on 10·L is SGD at lr 0.1
    at = _run(problem="Himmelblau", lr="0.01", a="10")
    assert not at.exception
    verdict = _verdict(at)
    assert "overshooting, not ascent" in verdict and "a·lr = 0.1" in verdict
    assert "Ascent" not in verdict
    assert _badge(at).startswith(":gray-badge[")  # diverged's colour, not ascent's red
    assert not at.error  # not shown as an error box either


# --- issue 10: colours by meaning, and the page after a divergence -----------------------


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ({}, "identical"),
        ({"a": "-1"}, "ascent"),
        ({"problem": "Himmelblau", "lr": "0.01", "a": "10"}, "diverged"),
        ({"opt": "Polyak"}, "different"),
    ],
)
def test_the_verdict_box_has_its_kinds_one_colour(query, kind):
    from lossviz.charts.style import VERDICT_COLOURS
    from lossviz.verdicts import KIND_LABELS

    at = _run(**query)
    assert _badge(at).startswith(f":{VERDICT_COLOURS[kind]}-badge[")
    assert _badge(at).endswith(f"{KIND_LABELS[kind]}]")
    # the all-optimizers chart uses the same colour for the same kind, whichever kinds are present
    colour = _specs(at)[2]["layer"][0]["encoding"]["color"]
    assert dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True)) == {
        KIND_LABELS[k]: c for k, c in VERDICT_COLOURS.items()
    }


@pytest.fixture(scope="module")
def diverged_app() -> AppTest:
    return _run(problem="Rosenbrock", lr="0.005")


def test_after_a_divergence_the_readout_shows_the_last_finite_step(diverged_app):
    readout = markdown_tables(diverged_app)[0]
    assert "nan" not in str(readout).lower()
    # SGD on Rosenbrock at 0.005 overflows at step 5: the readout stays at step 4 and says so
    assert [r["step"] for r in readout] == ["4 (the last finite step)"] * 2
    assert "e+24" in readout[0]["L"]


def test_after_a_divergence_the_all_optimizers_table_is_formatted_text(diverged_app):
    table, raw = markdown_tables(diverged_app)[1], markdown_tables(diverged_app, raw=True)[1]
    # the verdict: a badge in its kind's colour (the chart's colours)
    colours = {verdicts.KIND_LABELS[k]: c for k, c in style.VERDICT_COLOURS.items()}
    for row, markdown in zip(table, raw, strict=True):
        assert markdown["verdict"].startswith(f":{colours[row['verdict']]}-badge[")
    numbers = [
        v for row in table for k, v in row.items() if k not in ("optimizer", "verdict", "reads the value")
    ]
    assert not [x for x in numbers if re.fullmatch(r"\d{8,}", x)]  # never 50598271666995855000
    assert not [
        x for x in numbers if re.fullmatch(r"-?\d+\.\d{6,}", x)
    ]  # 4 significant digits, not raw floats
    assert table[0]["final L (original)"] == "diverged at step 5"


def _loss_axis(spec: dict) -> dict:
    """The record the loss chart's y axis reads (its first data set after the curves': the current
    step's rule's; lossviz.charts.explorer._loss_y), with its ticks."""
    record, *ticks = spec["datasets"][spec["layer"][1]["data"]["name"]]
    return {**record, "ticks": [t["v"] for t in ticks]}


def test_after_a_divergence_the_loss_chart_is_readable(diverged_app):
    loss = _with_data(diverged_app.get("vega_lite_chart")[1])
    axis = _loss_axis(loss)
    assert axis["constant"] == 1 and axis["title"] == "loss (symlog)"  # 1e24 next to 1
    assert 0 in axis["ticks"] and 1e6 in axis["ticks"] and len(axis["ticks"]) >= 4  # at powers of ten
    # the curves stop at a labelled rule (its text is checked in test_charts.py)
    assert [layer["mark"]["type"] for layer in loss["layer"]] == ["line", "rule", "rule", "text"]
    assert "diverged at step" in json.dumps(loss["datasets"])


def _symlog(at: AppTest):
    return next(t for t in at.toggle if "symlog" in t.label)


def test_the_symlog_toggle_follows_the_data_rather_than_its_first_value(default_app):
    at = _run()
    assert _symlog(at).value is False  # the landing view's losses are all small
    at.selectbox(key="problem").select("Rosenbrock").run()
    at.select_slider(key="lr").set_value(0.005).run()
    assert not at.exception
    assert _symlog(at).value is True
    symlog = _with_data(at.get("vega_lite_chart")[1])
    assert _loss_axis(symlog)["constant"] == 1 and _loss_axis(symlog)["title"] == "loss (symlog)"
    _symlog(at).set_value(False).run()  # the viewer's choice holds: linear, with readable ticks
    linear = _with_data(at.get("vega_lite_chart")[1])
    axis = _loss_axis(linear)
    assert axis["constant"] > 1e6 and axis["title"] == "loss" and axis["ticks"] == []
    assert "e'" in linear["layer"][0]["encoding"]["y"]["axis"]["labelExpr"]
    # and the toggle changed data only: the browser replaces it in the chart it has
    assert {**symlog, "datasets": None} == {**linear, "datasets": None}


class _RefuseImports:
    """An import hook that refuses (and records) every import of the given packages."""

    def __init__(self, packages: tuple[str, ...]):
        self.packages, self.attempts = packages, []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.packages:
            self.attempts.append(name)
            raise ImportError(f"{name}: refused by the test")
        return None


@pytest.mark.parametrize(
    "page, query",
    [("explorer", {"problem": "rosenbrock", "lr": "0.005"}), ("training", {}), ("nondifferentiable", {})],
)
def test_the_pages_never_import_pandas_or_altair_nor_hand_streamlit_data_for_pandas(monkeypatch, page, query):
    # every chart's datasets and every table reach Streamlit as Arrow tables (lossviz.ui.common.
    # arrow_datasets): records or frames would be converted through pandas, which costs CPU per
    # view, and importing pandas and Altair costs a server ~65 MB. The test process has imported
    # both: they are hidden from this run and any import of them is refused.
    import sys

    from streamlit import dataframe_util

    handed = []
    real = dataframe_util.convert_anything_to_pandas_df
    monkeypatch.setattr(
        dataframe_util,
        "convert_anything_to_pandas_df",
        lambda data, *a, **k: handed.append(type(data)) or real(data, *a, **k),
    )
    run_page(page, **query)  # compiled and cached before the hook: only the page's own run is watched
    hook = _RefuseImports(("pandas", "altair"))
    for name in [m for m in sys.modules if m.split(".")[0] in hook.packages]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [hook, *sys.meta_path])
    at = run_page(page, **query)
    assert not at.exception
    assert at.get("vega_lite_chart") and handed == [] and hook.attempts == []


def test_another_optimizer_changes_only_the_landscape_pairs_data():
    # the browser replaces a chart's data in place when its spec is unchanged, and builds the chart
    # again when not (~0.3 s more on a switch): dataset names must not depend on the data
    sgd, adam = _run(), _run(opt="Adam")
    assert not sgd.exception and not adam.exception
    pairs = [at.get("vega_lite_chart")[0].proto for at in (sgd, adam)]
    data = [{d.name: d.data.data for d in pair.datasets} for pair in pairs]
    assert data[0].keys() == data[1].keys() and data[0] != data[1]  # the runs differ ...
    assert pairs[0].spec == pairs[1].spec  # ... and nothing else


def test_a_click_names_a_grid_point_which_the_server_maps_and_anything_else_is_ignored():
    # the click selection carries the point's number on the grid the chart was drawn with
    def script():
        import streamlit as st

        from lossviz.ui import common

        st.session_state["pair__click_grid"] = (((-2.0, 2.0), (-1.0, 3.0)), 41)
        out = []
        for selected in [
            [{"i": 3}],
            [{"i": 1680.0}],
            [{"i": -1}],
            [{"i": 1681}],
            [{"i": "3"}],
            [{"i": True}],
        ]:
            st.session_state["pair"] = {"selection": {"start_click": selected}}
            out.append(common.clicked_point("pair"))
        for selected in [[{"i": 2.5}], [], {}, [{"w1": 1.0, "w2": 2.0}], ["3"], None]:
            st.session_state["pair"] = {"selection": {"start_click": selected}}
            out.append(common.clicked_point("pair"))
        st.session_state["pair"] = {"selection": {"start_click": [{"i": 3}]}}
        del st.session_state["pair__click_grid"]  # no chart drawn in this session: nothing to map
        out.append(common.clicked_point("pair"))
        st.text(repr(out))

    at = AppTest.from_function(script).run()
    assert not at.exception
    expected = [(-1.7, -1.0), (2.0, 3.0), *[None] * 11]
    assert at.text[0].value == repr(expected)
