"""The landscape pair: heat map, contours, gradient arrows, runs and a click grid (no JAX).

The pair, drawn on every rerun, is a Vega-Lite dict built directly (for
``st.vega_lite_chart``): built as Altair objects it would dominate a rerun. Contour
lines are drawn on the colour ranks (:mod:`lossviz.charts.raster`), at quantiles.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
from collections.abc import Sequence
from typing import Any

import contourpy
import numpy as np

from lossviz.charts import live as live_layers
from lossviz.charts.live import Live
from lossviz.charts.packed import (
    Bounds,
    Datasets,
    Spec,
    axis_title,
    decimals,
    field,
    kept,
    pack,
    packed_xy,
    row_number,
    unpack,
)
from lossviz.charts.raster import colour_positions, grid_image, png_data_url
from lossviz.charts.style import SCHEMA_URL, STYLE_COLOURS, STYLE_DASHES, format_value
from lossviz.lru import LRU

START_SELECTION = "start_click"
"""The click selection (the grid point's number ``i``: :func:`grid_point`), the only one sent to the server."""
CLICK_GRID = 41
"""Points per axis of the click grid (where a click can land)."""
HOVER = "hover_at"
"""The grid point under the pointer (its ``i``), for the hover readout; the browser's own."""
CONTOUR_LEVELS = tuple((k + 0.5) / 10 for k in range(10))
_CONTOUR_LEVEL_SETS = (CONTOUR_LEVELS, (0.05, 0.25, 0.45, 0.55, 0.75, 0.95), (0.25, 0.75))
COLOURBAR_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
_CONTOUR_MAX_POINTS = 3000  # vertices per panel; a wiggly landscape (Rastrigin) gets fewer levels

# a five-pointed star as an SVG path in the unit square that Vega scales by `size`
_STAR = (
    "M"
    + "L".join(
        f"{r * math.sin(k * math.pi / 5):.3f},{-r * math.cos(k * math.pi / 5):.3f}"
        for k, r in zip(range(10), [1.0, 0.42] * 5, strict=True)
    )
    + "Z"
)


@dataclasses.dataclass(frozen=True, eq=False)
class PathData:
    """One optimizer trajectory to draw on a panel.

    Attributes:
      name: legend label, e.g. ``"original run"``.
      params: ``(T, 2)`` parameters per step; drawn up to the first non-finite row.
      style: ``"original"`` (solid) or ``"transformed"`` (dashed).
    """

    name: str
    params: np.ndarray
    style: str


@dataclasses.dataclass(frozen=True, eq=False)
class Panel:
    """Everything one landscape panel draws.

    Attributes:
      title: panel title.
      w1: ``(R,)`` and ``w2``: ``(R,)`` grid axes.
      values: ``(R, R)`` with ``values[i, j] = f(w1[j], w2[i])``; non-finite = transparent.
      field_w1: ``(F,)`` and ``field_w2``: ``(F,)`` axes of the coarse gradient grid.
      field_grad: ``(F, F, 2)`` with ``field_grad[i, j] = ∇f(field_w1[j], field_w2[i])``.
      paths: trajectories drawn on the panel.
      start: ``(w1, w2)`` of the start point.
      minima: known minimisers ``((w1, w2), ...)``, maybe empty.
      current: playback markers ``((style, w1, w2), ...)``, maybe empty.
      param_names: axis titles.
      bounds: ``((w1_min, w1_max), (w2_min, w2_max))``.
      basins: ``None``, or the basin map to overlay: ``(labels (R, R), w1 (R,), w2 (R,))``
        (see :func:`lossviz.families.basins`).
    """

    title: str
    w1: np.ndarray
    w2: np.ndarray
    values: np.ndarray
    field_w1: np.ndarray
    field_w2: np.ndarray
    field_grad: np.ndarray
    paths: tuple[PathData, ...]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    current: tuple[tuple[str, float, float], ...]
    param_names: tuple[str, str]
    bounds: Bounds
    basins: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def colour_bar_labels(values: np.ndarray) -> list[str]:
    """Labels of :data:`COLOURBAR_TICKS`: the quantiles of the finite ``values``."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return ["n/a"] * len(COLOURBAR_TICKS)
    return [format_value(q) for q in np.quantile(finite, COLOURBAR_TICKS)]


def _to_pixels(xy: np.ndarray, bounds: Bounds, size: tuple[float, float]) -> np.ndarray:
    (lo1, hi1), (lo2, hi2) = bounds
    return (xy - [lo1, lo2]) * [size[0] / (hi1 - lo1), size[1] / (hi2 - lo2)]


def _vertex_costs(px: np.ndarray) -> np.ndarray:
    """Cumulative drawing cost along a polyline (n, 2) in pixels: 1 per 20 px or per 20° of turning."""
    step = np.diff(px, axis=0)
    heading = np.arctan2(step[:, 1], step[:, 0])
    turn = np.abs(np.angle(np.exp(1j * np.diff(heading))))
    return np.r_[0.0, np.cumsum(np.hypot(step[:, 0], step[:, 1]) / 20.0 + np.r_[0.0, turn] / np.radians(20))]


def contour_lines(
    w1: np.ndarray, w2: np.ndarray, t: np.ndarray, bounds: Bounds, size: tuple[float, float]
) -> list[np.ndarray]:
    """Contour lines of colour positions ``t`` at :data:`CONTOUR_LEVELS`, thinned for drawing.

    Args:
      w1: ``(R,)``; w2: ``(R,)``; t: ``(R, R)`` from :func:`colour_positions`, NaN = no value.
      bounds: the panel window; size: its ``(width, height)`` in pixels.

    Returns:
      One ``(n, 2)`` array of ``(w1, w2)`` vertices per line. Vertices are kept every
      20 px or 20° of turning (about 0.2 px from the exact line); dot-sized rings are
      dropped. A landscape too wiggly for :data:`_CONTOUR_MAX_POINTS` (Rastrigin) gets
      fewer levels, still symmetric so that ``-L`` gets the same lines, then coarser lines.
    """
    generator = contourpy.contour_generator(
        x=np.asarray(w1, float), y=np.asarray(w2, float), z=np.ma.masked_invalid(t)
    )
    per_level = {}
    for level in CONTOUR_LEVELS:
        pixels = [(xy, _to_pixels(xy, bounds, size)) for xy in generator.lines(level) if len(xy) > 2]
        per_level[level] = [(xy, _vertex_costs(px)) for xy, px in pixels if np.ptp(px, axis=0).max() >= 3]
    total = lambda levels: sum(cost[-1] for level in levels for _, cost in per_level[level])
    levels = next(
        (s for s in _CONTOUR_LEVEL_SETS if total(s) <= _CONTOUR_MAX_POINTS), _CONTOUR_LEVEL_SETS[-1]
    )
    scale = min(1.0, _CONTOUR_MAX_POINTS / max(total(levels), 1.0))
    thinned = []
    for xy, cost in (line for level in levels for line in per_level[level]):
        keep = np.r_[True, np.diff(np.floor(cost * scale)) > 0]
        keep[-1] = True
        thinned.append(xy[keep])
    return thinned


def wedge_angles(dx: np.ndarray, dy: np.ndarray, width: float, height: float, bounds: Bounds) -> np.ndarray:
    """Vega ``angle`` (degrees, 0 = up, clockwise) of data-space directions ``(dx, dy)``.

    The direction is turned into pixels first, so a non-square panel is respected.
    """
    (lo1, hi1), (lo2, hi2) = bounds
    dx_px, dy_px = np.asarray(dx) * width / (hi1 - lo1), np.asarray(dy) * height / (hi2 - lo2)
    return (90.0 - np.degrees(np.arctan2(dy_px, dx_px))) % 360.0


def gradient_arrows(panel: Panel, width: float, height: float) -> dict[str, np.ndarray]:
    """Arrows of ``-∇f`` where it is finite and non-zero.

    Returns:
      ``w1``, ``w2``, ``angle`` (see :func:`wedge_angles`) and ``m``: log-magnitude in
      ``[0, 1]`` per panel (so ``a·L`` looks like ``L``), each of shape ``(K,)``.
    """
    g1, g2 = np.meshgrid(panel.field_w1, panel.field_w2)
    grad = np.asarray(panel.field_grad, dtype=np.float64).reshape(-1, 2)
    dx, dy = -grad[:, 0], -grad[:, 1]
    norm = np.hypot(dx, dy)
    keep = np.isfinite(norm) & (norm > 0)
    log_norm = np.log(norm[keep])
    # floor at the 5th percentile: one near-zero gradient at a minimum must not shrink all the others
    lo, hi = np.percentile(log_norm, [5, 100]) if log_norm.size else (0.0, 0.0)
    m = np.clip((log_norm - lo) / (hi - lo), 0, 1) if hi > lo else np.ones_like(log_norm)
    angle = wedge_angles(dx[keep], dy[keep], width, height, panel.bounds)
    return {"w1": g1.ravel()[keep], "w2": g2.ravel()[keep], "angle": angle, "m": m}


def finite_prefix(params: np.ndarray) -> np.ndarray:
    """Rows of ``params`` (T, 2) before the first non-finite one."""
    params = np.asarray(params, dtype=np.float64).reshape(-1, 2)
    bad = np.flatnonzero(~np.isfinite(params).all(axis=1))
    return params[: bad[0]] if bad.size else params


# --- landscape panels -----------------------------------------------------------
#
# The landscape pair is a plain Vega-Lite dict: built as Altair objects, the objects and
# their ``to_dict`` (deep copies and schema validation) dominated every rerun. The tests
# validate these dicts against the Vega-Lite schema instead. What is left is the numerics
# of the heat map, contours and arrows; they depend only on the landscape, not on the
# runs, so they are memoised: a learning rate, start point or playback step changes only
# the paths and markers.

# landscapes (and gradient fields) remembered, a few tens of KB each (~100 KB at most: 64 take
# < 7 MB); shared by all sessions, like ``st.cache_data``: values are never mutated (callers copy
# before editing). 64, not fewer: the views that recur (each problem's L and its arrows, the
# non-differentiable page's surrogate at each temperature of its slider) are ~40 entries, and every
# new transform adds two; with 16 a few visitors' new views pushed the recurring ones out.
MEMO: LRU[bytes, Any] = LRU(64)


def _digest(*parts: Any) -> bytes:
    """A hash of arrays (dtype, shape and bytes) and of the ``repr`` of other values."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(memoryview(a).cast("B"))
        else:
            h.update(repr(part).encode())
        h.update(b"\x00")
    return h.digest()


def _window(panel: Panel, size: tuple[float, float]) -> tuple[Any, ...]:
    """The panel's bounds and pixel size as plain floats (part of the memo keys)."""
    return (*(float(v) for pair in panel.bounds for v in pair), *map(float, size))


@dataclasses.dataclass(frozen=True)
class _Surface:
    """What a panel draws of its values: the heat map, the contours and the colour-bar labels."""

    image: dict[str, Any]
    contours: tuple[dict[str, Any], ...]
    labels: tuple[str, ...]


def _surface(panel: Panel, size: tuple[float, float]) -> _Surface:
    """The records of :func:`_image_layer` and :func:`_contour_layer` (memoised)."""
    values, w1, w2 = (np.asarray(a, float) for a in (panel.values, panel.w1, panel.w2))

    def compute() -> _Surface:
        t = colour_positions(values)
        image = grid_image(w1, w2, png_data_url(t[::-1]))
        lines = contour_lines(w1, w2, t, panel.bounds, size)
        contours = tuple({"line": k, **packed_xy(xy, panel.bounds)} for k, xy in enumerate(lines))
        return _Surface(image, contours, tuple(colour_bar_labels(values)))

    return MEMO.get(_digest("surface", values, w1, w2, *_window(panel, size)), compute)


def _sided(data: Datasets, role: str, side: int, records: list[dict[str, Any]], layer: Spec) -> list[Spec]:
    """``layer`` drawing ``records`` of the panel on ``side``: one layer, or two (see
    :meth:`~lossviz.charts.packed.Datasets.add_side`)."""
    return [
        {"data": source, **layer, "transform": [*first, *layer.get("transform", [])]}
        for source, first in data.add_side(role, side, records)
    ]


def _image_layer(image: dict[str, Any], data: Datasets, side: int, role: str) -> list[Spec]:
    """A PNG stretched over grid cells (pixel centres on the grid points, see
    :func:`~lossviz.charts.raster.grid_image`): the heat map, or the basin map."""
    layer = {
        "mark": {"type": "image", "aspect": False, "clip": True},
        "encoding": {"url": field("url", "nominal"), "x2": {"field": "w1_end"}, "y2": {"field": "w2_end"}},
    }
    return _sided(data, role, side, [dict(image)], layer)


def _contour_layer(surface: _Surface, data: Datasets, side: int) -> list[Spec]:
    """Thin white lines at the quantiles of the values (see :func:`contour_lines`)."""
    layer = {
        "mark": {"type": "line", "clip": True, "color": "white", "opacity": 0.45, "strokeWidth": 0.8},
        "encoding": {"detail": field("line", "nominal"), "order": field("order", "quantitative")},
        "transform": [*unpack(["w1", "w2"]), row_number("order", "line")],
    }
    return _sided(data, "contours", side, [dict(r) for r in surface.contours], layer)


def _arrow_record(panel: Panel, size: tuple[float, float]) -> dict[str, str]:
    """The packed arrows of :func:`gradient_arrows` (memoised)."""

    def compute() -> dict[str, str]:
        arrows = gradient_arrows(panel, *size)
        xy = np.stack([arrows["w1"], arrows["w2"]], axis=-1)
        packed = {"angle": pack(arrows["angle"], 0), "m": pack(arrows["m"], 2)}
        return {**packed_xy(xy, panel.bounds), **packed}

    fields = (np.asarray(a, float) for a in (panel.field_w1, panel.field_w2, panel.field_grad))
    return dict(MEMO.get(_digest("arrows", *fields, *_window(panel, size)), compute))


def _arrow_layer(panel: Panel, size: tuple[float, float], data: Datasets, side: int) -> list[Spec]:
    """White arrows along ``-∇f``, larger and more opaque where the gradient is steeper."""
    record = _arrow_record(panel, size)
    unit = {"domain": [0, 1]}
    layer = {
        "mark": {
            "type": "point",
            "clip": True,
            "color": "white",
            "filled": True,
            "shape": "arrow",
            "strokeWidth": 0,
        },
        "encoding": {
            "angle": field("angle", "quantitative", scale=None),
            "opacity": field("m", "quantitative", legend=None, scale={**unit, "range": [0.3, 0.85]}),
            "size": field("m", "quantitative", legend=None, scale={**unit, "range": [12, 150]}),
        },
        "transform": unpack(list(record)),
    }
    return _sided(data, "arrows", side, [record], layer)


def _run_encodings(paths: Sequence[PathData], columns: int = 0) -> tuple[Spec, Spec]:
    """Colour and dash encodings per path name, from its style; ``columns`` of the legend (0: one row)."""
    styles = {p.name: p.style for p in paths}
    names = list(styles)
    legend = {"orient": "bottom", "symbolSize": 300, "symbolStrokeWidth": 2.5, "symbolType": "stroke"}
    if columns:
        legend["columns"] = columns
    colours = [STYLE_COLOURS.get(s, "white") for s in styles.values()]
    dashes = [STYLE_DASHES.get(s, [1, 0]) for s in styles.values()]
    return (
        field("name", "nominal", legend=legend, scale={"domain": names, "range": colours}, title=None),
        # no dash legend: Streamlit's Vega-Lite draws it as a second legend instead of merging the two
        field("name", "nominal", legend=None, scale={"domain": names, "range": dashes}),
    )


LIVE_VERTICES = 300
"""The most vertices a live run is drawn with (see :func:`_path_layers`)."""


def _path_layers(
    panel: Panel, runs: tuple[Spec, Spec], data: Datasets, live: Live | None = None
) -> list[Spec]:
    """The finite part of each path: a dark casing, then the line with a dot per step.

    With ``live``, drawn up to the in-browser step (and hidden during a preview),
    with a marker at each head.
    """
    if live is None:
        records = [
            {"name": p.name, **packed_xy(xy, panel.bounds)}
            for p in panel.paths
            if len(xy := finite_prefix(p.params))
        ]
        transform = [*unpack(["w1", "w2"]), row_number("step", "name")]
    else:
        # at most LIVE_VERTICES vertices a run (every k-th step and the last finite one): the path is
        # redrawn at every step of a playback, which moves by steps / 120 anyway
        records = []
        for p in panel.paths:
            xy = finite_prefix(p.params)
            if len(xy):
                keep = np.unique(np.r_[np.arange(0, len(xy), -(-len(xy) // LIVE_VERTICES)), len(xy) - 1])
                records.append({"name": p.name, **packed_xy(xy[keep], panel.bounds), "step": pack(keep, 0)})
        transform = unpack(["w1", "w2", "step"])
    paths = {"data": data.add(records)}
    if live is not None:
        heads = live_layers.head_layer(paths["data"], transform, runs[0])
        transform = [
            *transform,
            {"filter": f"({live_layers.exact_filter()}) && datum.step <= {live_layers.STEP}"},
        ]
    order = field("step", "quantitative")
    # Dashed runs are drawn thinner, on top of thicker solid ones: where two runs
    # coincide (a shifted loss), both stay visible, the solid colour in the gaps.
    names = list(dict.fromkeys(p.name for p in panel.paths))
    styles = {p.name: p.style for p in panel.paths}
    widths = [2.0 if STYLE_DASHES.get(styles[n], [1, 0])[1] else 4.0 for n in names]
    width = {"field": "name", "type": "nominal", "legend": None, "scale": {"domain": names, "range": widths}}
    layers = [
        # the casing keeps orange/magenta readable on every viridis colour
        {
            **paths,
            "mark": {"type": "line", "clip": True, "color": "black", "opacity": 0.45, "strokeWidth": 5.5},
            "encoding": {"detail": field("name", "nominal"), "order": order},
            "transform": transform,
        },
        {
            **paths,
            # with a dot per step where the path is static; a live path (redrawn at every step of a
            # playback) is a line only: 1,000 dots per run to rebuild each frame halved the frame rate
            "mark": {"type": "line", "clip": True}
            if live is not None
            else {"type": "line", "clip": True, "point": {"filled": True, "opacity": 0.9, "size": 6}},
            "encoding": {"color": runs[0], "order": order, "strokeDash": runs[1], "strokeWidth": width},
            "transform": transform,
        },
    ]
    return layers if live is None else [*layers, heads]


def _marker_layer(panel: Panel, data: Datasets, side: int) -> list[Spec]:
    """Known minima (stars), the start (big white disc) and the playback positions, in one layer."""
    rows = [
        *((_STAR, "white", 220, a, b) for a, b in panel.minima),
        ("circle", "white", 170, *panel.start),
        *(("circle", STYLE_COLOURS.get(s, "white"), 110, a, b) for s, a, b in panel.current),
    ]
    # a diverged run has no current position: drop non-finite markers (JSON has no NaN)
    records = [
        {"shape": shape, "fill": fill, "size": size, "w1": float(a), "w2": float(b)}
        for shape, fill, size, a, b in rows
        if math.isfinite(a) and math.isfinite(b)
    ]
    layer = {
        "mark": {
            "type": "point",
            "clip": True,
            "filled": True,
            "opacity": 1,
            "stroke": "black",
            "strokeWidth": 1.5,
        },
        "encoding": {
            "color": field("fill", "nominal", scale=None),
            "shape": field("shape", "nominal", scale=None),
            "size": field("size", "quantitative", scale=None),
        },
    }
    return _sided(data, "markers", side, records, layer)


def _grid_pixels(n: int, size: tuple[int, int]) -> list[Spec]:
    """Transforms giving the click-grid point ``datum.i`` (of ``n x n``, row-major from the lowest
    ``w2``) its position in pixels (``px``, ``py``), which no problem changes."""
    width, height = size
    return [
        {"calculate": f"(datum.i % {n}) * {width / (n - 1)!r}", "as": "px"},
        {"calculate": f"{height} - floor(datum.i / {n}) * {height / (n - 1)!r}", "as": "py"},
    ]


def _pixels() -> Spec:
    """x and y encodings of a layer placed in pixels (no scale)."""
    return {k: field(f"p{k}", "quantitative", scale=None) for k in "xy"}


def grid_point(i: int, n: int, bounds: Bounds) -> tuple[float, float]:
    """The parameters ``(w1, w2)`` of point ``i`` of the ``n x n`` click grid over ``bounds``, rounded
    to the window's decimals (0.3, not 0.30000000000000004) as the hover readout shows them.

    >>> grid_point(3, 41, ((-2.0, 2.0), (-1.0, 3.0)))
    (-1.7, -1.0)
    """
    out = []
    for k, (lo, hi) in zip((i % n, i // n), bounds, strict=True):
        m = 10.0 ** decimals(lo, hi)
        out.append(math.floor((lo + k * (hi - lo) / (n - 1)) * m + 0.5) / m)  # JavaScript's Math.round
    return out[0], out[1]


def _click_layer(n: int, name: str, size: tuple[int, int], live: Live | None = None) -> Spec:
    """``n x n`` invisible points over the panel: the targets of clicks, drags and the hover readout.

    Drawn last: its ``nearest`` Voronoi cells cover the panel and take every click and hover.
    ``name`` is the view that :data:`START_SELECTION` and :data:`HOVER` are bound to. A point is its
    number ``i`` and its place in pixels, whatever the problem: a switch leaves the layer as it is
    (its 2 x 1,681 points, their Voronoi cells, re-encoded at every switch when they carried their
    coordinates and losses, were two thirds of Vega's work of a switch). The server turns a clicked
    ``i`` into parameters (:func:`grid_point`); the readout computes them for the hovered point only.
    With ``live``, each point also names its nearest family start (``sid``), for the drag preview.
    """
    transform = _grid_pixels(n, size)
    if live is not None:
        transform.append({"calculate": live_layers.sid_of_click(live.grid, n), "as": "sid"})
    return {
        "data": {"sequence": {"start": 0, "stop": n * n, "as": "i"}},
        # opacity 0: the points are not painted (Vega skips them), yet clicks, drags and the hover
        # readout work, through the nearest-point cells Vega-Lite lays over them
        # no tooltip (Streamlit's theme gives every mark one of its encoding: px and py here)
        "mark": {
            "type": "point",
            "filled": True,
            "opacity": 0,
            "shape": "square",
            "size": 30,
            "tooltip": None,
        },
        "encoding": _pixels(),
        "name": name,
        "transform": transform,
    }


def _readout_layers(n: int, size: tuple[int, int], data: Datasets, hover=None) -> list[Spec]:
    """The hover readout: beside the grid point under the pointer (:data:`HOVER`), its parameters
    named as the problem names them (the frame's ``n1``, ``n2``) and, with ``hover`` (``(L, L')`` at
    the points, ``(n * n,)`` each), both losses there, as :func:`~lossviz.charts.live.format_hover`
    wrote them. Computed for that one point only, when the pointer moves. Drawn under the click
    grid, whose cells take the pointer."""
    f = live_layers.FRAME
    lines = [
        f"{f}.n1 + ' = ' + round(({f}.lo1 + (datum.i % {n}) * {f}.c1) * {f}.m1) / {f}.m1 + ',  ' + "
        f"{f}.n2 + ' = ' + round(({f}.lo2 + floor(datum.i / {n}) * {f}.c2) * {f}.m2) / {f}.m2"
    ]
    extra: list[Spec] = []
    if hover is not None:
        source = data.add_fixed(
            "hover", [{"L": live_layers.format_hover(hover[0]), "Lp": live_layers.format_hover(hover[1])}]
        )
        values = f"data('{source['name']}')[0]"
        lines += [f"'L = ' + split({values}.L, ',')[datum.i]", f"'L′ = ' + split({values}.Lp, ',')[datum.i]"]
        extra.append(kept(source))  # the expressions read it: Vega keeps only data sets some layer draws
    right = f"datum.px > {0.6 * size[0]!r}"
    # one row, which takes the hovered point's number from the selection's store: a pointer move
    # computes one readout per layer (filtering the 1,681 grid points by the selection in each of
    # the readout's layers took a drag's redraw from ~23 to ~80 ms a move)
    store = f"data('{HOVER}_store')"
    transform = [
        {"calculate": f"length({store}) ? {store}[0].values[0] : -1", "as": "i"},
        {"filter": f"datum.i >= 0 && !length(data('{live_layers.DRAG}_store'))"},  # hidden while dragging
        *_grid_pixels(n, size),
        {"calculate": f"[{', '.join(lines)}]", "as": "lines"},
        {"calculate": f"{right} ? datum.px - 12 : datum.px + 12", "as": "tx"},
        {"calculate": "max(datum.py - 10, 34)", "as": "ty"},
    ]
    # clipped to the plot, as the other layers are
    text = {
        "type": "text",
        "clip": True,
        "tooltip": None,
        "align": {"expr": f"{right} ? 'right' : 'left'"},
        "baseline": "bottom",
        "fontSize": 12,
        "lineHeight": 15,
    }
    at = {"x": field("tx", "quantitative", scale=None), "y": field("ty", "quantitative", scale=None)}
    sequence = {"sequence": {"start": 0, "stop": 1, "as": "row"}}
    lines_field = field("lines", "nominal")
    return [
        *extra,
        # a ring on the point, and the text in white over a dark halo: readable on every colour map
        {
            "data": sequence,
            "transform": transform,
            "mark": {
                "type": "point",
                "clip": True,
                "shape": "circle",
                "size": 90,
                "stroke": "white",
                "strokeWidth": 2,
                "tooltip": None,
            },
            "encoding": _pixels(),
        },
        {
            "data": sequence,
            "transform": transform,
            "mark": {**text, "stroke": "black", "strokeWidth": 3, "strokeOpacity": 0.75, "fill": "black"},
            "encoding": {**at, "text": lines_field},
        },
        {
            "data": sequence,
            "transform": transform,
            "mark": {**text, "fill": "white"},
            "encoding": {**at, "text": lines_field},
        },
    ]


def _panel(
    panel: Panel,
    runs: tuple[Spec, Spec],
    size: tuple[int, int],
    click_grid: int,
    name: str,
    data: Datasets,
    side: int,
    frame: dict[str, float | str],
    live: Live | None = None,
    hover=None,
) -> Spec:
    """One landscape panel and its colour bar; ``name`` names its click grid (the selection's view);
    ``side``: 0 for the left (or upper) panel of the pair, 1 for the other; ``frame``: see
    :func:`_frame`."""
    surface = _surface(panel, size)
    basins = []
    if panel.basins is not None:
        labels, b1, b2 = panel.basins
        url = live_layers.basin_image(labels, len(panel.minima))
        basins = _image_layer(grid_image(b1, b2, url), data, side, "basins")
    layers = [
        *_image_layer(surface.image, data, side, "heat map"),
        *basins,
        *_contour_layer(surface, data, side),
        *_arrow_layer(panel, size, data, side),
        *_path_layers(panel, runs, data, live),
        *([] if live is None else live_layers.preview_layers(live, panel.bounds, runs, data)),
        *_marker_layer(panel, data, side),
        *_readout_layers(click_grid, size, data, hover),
        _click_layer(click_grid, name, size, live),  # on top, so a click anywhere reaches it
    ]
    scale = {"nice": False, "zero": False}
    # the frame's numbers go in the left colour bar's record, which the parameter reads
    bar, texts = _colour_bar(surface, panel.title, size[1], data, frame if side == 0 else {})
    f = live_layers.FRAME
    view = {
        "layer": layers,
        "encoding": {
            "x": field(
                "w1", "quantitative", scale={"domain": {"expr": f"[{f}.lo1, {f}.hi1]"}, **scale}, title=None
            ),
            "y": field(
                "w2", "quantitative", scale={"domain": {"expr": f"[{f}.lo2, {f}.hi2]"}, **scale}, title=None
            ),
        },
        "height": size[1],
        "title": axis_title(f"{f}.n1", "bottom"),
        "width": size[0],
    }
    pair = {"hconcat": [view, bar], "spacing": 6, "title": {"text": {"expr": f"{texts}.title"}}}
    return {"vconcat": [pair], "title": axis_title(f"{f}.n2", "left", "bounds")}


@functools.cache
def _colour_bar_url() -> str:
    return png_data_url(np.linspace(1.0, 0.0, 64)[:, None])


def _colour_bar(
    surface: _Surface, title: str, height: int, data: Datasets, frame: dict[str, float | str]
) -> tuple[Spec, str]:
    """A thin strip of the colour map, labelled with the panel's quantiles; and the expression of
    the record holding those labels and the panel's ``title``.

    The texts are data, read by expressions (``data(name)``), not written into the spec: a switch
    that changes only them (another map g) leaves the spec as it is, and the browser replaces the
    data in place rather than building the chart again.
    """
    record = {
        "x": 0,
        "x2": 1,
        "y": 1,
        "y2": 0,
        "url": _colour_bar_url(),
        "title": title,
        **{f"l{k}": label for k, label in enumerate(surface.labels)},
        **frame,
    }
    source = data.add([record])
    texts = f"data('{source['name']}')[0]"
    step = len(COLOURBAR_TICKS) - 1
    axis = {
        "grid": False,
        # the ticks are evenly spaced from 0 to 1: the k-th is labelled by the record's field lk
        "labelExpr": f"{texts}['l' + round(datum.value * {step})]",
        "orient": "right",
        "title": None,
        "values": list(COLOURBAR_TICKS),
    }
    unit = {"domain": [0, 1]}
    spec = {
        "data": source,
        "mark": {"type": "image", "aspect": False},
        "encoding": {
            "url": field("url", "nominal"),
            "x": field("x", "quantitative", axis=None, scale=unit),
            "x2": {"field": "x2"},
            "y": field("y", "quantitative", axis=axis, scale=unit),
            "y2": {"field": "y2"},
        },
        "height": height,
        "width": 12,
    }
    return spec, texts


WIDE = 1040
"""The pair's width at its full size (two 380 x 320 panels side by side, with axes and colour bars)."""
_PANEL_EXTRA = 129  # a panel's axis, colour bar and labels around its plot, in pixels
_SPACING = 28


def layout(available: float | None) -> tuple[bool, int, int]:
    """``(stack, width, height)`` of the panels for a container ``available`` pixels wide.

    Full size side by side when the container holds it (or its width is unknown),
    smaller side by side down to 280 px panels, else stacked, each panel as wide
    as the container allows (a phone).
    """
    if available is None or available >= WIDE - 16:
        return False, 380, 320
    side = int((available - _SPACING) / 2 - _PANEL_EXTRA)
    if side >= 280:
        return False, side, int(side * 0.84)
    width = max(160, int(available - _PANEL_EXTRA - 8))
    return True, width, int(width * 0.84)


def _frame(bounds: Bounds, names: tuple[str, str], n: int, live: Live | None) -> dict[str, float | str]:
    """The pair's numbers and names that depend on the problem, read by its expressions from the
    parameter :data:`~lossviz.charts.live.FRAME`: the parameters' names (``n1``, ``n2``: the axis
    titles and the hover readout's), the window (``lo1``, ``hi1``, ``lo2``, ``hi2``), the
    ``n x n`` click grid's spacing (``c1``, ``c2``) and rounding (``m1``, ``m2``: 10 to the decimal
    places of :func:`~lossviz.charts.packed.decimals`), the families' decoding
    (:func:`~lossviz.charts.live.frame_fields`) and the current learning rate's position (``lr``)."""
    (lo1, hi1), (lo2, hi2) = bounds
    return {
        "n1": names[0],
        "n2": names[1],
        "lo1": lo1,
        "hi1": hi1,
        "lo2": lo2,
        "hi2": hi2,
        "c1": (hi1 - lo1) / (n - 1),
        "c2": (hi2 - lo2) / (n - 1),
        "m1": 10.0 ** decimals(lo1, hi1),
        "m2": 10.0 ** decimals(lo2, hi2),
        **live_layers.frame_fields(bounds),
        "lr": float(live.lr_index) if live is not None else 0.0,  # a float: one kind of number in JS
    }


def landscape_pair(
    left: Panel,
    right: Panel,
    *,
    width: int = 380,
    height: int = 320,
    click_grid: int = CLICK_GRID,
    live: Live | None = None,
    hover: tuple[np.ndarray, np.ndarray] | None = None,
    stack: bool = False,
    renderer: str = "canvas",
) -> dict[str, Any]:
    """The loss ``L`` (left) and ``L' = a g(L) + c`` (right), each with its colour bar.

    One Vega-Lite spec (a plain dict, for ``st.vega_lite_chart``), so identical data
    sets are sent once and the point selection :data:`START_SELECTION` serves both panels.

    The click grid (``click_grid x click_grid`` points) is where a click lands: the selection names
    the point's number, which :func:`grid_point` turns into parameters.

    Returns:
      A complete top-level Vega-Lite v6 spec: ``$schema``, ``hconcat``, ``params``
      and ``datasets`` (records named in the order they are added, referenced by name).
    """
    data = Datasets()
    runs = _run_encodings([*left.paths, *right.paths], columns=2 if width < 300 else 0)
    views = [f"{START_SELECTION}_{side}" for side in ("left", "right")]
    frame = _frame(left.bounds, left.param_names, click_grid, live)
    pairs = [
        _panel(p, runs, (width, height), click_grid, view, data, side, frame, live, hover)
        for side, (p, view) in enumerate(zip((left, right), views, strict=True))
    ]
    # the frame: the left colour bar's record (which holds its numbers), as a parameter
    bar = pairs[0]["vconcat"][0]["hconcat"][1]["data"]["name"]
    params: list[Spec] = [{"name": live_layers.FRAME, "expr": f"data('{bar}')[0] || {{}}"}]
    # one top-level parameter bound to both click grids
    # on release: a click, and the end of a drag (whose preview stays in the browser until then)
    select = {"type": "point", "fields": ["i"], "nearest": True, "on": "pointerup"}
    params.append({"name": START_SELECTION, "select": select, "views": views})
    # not while a button is held: a drag's pointer moves would update two selections, and Vega would
    # run its dataflow and redraw twice a move (~70 ms instead of ~25); the drag previews runs instead
    hover_at = {
        "type": "point",
        "fields": ["i"],
        "nearest": True,
        "on": "pointermove[!event.buttons]",
        "clear": "pointerout",
    }
    params.append({"name": HOVER, "select": hover_at, "views": views})
    if live is not None:
        params += live_layers.params(live, views)
    return {
        "$schema": SCHEMA_URL,
        ("vconcat" if stack else "hconcat"): pairs,
        "spacing": 28,
        "params": params,
        "datasets": dict(data),
        # Canvas: a switch redraws thousands of marks (images, contours, arrows, families) at once;
        # Vega's SVG renderer rewrote them as DOM nodes (a map switch 0.69 s in Chromium, 0.47 s
        # on a canvas). Streamlit picks canvas by itself only for more than 2,000 rows of data.
        # (renderer "svg": the same drawing as DOM nodes, which the browser tests read)
        "usermeta": {"embedOptions": {"renderer": "svg" if renderer == "svg" else "canvas"}},
    }
