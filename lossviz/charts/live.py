"""What the landscape pair does in the browser, with no server round trip (no JAX).

The server computes, ahead, every run a drag could ask for (a family of starts
and a family of learning rates, :func:`lossviz.engine.family`); these layers
and parameters let Vega draw the one under the pointer:

- ``drag_start`` (:data:`DRAG`): while the mouse button is held on a panel, the
  runs from the family start nearest the pointer replace the runs drawn;
  releasing is a click, which :data:`~lossviz.charts.landscape.START_SELECTION`
  sends to the server (the only message).
- ``step`` (:data:`STEP`): a range input under the chart; the runs are drawn up
  to that step with a marker at their heads. The player component
  (:mod:`lossviz.ui.player`) plays it and reports it on release.
- ``lr_k`` (:data:`LR`): a range input over the family's learning rates; while
  it is dragged, the runs at that rate are drawn instead.
- the hover readout: the click grid's tooltip gives ``L`` and ``L'`` there.
- the basin map: a PNG (:func:`basin_image`) colouring each start by the minimum its run reaches.

Coordinates of the families travel as two base-36 digits each (1,296 levels
over three times the window: under a pixel), decoded by Vega expressions.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from lossviz.charts.packed import Bounds, Datasets, Spec, field
from lossviz.charts.raster import data_url

DRAG = "drag_start"
STEP = "step"
LR = "lr_k"
FRAME = "frame"
"""A parameter: the pair's record of numbers that depend on the problem (:func:`frame_fields`).

Expressions read them from it (``frame.lo1``) rather than having them written in: the spec is the
same for every problem, and a problem switch replaces the chart's data instead of building it
again."""
LEVELS = 36**2 - 1  # two base-36 digits
MARGIN = 1.0  # coordinates are encoded over the window widened by this many windows on each side

BASIN_COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45")
"""A colour per known minimum (distinct on viridis and on each other)."""
ELSEWHERE_COLOUR = "#9e9e9e"
DIVERGED_COLOUR = "#000000"


@dataclasses.dataclass(frozen=True, eq=False)
class Live:
    """The precomputed families and the state of the in-browser controls.

    Attributes:
      step: the step the runs are drawn to; steps: the runs' length (the range's end).
      grid: the family of starts is a ``grid x grid`` grid over the window, row-major
        (member ``i * grid + j`` starts at ``(w1[j], w2[i])``).
      preview: ``(2, grid * grid, K, 2)``: the runs on L (0) and on L' (1) from each start.
      lrs: the learning rates of the rate family; lr_index: the current one's position.
      lr_paths: ``(2, len(lrs), K, 2)``: the runs from the current start at each rate.
      names: the legend names of the runs on L and on L' (as the exact runs').
    """

    step: int
    steps: int
    grid: int
    preview: np.ndarray
    lrs: tuple[float, ...]
    lr_index: int
    lr_paths: np.ndarray
    names: tuple[str, str] = ("original run", "transformed run")


DIGITS = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", np.uint8)


def encode_paths(paths: np.ndarray, bounds: Bounds) -> list[str]:
    """Each path of ``paths (m, n, 2)`` as :func:`encode_path` encodes it, all at once."""
    xy = np.asarray(paths, dtype=np.float64).reshape(len(paths), -1, 2)
    (lo1, hi1), (lo2, hi2) = bounds
    span = np.array([hi1 - lo1, hi2 - lo2])
    lo = np.array([lo1, lo2]) - MARGIN * span
    with np.errstate(invalid="ignore"):
        q = np.rint((xy - lo) / ((1 + 2 * MARGIN) * span) * LEVELS)
        inside = (q >= 0) & (q <= LEVELS)  # False for NaN and for +-inf too
    ok = inside[..., 0] & inside[..., 1]  # (not .all(axis=2): a reduction over 2 is slow)
    # a path ends before its first bad row (a non-finite one, or one far outside the window)
    length = np.where(ok.all(axis=1), ok.shape[1], np.argmin(ok, axis=1))
    v = np.where(inside, q, 0).astype(np.int64)  # past a bad row: unused
    text = np.stack([DIGITS[v // 36], DIGITS[v % 36]], axis=-1).reshape(len(xy), -1)
    return [row[: 4 * n].tobytes().decode("ascii") for row, n in zip(text, length.tolist(), strict=True)]


def encode_path(xy: np.ndarray, bounds: Bounds) -> str:
    """Rows of ``xy (n, 2)`` up to the first non-finite one or one far outside the window,
    each as four base-36 digits (two per coordinate).

    >>> encode_path(np.array([[0.0, 1.0], [np.nan, 0.0]]), ((0.0, 1.0), (0.0, 1.0)))
    'c0nz'
    """
    return encode_paths(np.asarray(xy)[None], bounds)[0]


def frame_fields(bounds: Bounds) -> dict[str, float]:
    """The numbers :func:`decode` reads from :data:`FRAME`: per axis, the value of code 0
    (``s1``, ``s2``) and of one code step (``u1``, ``u2``) over the widened window."""
    out = {}
    for k, (lo, hi) in enumerate(bounds, start=1):
        out[f"s{k}"] = lo - MARGIN * (hi - lo)
        out[f"u{k}"] = (1 + 2 * MARGIN) * (hi - lo) / LEVELS
    return out


def decode(name: str) -> list[Spec]:
    """Vega-Lite transforms: the encoded string field ``name`` -> one row per point with
    ``w1``, ``w2`` and ``k`` (the row's position), with the constants of :func:`frame_fields`."""
    out = []
    for k, axis in enumerate(("w1", "w2"), start=1):
        offset = 0 if axis == "w1" else 2
        out.append(
            {
                "calculate": f"{FRAME}.s{k} + parseInt(substring(datum.{name}, 4 * datum.k + {offset}, "
                f"4 * datum.k + {offset + 2}), 36) * {FRAME}.u{k}",
                "as": axis,
            }
        )
    return [
        {"calculate": f"sequence(0, floor(length(datum.{name}) / 4))", "as": "k"},
        {"flatten": ["k"]},
        *out,
    ]


def params(live: Live, click_views: list[str]) -> list[Spec]:
    """The top-level parameters: the drag preview's selection, the step and the learning rate."""
    return [
        {
            "name": DRAG,
            "select": {
                "type": "point",
                "fields": ["sid"],
                "nearest": True,
                "on": "[pointerdown, window:pointerup] > pointermove",
                "clear": "window:pointerup",
            },
            "views": click_views,
        },
        {
            "name": STEP,
            "value": int(live.step),
            "bind": {"input": "range", "min": 0, "max": int(max(live.steps, 1)), "step": 1, "name": "step"},
        },
        {
            # the current rate's position, from the data (a rerun with another rate sets it); the
            # range input sets it while dragged
            "name": LR,
            "expr": f"{FRAME}.lr",
            "bind": {
                "input": "range",
                "min": 0,
                "max": max(len(live.lrs) - 1, 1),
                "step": 1,
                "name": "learning rate",
            },
        },
    ]


def exact_filter() -> str:
    """The exact runs are drawn unless a drag or a learning-rate preview is on."""
    return f"!length(data('{DRAG}_store')) && {LR} == {FRAME}.lr"


def sid_of_click(grid: int, n: int) -> str:
    """Vega expression: the family start nearest the click-grid point ``datum.i`` (of ``n x n``)."""
    col = f"round((datum.i % {n}) * {(grid - 1) / (n - 1)!r})"
    row = f"round(floor(datum.i / {n}) * {(grid - 1) / (n - 1)!r})"
    return f"{row} * {grid} + {col}"


def preview_layers(live: Live, bounds: Bounds, encodings: tuple[Spec, Spec], data: Datasets) -> list[Spec]:
    """The family runs from the start under the pointer, and those at the previewed learning rate."""
    starts = [
        {"sid": i, "name": live.names[v], "p": p}
        for v in range(2)
        for i, p in enumerate(encode_paths(live.preview[v], bounds))
    ]
    rates = [
        {"kr": k, "name": live.names[v], "p": p}
        for v in range(2)
        for k, p in enumerate(encode_paths(live.lr_paths[v], bounds))
        if k != live.lr_index
    ]
    colour, dash = encodings
    width = {
        "field": "name",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": list(live.names), "range": [4.0, 2.0]},
    }
    line = {
        "mark": {"type": "line", "clip": True, "point": {"filled": True, "opacity": 0.9, "size": 6}},
        "encoding": {
            "color": colour,
            "strokeDash": dash,
            "strokeWidth": width,
            "order": field("k", "quantitative"),
        },
    }
    head = {
        "mark": {
            "type": "point",
            "clip": True,
            "filled": True,
            "size": 170,
            "fill": "white",
            "stroke": "black",
        },
    }
    drag_data = data.add(starts)
    lr_data = data.add(rates) if rates else data.add([{"kr": -1, "name": live.names[0], "p": ""}])
    select = {"param": DRAG, "empty": False}
    return [
        {"data": drag_data, "transform": [{"filter": select}, *decode("p")], **line},
        {
            "data": drag_data,
            "transform": [{"filter": select}, *decode("p"), {"filter": "datum.k == 0"}],
            **head,
        },
        {"data": lr_data, "transform": [{"filter": f"datum.kr == {LR}"}, *decode("p")], **line},
    ]


def head_layer(paths_data: Spec, transform: list[Spec], colour: Spec) -> Spec:
    """A marker at each exact run's head (its last finite row at or before the step), coloured by
    the runs' ``colour`` encoding (its legend is the lines')."""
    return {
        "data": paths_data,
        "transform": [
            *transform,
            {"joinaggregate": [{"op": "max", "field": "step", "as": "last"}], "groupby": ["name"]},
            {"filter": f"({exact_filter()}) && datum.step == min({STEP}, datum.last)"},
        ],
        "mark": {
            "type": "point",
            "clip": True,
            "filled": True,
            "size": 110,
            "stroke": "black",
            "strokeWidth": 1.5,
            "opacity": 1,
        },
        "encoding": {"color": {**colour, "legend": None}},
    }


def basin_image(labels: np.ndarray, n_minima: int) -> str:
    """A PNG ``data:`` URL of basin ``labels (R, R)`` (row 0 = the lowest w2), semi-transparent."""
    colours = {k: BASIN_COLOURS[k % len(BASIN_COLOURS)] for k in range(max(n_minima, 0))}
    colours[-1], colours[-2] = ELSEWHERE_COLOUR, DIVERGED_COLOUR
    rgba = np.zeros((*labels.shape, 4), np.uint8)
    for label, colour in colours.items():
        rgba[labels == label] = [int(colour[i : i + 2], 16) for i in (1, 3, 5)] + [150]
    return data_url(Image.fromarray(np.ascontiguousarray(rgba[::-1]), "RGBA"))


def format_hover(values: np.ndarray) -> str:
    """Values for the hover readout as it shows them: 4 significant digits with real minus signs,
    comma-joined ("NaN" where not finite)."""
    flat = np.asarray(values, float).ravel()
    flat = np.where(np.isfinite(flat), flat, np.nan).tolist()  # (a list: str.format per float is 3x faster)
    return ",".join(map("{:.4g}".format, flat)).replace("nan", "NaN").replace("-", "−")
