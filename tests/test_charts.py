"""Chart builders: specs validate, never carry NaN, and the pictures obey the invariances."""

import base64
import copy
import io
import json
import math
import re

import altair as alt
import numpy as np
import pytest
from PIL import Image
from vl import validated

from lossviz.charts import explorer as explorer_charts
from lossviz.charts import landscape, raster, style
from lossviz.charts.landscape import Panel, PathData

BOUNDS = ((-2.0, 2.0), (-1.0, 3.0))
W1 = np.linspace(-2.0, 2.0, 200)
W2 = np.linspace(-1.0, 3.0, 200)
F1 = np.linspace(-2.0, 2.0, 25)
F2 = np.linspace(-1.0, 3.0, 25)


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(x, y):
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)


def spec(chart) -> dict:
    """A chart's spec, validated against the Vega-Lite schema; strict JSON has no NaN/Infinity.

    Altair charts validate in ``to_dict``; plain dicts (the landscape pair) in :func:`vl.validated`.
    """
    if isinstance(chart, dict):
        return validated(chart)
    d = chart.to_dict()
    json.dumps(d, allow_nan=False)
    return d


def panel_parts(d: dict) -> list[list[dict]]:
    """Each panel's ``[view, colour bar]`` of a landscape pair (side by side or stacked): a panel is
    titled by its parameters' names (left) around its plot and bar (titled by the panel's title)."""
    return [outer["vconcat"][0]["hconcat"] for outer in d.get("hconcat", d.get("vconcat"))]


def walk(node):
    """Every dict in a spec."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def make_panel(values=None, grad=None, paths=None, **kw) -> Panel:
    x, y = np.meshgrid(W1, W2)
    fx, fy = np.meshgrid(F1, F2)
    if paths is None:
        steps = np.linspace(0, 1, 301)[:, None]
        paths = (
            PathData("original run", np.hstack([-1.5 + 2.5 * steps, 2.0 - steps]), "original"),
            PathData("transformed run", np.hstack([-1.5 + 0.3 * steps, 2.0 + 0.5 * steps]), "transformed"),
        )
    fields = dict(
        title="L",
        w1=W1,
        w2=W2,
        values=rosenbrock(x, y) if values is None else values,
        field_w1=F1,
        field_w2=F2,
        field_grad=rosenbrock_grad(fx, fy) if grad is None else grad,
        paths=paths,
        start=(-1.5, 2.0),
        minima=((1.0, 1.0),),
        current=(("original", 0.0, 1.5), ("transformed", -1.4, 2.1)),
        param_names=("x", "y"),
        bounds=BOUNDS,
    )
    return Panel(**{**fields, **kw})


def png_pixels(values) -> np.ndarray:
    url = raster.png_data_url(raster.colour_positions(values)[::-1])
    png = base64.b64decode(url.removeprefix("data:image/png;base64,"))
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


# --- colours -------------------------------------------------------------------------------


def test_colour_positions_are_mean_ranks_and_skip_non_finite():
    t = raster.colour_positions(np.array([[3.0, 1.0, np.nan], [1.0, np.inf, 10.0]]))
    np.testing.assert_allclose(t, [[2 / 3, 1 / 6, np.nan], [1 / 6, np.nan, 1.0]])


@pytest.mark.parametrize(
    "transform",
    [lambda v: v - 2 * np.pi, lambda v: 3 * v, np.log1p, lambda v: 0.01 * v + 1e3],
    ids=["shift", "scale", "log1p", "affine"],
)
def test_picture_is_invariant_under_increasing_maps(transform):
    v = make_panel().values  # Rosenbrock: values >= 0, five orders of magnitude
    np.testing.assert_array_equal(png_pixels(transform(v)), png_pixels(v))


def test_negation_reverses_the_colour_positions():
    v = make_panel().values
    np.testing.assert_allclose(raster.colour_positions(-v), 1 - raster.colour_positions(v), atol=1e-12)
    assert not np.array_equal(png_pixels(-v), png_pixels(v))


# viridis' ends, as published with matplotlib (#440154 and #fde725): known independently of lossviz
VIRIDIS_DARKEST = (68, 1, 84, 255)
VIRIDIS_BRIGHTEST = (253, 231, 37, 255)


def test_png_is_the_grid_flipped_so_w2_grows_upward_and_non_finite_is_transparent():
    v = np.arange(12.0).reshape(4, 3)  # grows with the row index, i.e. with w2
    v[0, 0] = np.nan
    rgba = png_pixels(v)
    assert rgba.shape == (4, 3, 4)
    assert rgba[-1, 0, 3] == 0 and rgba[:-1, :, 3].min() == 255  # the NaN (lowest w2) is the bottom row
    assert tuple(rgba[0, 2]) == VIRIDIS_BRIGHTEST  # largest value (largest w2) on top, brightest
    assert tuple(rgba[-1, 1]) == VIRIDIS_DARKEST  # smallest finite value, darkest
    # in between, brightness grows with the value: the rank order is the colour order
    luma = rgba[..., :3].astype(float) @ [0.299, 0.587, 0.114]
    order = np.argsort(np.nan_to_num(v[::-1], nan=-1).ravel())
    assert (np.diff(luma.ravel()[order][1:]) > 0).all()


@pytest.mark.parametrize(
    ("value", "label"),
    [(2509.3, "2509"), (-2.5e-5, "−2.5e−5"), (0.0, "0"), (-36.08, "−36.1"), (1.8e5, "1.8e5")],
)
def test_format_value(value, label):
    assert style.format_value(value) == label


def test_colour_bar_labels_are_quantiles_and_negative_values_read_fine():
    assert landscape.colour_bar_labels(-np.arange(101.0)) == ["−100", "−75", "−50", "−25", "0"]
    assert landscape.colour_bar_labels(np.full(3, np.nan)) == ["n/a"] * 5


# --- geometry ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dx", "dy", "angle"), [(1.0, 0.0, 90.0), (0.0, 1.0, 0.0), (-1.0, 0.0, 270.0), (0.0, -1.0, 180.0)]
)
def test_wedge_angles_point_up_at_zero_and_turn_clockwise(dx, dy, angle):
    got = landscape.wedge_angles(np.array([dx]), np.array([dy]), 300, 300, ((0, 1), (0, 1)))
    np.testing.assert_allclose(got, [angle], atol=1e-9)


def test_wedge_angles_use_pixel_aspect():
    # one data unit is 400 px across but only 100 px up: a data diagonal is flatter than 45°
    got = landscape.wedge_angles(np.array([1.0]), np.array([1.0]), 400, 100, ((0, 1), (0, 1)))
    np.testing.assert_allclose(got, [90 - np.degrees(np.arctan2(100, 400))])


def test_gradient_arrows_drop_zero_and_non_finite_gradients_and_normalise_magnitude():
    grad = np.zeros((25, 25, 2))
    grad[..., 0] = np.logspace(-3, 3, 25)[None, :]
    grad[0, 0] = 0.0
    grad[1, 1] = np.nan
    arrows = landscape.gradient_arrows(make_panel(grad=grad), 380, 320)
    assert len(arrows["m"]) == 25 * 25 - 2
    assert arrows["m"].min() == 0 and arrows["m"].max() == 1
    np.testing.assert_allclose(arrows["angle"], 270.0)  # -∇ points left
    scaled = landscape.gradient_arrows(make_panel(grad=7 * grad), 380, 320)
    np.testing.assert_allclose(scaled["m"], arrows["m"])  # a·L draws the same arrows


def test_contours_at_quantiles_are_identical_for_shifted_and_negated_values():
    v = make_panel().values

    def lines(values):
        return landscape.contour_lines(W1, W2, raster.colour_positions(values), BOUNDS, (380, 320))

    base = lines(v)
    assert 10 <= len(base) and sum(map(len, base)) < landscape._CONTOUR_MAX_POINTS
    for other in (lines(v + 12.5), lines(3 * v), lines(np.log1p(v))):
        assert len(other) == len(base)
        for a, b in zip(base, other, strict=True):
            np.testing.assert_array_equal(a, b)
    # -L: the same lines (levels are symmetric), traced the other way round, so thinned a bit differently
    negated = lines(-v)
    assert len(negated) == len(base)
    assert abs(sum(map(len, negated)) - sum(map(len, base))) < 0.05 * sum(map(len, base))


def test_contours_of_a_wiggly_landscape_stay_within_budget():
    x, y = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-5, 5, 200))
    rastrigin = 20 + x**2 + y**2 - 10 * np.cos(2 * np.pi * x) - 10 * np.cos(2 * np.pi * y)
    t = raster.colour_positions(rastrigin)
    lines = landscape.contour_lines(x[0], y[:, 0], t, ((-5, 5), (-5, 5)), (380, 320))
    assert 0 < sum(map(len, lines)) <= landscape._CONTOUR_MAX_POINTS + len(lines)


def test_finite_prefix_stops_at_the_first_non_finite_row():
    params = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, 2.0], [3.0, 3.0]])
    np.testing.assert_array_equal(landscape.finite_prefix(params), params[:2])


# --- landscape pair ------------------------------------------------------------------------


def test_pair_is_a_plain_vega_lite_dict_whose_data_sets_are_all_used():
    d = spec(landscape.landscape_pair(make_panel(), make_panel(values=-make_panel().values, title="−L")))
    assert type(d) is dict and set(d) == {"$schema", "hconcat", "spacing", "params", "datasets", "usermeta"}
    used = {n["data"]["name"] for n in walk(d) if "name" in n.get("data", {})}
    assert used == set(d["datasets"])
    marks = []
    for panel, bar in panel_parts(d):  # a layered panel, then its colour bar
        marks.append([layer["mark"]["type"] for layer in panel["layer"]])
        assert bar["mark"]["type"] == "image" and bar["width"] == 12
    # heat map, contours, arrows, the two runs, markers, the hover readout (a ring and the text over
    # its halo; no losses given here), click grid; the right panel draws the heat map, contours,
    # arrows and markers twice: from the left's data when equal, else its own
    readout = ["point", "text", "text"]
    assert marks[0] == ["image", "line", "point", "line", "line", "point", *readout, "point"]
    assert marks[1] == [
        "image",
        "image",
        "line",
        "line",
        "point",
        "point",
        "line",
        "line",
        "point",
        "point",
        *readout,
        "point",
    ]


def test_pair_is_what_altair_makes_of_it():
    """Altair reads the dict as a chart and writes back the same spec (plus its default theme)."""
    d = spec(landscape.landscape_pair(make_panel(), make_panel(values=np.log1p(make_panel().values))))
    again = alt.HConcatChart.from_dict(copy.deepcopy(d)).to_dict()
    again.pop("config")
    assert again == d


def test_memoised_parts_equal_fresh_ones_and_are_not_shared():
    left, right = make_panel(), make_panel(title="−L", values=-make_panel().values, current=())
    landscape.MEMO.clear()
    cold = landscape.landscape_pair(left, right)
    warm = landscape.landscape_pair(left, right)
    assert json.dumps(warm) == json.dumps(cold) and len(landscape.MEMO) == 3  # arrows shared
    for records in warm["datasets"].values():  # a caller scribbling on a spec...
        for r in records:
            r.clear()
    assert landscape.landscape_pair(left, right) == cold  # ...does not reach the next one
    narrow = landscape.landscape_pair(left, right, width=200)  # other pixels: other contours and arrows
    landscape.MEMO.clear()
    assert narrow == landscape.landscape_pair(left, right, width=200) != cold
    for k in range(landscape.MEMO.maxsize + 5):
        landscape.landscape_pair(left, make_panel(values=make_panel().values + k))
    assert len(landscape.MEMO) == landscape.MEMO.maxsize


def test_default_pair_payload_is_under_budget():
    chart = landscape.landscape_pair(make_panel(), make_panel(values=-make_panel().values, title="−L"))
    size = len(json.dumps(spec(chart)))
    assert size < 300_000, f"{size / 1024:.0f} KB"


def test_selection_is_defined_once_and_bound_to_both_click_grids():
    d = spec(landscape.landscape_pair(make_panel(), make_panel(title="L′")))
    assert [p["name"] for p in d["params"]] == ["frame", landscape.START_SELECTION, landscape.HOVER]
    param, hover = d["params"][1:]
    # on release: a click, or the end of a drag (whose preview stays in the browser); the point's
    # number, which the server turns into parameters
    assert param["select"] == {"type": "point", "fields": ["i"], "nearest": True, "on": "pointerup"}
    # the readout follows the pointer while no button is held (a drag previews runs instead)
    assert hover["select"]["on"] == "pointermove[!event.buttons]" and hover["views"] == param["views"]
    grids = [layer for view, _ in panel_parts(d) for layer in view["layer"] if "name" in layer]
    assert sorted(param["views"]) == sorted(g["name"] for g in grids) and len(set(param["views"])) == 2
    assert grids[0]["data"] == grids[1]["data"] and grids[0]["transform"] == grids[1]["transform"]
    # not painted; clicks, drags and the hover readout reach them through Vega-Lite's nearest-point
    # cells (tests/test_browser.py, tests/test_browser_live.py)
    assert all(g["mark"]["opacity"] == 0 for g in grids)


def frame_of(d: dict) -> dict:
    """The record the pair's ``frame`` parameter holds: the left colour bar's."""
    (param,) = [p for p in d["params"] if p["name"] == "frame"]
    name = re.fullmatch(r"data\('(\w+)'\)\[0\] \|\| \{\}", param["expr"]).group(1)
    assert panel_parts(d)[0][1]["data"]["name"] == name
    record, *ticks = d["datasets"][name]
    assert all(t["step"] is None for t in ticks)  # the rule draws the first record only
    return {**record, "ticks": [(t["v"], t["label"]) for t in ticks]}


GRID_EXPR = re.compile(
    r"round\(\(frame\.lo(\d) \+ (?:\(datum\.i % (\d+)\)|floor\(datum\.i / (\d+)\)) \* frame\.c\1\)"
    r" \* frame\.m\1\) / frame\.m\1"
)


def grid_values(expr: str, frame: dict, count: int) -> list[float]:
    """The values of a click-grid coordinate expression (``lo + k * step``, rounded as JavaScript's
    Math.round does) for k < count, with the frame's numbers."""
    axis = GRID_EXPR.fullmatch(expr).group(1)
    lo, step, m = (frame[f"{k}{axis}"] for k in ("lo", "c", "m"))
    return [math.floor((lo + k * step) * m + 0.5) / m for k in range(count)]


def test_click_grid_is_n_by_n_points_in_pixels_that_no_problem_changes():
    # a point is its number and its place in pixels: no frame, no data of the view, no tooltip
    d = spec(landscape.landscape_pair(make_panel(), make_panel(), click_grid=41, width=400, height=320))
    grid = next(layer for layer in panel_parts(d)[0][0]["layer"] if "name" in layer)
    assert grid["data"] == {"sequence": {"start": 0, "stop": 41 * 41, "as": "i"}}
    assert "frame" not in json.dumps(grid) and grid["mark"]["tooltip"] is None
    assert grid["encoding"] == {k: {"field": f"p{k}", "type": "quantitative", "scale": None} for k in "xy"}
    px, py = (t["calculate"] for t in grid["transform"][:2])
    assert px == "(datum.i % 41) * 10.0" and py == "320 - floor(datum.i / 41) * 8.0"  # row 0 at the bottom


def test_a_clicked_grid_point_is_what_the_readout_shows_there():
    # the server turns the clicked point's number into parameters (grid_point); the readout computes
    # them in the browser from the frame: both round to the window's decimals, as JavaScript does
    d = spec(landscape.landscape_pair(make_panel(), make_panel(), click_grid=41))
    layers = panel_parts(d)[0][0]["layer"]
    (readout,) = [
        layer for layer in layers if layer["mark"]["type"] == "text" and layer["mark"].get("fill") == "white"
    ]
    (lines,) = [t["calculate"] for t in readout["transform"] if t.get("as") == "lines"]
    w1, w2 = re.findall(r"round\(.*?\) / frame\.m\d", lines)
    frame = frame_of(d)
    xs, ys = grid_values(w1, frame, 41), grid_values(w2, frame, 41)
    assert (xs[0], xs[3], xs[-1]) == (-2.0, -1.7, 2.0)  # rounded: not -1.7000000000000002
    assert (ys[0], ys[-1]) == (-1.0, 3.0)
    bounds = make_panel().bounds
    for i in (0, 3, 40, 41, 850, 41 * 41 - 1):
        assert landscape.grid_point(i, 41, bounds) == (xs[i % 41], ys[i // 41])
    # the readout is computed for the hovered point only, and names the parameters from the frame
    assert readout["data"] == {"sequence": {"start": 0, "stop": 1, "as": "row"}}
    assert f"data('{landscape.HOVER}_store')[0].values[0]" in readout["transform"][0]["calculate"]
    assert lines.startswith("[frame.n1 + ' = ' + ") and "frame.n2 + ' = '" in lines


def test_a_problem_switch_keeps_the_spec():
    # the window, the click grid's spacing, the families' decoding, the current rate and the
    # parameters' names are the frame's: another problem changes data only
    one = landscape.landscape_pair(make_panel(), make_panel())
    wide = dict(bounds=((-5.0, 5.0), (-4.0, 6.0)), param_names=("w", "b"))
    other = landscape.landscape_pair(make_panel(**wide), make_panel(**wide))
    strip = [{k: v for k, v in d.items() if k != "datasets"} for d in (one, other)]
    assert json.dumps(strip[0]) == json.dumps(strip[1])
    assert (frame_of(one)["lo1"], frame_of(other)["lo1"], frame_of(other)["hi2"]) == (-2.0, -5.0, 6.0)
    assert (frame_of(one)["n1"], frame_of(one)["n2"], frame_of(other)["n1"], frame_of(other)["n2"]) == (
        "x",
        "y",
        "w",
        "b",
    )


def test_axes_are_fixed_to_the_bounds_and_titled():
    d = spec(landscape.landscape_pair(make_panel(), make_panel()))
    x, y = (panel_parts(d)[0][0]["encoding"][k] for k in "xy")
    assert x["scale"] == {
        "domain": {"expr": "[frame.lo1, frame.hi1]"},
        "nice": False,
        "zero": False,
    }
    assert y["scale"]["domain"] == {"expr": "[frame.lo2, frame.hi2]"}
    # titled by the frame's names (make_panel's are x and y): the x axis by the plot's own title
    # below it, the y axis by the panel's, left of it; the axes themselves untitled
    assert x["title"] is None and y["title"] is None
    for outer, (view, _) in zip(d["hconcat"], panel_parts(d), strict=True):
        assert (view["title"]["text"], view["title"]["orient"]) == ({"expr": "frame.n1"}, "bottom")
        assert (outer["title"]["text"], outer["title"]["orient"]) == ({"expr": "frame.n2"}, "left")
    f = frame_of(d)
    assert (f["n1"], f["n2"]) == ("x", "y")
    assert (f["lo1"], f["hi1"], f["lo2"], f["hi2"]) == (-2.0, 2.0, -1.0, 3.0)


def _drawn(d: dict, side: int, role: int) -> list[dict]:
    """The records the panel on ``side`` draws in the layers of its ``role``-th sided data set (0:
    the heat map, 1: contours, 2: arrows), applying their filters as Vega would."""
    layers = panel_parts(d)[side][0]["layer"]
    if side == 0:
        layer = layers[role]
        assert layer["transform"][:1] != [{"filter": "!datum.same"}]
        return d["datasets"][layer["data"]["name"]]
    left, own = layers[2 * role], layers[2 * role + 1]
    mine = d["datasets"][own["data"]["name"]]
    # the left's records when this side's data set says "same"; else this side's own records
    name = own["data"]["name"]
    assert left["transform"][0] == {"filter": f"length(data('{name}')) > 0 && data('{name}')[0].same == true"}
    assert own["transform"][0] == {"filter": "!datum.same"}
    same = bool(mine) and mine[0].get("same") is True
    return [*(d["datasets"][left["data"]["name"]] if same else []), *(r for r in mine if not r.get("same"))]


def test_identical_panels_share_their_data_under_names_that_do_not_depend_on_it():
    same = landscape.landscape_pair(
        make_panel(), make_panel(title="L − 2π", values=make_panel().values - 2 * np.pi)
    )
    different = landscape.landscape_pair(make_panel(), make_panel(title="−L", values=-make_panel().values))
    # the same spec (but for the data): the browser replaces the data instead of building the chart
    strip = [{k: v for k, v in d.items() if k != "datasets"} for d in (same, different)]
    assert json.dumps(strip[0]) == json.dumps(strip[1])
    assert len(json.dumps(same["datasets"])) < len(json.dumps(different["datasets"])) - 10_000
    drawn = [[[_drawn(d, side, role) for role in range(3)] for side in (0, 1)] for d in (same, different)]
    assert all(len(heat_map) == 1 for d in drawn for side in d for heat_map in side[:1])
    assert drawn[0][0] == drawn[0][1]  # L - 2 pi is drawn as L is: every layer's data sent once
    assert same["datasets"][panel_parts(same)[1][0]["layer"][1]["data"]["name"]] == [{"same": True}]
    assert drawn[1][0][0] != drawn[1][1][0]  # -L's heat map is not L's
    assert drawn[0][0] == drawn[1][0]  # and the left panel is the same in both pairs


def test_a_side_added_twice_or_out_of_order_is_an_error():
    data = landscape.Datasets()
    with pytest.raises(ValueError, match="before side 0"):
        data.add_side("heat map", 1, [{"a": 1}])
    data.add_side("heat map", 0, [{"a": 1}])
    with pytest.raises(ValueError, match="twice"):
        data.add_side("heat map", 0, [{"a": 2}])
    data.add_side("heat map", 1, [{"a": 2}])
    with pytest.raises(ValueError, match="twice"):
        data.add_side("heat map", 1, [{"a": 2}])


def diverging_paths():
    p = np.cumsum(np.full((301, 2), 0.05), axis=0)
    p[120:] = np.nan
    q = p.copy()
    q[50] = [np.inf, 0.0]
    return (PathData("original run", p, "original"), PathData("transformed run", q, "transformed"))


HOSTILE = {
    "nan_and_inf_values": dict(
        values=np.where(np.eye(200, dtype=bool), np.nan, 1.0 + np.arange(200.0)[:, None])
    ),
    "all_nan": dict(values=np.full((200, 200), np.nan), grad=np.full((25, 25, 2), np.nan)),
    "constant": dict(values=np.full((200, 200), 3.0), grad=np.zeros((25, 25, 2))),
    "negative": dict(values=-make_panel().values - 1e6),
    "zero_gradients": dict(grad=np.zeros((25, 25, 2))),
    "diverging_paths": dict(paths=diverging_paths()),
    "no_paths_no_markers": dict(paths=(), minima=(), current=()),
    "nan_current_marker": dict(current=(("transformed", np.nan, np.nan),)),
    "huge_path": dict(paths=(PathData("original run", np.array([[0.0, 0.0], [1e30, -1e30]]), "original"),)),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_pair_validates_with_hostile_data(case):
    d = spec(landscape.landscape_pair(make_panel(), make_panel(**HOSTILE[case])))
    assert len(d["hconcat"]) == 2


def test_all_nan_panel_has_transparent_image_and_no_lines_or_arrows():
    panel = make_panel(**HOSTILE["all_nan"])
    t = raster.colour_positions(panel.values)
    assert (png_pixels(panel.values)[..., 3] == 0).all()
    assert landscape.contour_lines(W1, W2, t, BOUNDS, (380, 320)) == []
    assert len(landscape.gradient_arrows(panel, 380, 320)["w1"]) == 0


def test_path_styles_give_colour_and_dash_by_name():
    d = spec(landscape.landscape_pair(make_panel(), make_panel()))
    line = [
        n for n in walk(d) if n.get("mark", {}).get("type") == "line" and "color" in n.get("encoding", {})
    ][0]
    colour, dash = line["encoding"]["color"], line["encoding"]["strokeDash"]
    assert colour["scale"]["domain"] == dash["scale"]["domain"] == ["original run", "transformed run"]
    assert colour["scale"]["range"] == [style.STYLE_COLOURS["original"], style.STYLE_COLOURS["transformed"]]
    assert dash["scale"]["range"][0] == [1, 0] and dash["scale"]["range"][1] != [1, 0]


# --- loss curves and optimizer comparison --------------------------------------------------


def test_finite_losses_are_every_finite_value_of_every_curve():
    runs = {
        "original run": (np.arange(3.0), np.arange(3.0) - 1),
        "transformed run": (np.ones(2), np.array([np.inf, -1])),
    }
    assert sorted(explorer_charts.finite_losses(runs).tolist()) == [-1, -1, 0, 0, 1, 1, 1, 1, 2]
    assert explorer_charts.finite_losses({}).size == 0


@pytest.mark.parametrize("log_y", [False, True])
@pytest.mark.parametrize("current_step", [None, 5])
def test_loss_path_chart_drops_non_finite_values(log_y, current_step):
    losses = np.array([1.0, -3.0, 1e8, np.inf, np.nan])
    runs = {"original run": (losses, losses - 2), "transformed run": (-losses, losses)}
    d = spec(explorer_charts.loss_path_chart(runs, current_step=current_step, log_y=log_y))
    (curves,) = [v for v in d["datasets"].values() if v and "value" in v[0]]
    assert len(curves) == 4  # one packed record per (run, quantity)
    values = [float(x) for curve in curves for x in curve["value"].split(",")]
    steps = [int(x) for curve in curves for x in curve["step"].split(",")]
    assert len(values) == len(steps) == 12 and set(steps) == {0, 1, 2} and np.isfinite(values).all()
    axis = loss_axis(d)
    assert (
        axis["title"] == ("loss (symlog)" if log_y else "loss") and axis["zero"] is log_y is not axis["nice"]
    )
    assert axis["constant"] == (1.0 if log_y else 1e4 * 1e8)  # a linear axis: see below


def loss_axis(d: dict) -> dict:
    """The record the loss chart's y scale, axis and title read (by the expressions of its spec)."""
    y = d["layer"][0]["encoding"]["y"]
    assert y["scale"]["type"] == "symlog" and y["title"] is None
    (param,) = d["params"]
    name = re.fullmatch(r"data\('(\w+)'\)\[0\] \|\| \{.*\}", param["expr"]).group(1)
    assert d["layer"][1]["data"]["name"] == name  # the current step's rule draws it (so Vega keeps it)
    assert {k: v["expr"] for k, v in y["scale"].items() if k != "type"} == {
        "constant": "loss_axis.constant",
        "zero": "loss_axis.zero",
        "nice": "loss_axis.nice",
    }
    assert d["title"]["text"]["expr"] == "loss_axis.title" and d["title"]["orient"] == "left"
    record, *ticks = d["datasets"][name]
    assert all(t["step"] is None for t in ticks)  # the rule draws the first record only
    return {**record, "ticks": [(t["v"], t["label"]) for t in ticks]}


def test_the_loss_chart_keeps_its_spec_linear_or_symlog_diverged_or_not():
    small = np.linspace(3.0, 0.5, 50)
    wide = np.geomspace(1e6, 1e-3, 50)
    views = [
        explorer_charts.loss_path_chart({"r": (small, small - 2)}, current_step=3),
        explorer_charts.loss_path_chart({"r": (wide, -wide)}, current_step=0, log_y=True),
        explorer_charts.loss_path_chart({"r": (wide, np.inf * wide)}, current_step=9, diverged_at=7),
    ]
    strip = [json.dumps({k: v for k, v in spec(d).items() if k != "datasets"}) for d in views]
    assert strip[0] == strip[1] == strip[2]  # a switch replaces the data in place
    # the symlog axis across many decades is ticked at the powers of ten, labelled as format_value does
    y = views[1]["layer"][0]["encoding"]["y"]
    ticks = loss_axis(views[1])["ticks"]
    assert [v for v, _ in ticks] == style.symlog_ticks_between(-1e6, 1e6)
    assert [label for _, label in ticks][:2] == ["−1e6", "−10000"]
    assert "pluck" in y["axis"]["values"]["expr"] and "indexof" in y["axis"]["labelExpr"]
    # no ticks of its own otherwise (Vega's), and the diverged run's rule and label are records
    assert loss_axis(views[0])["ticks"] == [] and loss_axis(views[0])["step"] == 3
    assert [r for v in views[2]["datasets"].values() for r in v if "text" in r] == [
        {"step": 7, "text": "diverged at step 7"}
    ]


@pytest.mark.parametrize(
    "values", [np.array([3.0, 0.5, 0.1]), np.array([-2e7, 1e-6, 3e8]), np.array([1e-9, 4e-9])]
)
def test_a_linear_loss_axis_is_linear_to_a_hundredth_of_a_pixel(values):
    # the linear axis is a symlog scale with the record's constant: positions across the domain
    # (min to max: zero is not included) as Vega's symlog maps them, against a linear map
    d = explorer_charts.loss_path_chart({"r": (values, values)}, current_step=0, log_y=False)
    c = loss_axis(d)["constant"]
    f = np.sign(values) * np.log1p(np.abs(values) / c)
    symlog = (f - f.min()) / (f.max() - f.min())
    linear = (values - values.min()) / (values.max() - values.min())
    assert np.abs(symlog - linear).max() * 220 < 0.01  # the chart's 220 px


def test_loss_path_chart_of_an_empty_frame_validates():
    spec(explorer_charts.loss_path_chart({}, current_step=0, log_y=True))


def test_symlog_ticks_cover_both_signs():
    assert style.symlog_ticks_between(-1e8, 1e8) == [-1e8, -1e6, -1e4, -1e2, 0, 1e2, 1e4, 1e6, 1e8]


KIND_LABELS = {
    "identical": "identical bit for bit",
    "same_path": "same path (within tolerance)",
    "same_end": "same end point, another path",
    "ascent": "ascent: L grew",
    "diverged": "diverged",
    "different": "different path and end point",
}


def test_chart_kind_labels_are_the_verdicts():
    from lossviz.verdicts import KIND_LABELS as verdict_labels

    assert verdict_labels == KIND_LABELS and set(style.VERDICT_COLOURS) == set(KIND_LABELS)


def _rows(optimizers, deviations, kinds) -> list[dict]:
    """The all-optimizers rows the chart reads (lossviz.ui.cached.all_optimizers)."""
    return [
        {"optimizer": o, "max_dtheta": d, "kind": k}
        for o, d, k in zip(optimizers, deviations, kinds, strict=True)
    ]


def test_optimizer_deviation_chart_shows_zero_and_diverged_runs():
    frame = _rows(
        ["sgd", "momentum", "adam", "polyak", "broken"],
        [0.0, 1e-7, 0.3, np.inf, np.nan],
        ["identical", "same_path", "different", "diverged", "diverged"],
    )
    d = spec(explorer_charts.optimizer_deviation_chart(frame, KIND_LABELS))
    (rows,) = d["datasets"].values()
    assert [r["shown"] for r in rows] == ["0 (bit-identical)", "1e-07", "0.3", "diverged", "diverged"]
    assert [r["verdict"] for r in rows][:3] == [
        KIND_LABELS[k] for k in ("identical", "same_path", "different")
    ]
    bars = [r["bar"] for r in rows]
    assert bars[0] > rows[0]["base"] and bars[3] == bars[4] > bars[2]  # zero is visible, diverged is longest
    assert d["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"


def test_the_deviation_axis_reads_its_end_from_the_data_so_the_spec_stays():
    small = _rows(["sgd", "adam"], [0.0, 1e-7], ["identical", "same_path"])
    large = _rows(["sgd", "adam"], [0.0, 40.0], ["identical", "different"])
    a, b = (spec(explorer_charts.optimizer_deviation_chart(r, KIND_LABELS)) for r in (small, large))
    strip = [{k: v for k, v in d.items() if k != "datasets"} for d in (a, b)]
    assert json.dumps(strip[0]) == json.dumps(strip[1])  # a switch replaces the data in place
    name = a["data"]["name"]
    domain = a["layer"][0]["encoding"]["x"]["scale"]["domain"]["expr"]
    # three spare decades right of the longest bar (at least 1): 1e3 for the small, 4e4 for the large
    assert domain == f"[1e-13, 1000 * max(1, extent(pluck(data('{name}'), 'bar'))[1])]"
    assert max(r["bar"] for r in b["datasets"][name]) == 40.0


@pytest.mark.parametrize("kinds", [["identical"] * 3, ["ascent", "identical", "different"], ["diverged"]])
def test_each_verdict_has_one_colour_whatever_the_data(kinds):
    frame = _rows(list("abc")[: len(kinds)], [0.5] * len(kinds), kinds)
    colour = spec(explorer_charts.optimizer_deviation_chart(frame, KIND_LABELS))["layer"][0]["encoding"][
        "color"
    ]
    # an explicit domain: the colour of a kind does not depend on which kinds are present
    assert colour["scale"]["domain"] == [KIND_LABELS[k] for k in style.VERDICT_COLOURS]
    assert colour["scale"]["range"] == list(style.VERDICT_COLOURS.values())
    assert style.VERDICT_COLOURS["identical"] == "green" and style.VERDICT_COLOURS["ascent"] == "red"
    assert len(set(style.VERDICT_COLOURS.values())) == len(style.VERDICT_COLOURS)


def test_optimizer_deviation_legend_shows_whole_labels_below_the_bars():
    frame = _rows(["a"], [0.0], ["different"])
    d = spec(explorer_charts.optimizer_deviation_chart(frame, KIND_LABELS))
    legend = d["layer"][0]["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["labelLimit"] == 0  # 0: no limit, never "different p…"
    assert "width <" in legend["columns"]["expr"]  # one column on a phone
    assert d["width"] == "container"


def test_no_chart_text_is_fixed_black():
    # black text vanishes on Streamlit's dark theme: every text mark names a readable colour
    frame = _rows(["a"], [0.0], ["identical"])
    losses = {"original run": (np.ones(3), np.ones(3))}
    for chart in (
        explorer_charts.optimizer_deviation_chart(frame, KIND_LABELS),
        explorer_charts.loss_path_chart(losses, current_step=1, diverged_at=2),
    ):
        d = spec(chart)
        texts = [n for n in walk(d) if n.get("type") == "text"]
        assert texts and all(n.get("color") == style.NEUTRAL for n in texts)
        assert not re.search(r'"(black|#000|#000000|#111|#222222)"', json.dumps(d))


def test_loss_path_chart_marks_the_divergence_and_has_readable_linear_ticks():
    losses = np.array([1.0, 10.0, 3e24, np.inf])
    d = spec(explorer_charts.loss_path_chart({"original run": (losses, losses)}, diverged_at=3))
    assert "diverged at step 3" in json.dumps(d["datasets"])
    assert d["width"] == "container"
    # no ticks of its own (Vega's), labelled by the readable rule (not 3,000,000,000,…)
    assert d["layer"][0]["encoding"]["y"]["axis"]["labelExpr"].endswith(" : " + style.READABLE_TICK)
    assert loss_axis(d)["ticks"] == []


def test_optimizer_deviation_chart_of_an_empty_frame_validates():
    empty = _rows([], [], [])
    assert (
        spec(explorer_charts.optimizer_deviation_chart(empty, KIND_LABELS))["layer"][0]["mark"]["type"]
        == "bar"
    )


def test_a_panels_title_and_colour_bar_labels_are_data_not_spec():
    # another map g changes only data: the spec stays, and the browser replaces the data in place
    x, y = np.meshgrid(W1, W2)
    one = landscape.landscape_pair(make_panel(), make_panel(title="L′ = L − 6.283"))
    other = landscape.landscape_pair(
        make_panel(), make_panel(title="L′ = log(1 + L) − 6.283", values=np.log1p(rosenbrock(x, y)) - 6.283)
    )
    texts = [[r for records in d["datasets"].values() for r in records if "title" in r] for d in (one, other)]
    assert [r["title"] for r in texts[1]] == ["L", "L′ = log(1 + L) − 6.283"]
    assert texts[0][1]["l0"] != texts[1][1]["l0"]  # the colour bar's lowest label follows the values
    strip = [{k: v for k, v in d.items() if k != "datasets"} for d in (one, other)]
    assert json.dumps(strip[0]) == json.dumps(strip[1])
    spec(one), spec(other)


def test_the_pair_is_drawn_on_a_canvas():
    # thousands of marks change on a switch: Vega's SVG renderer rewrote them as DOM nodes
    d = spec(landscape.landscape_pair(make_panel(), make_panel()))
    assert d["usermeta"]["embedOptions"]["renderer"] == "canvas"
