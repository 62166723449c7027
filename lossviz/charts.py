"""Chart builders: plain numpy/pandas data in, Altair charts (or Vega-Lite dicts) out.

The landscape pair, drawn on every rerun, is a Vega-Lite dict built directly (for
``st.vega_lite_chart``); the other charts are Altair. No JAX and no Streamlit here.

Landscape colours are *rank* (histogram-equalised) positions of the values:
adding a constant, multiplying by a positive number or applying an increasing
``g`` leaves the picture identical (only the colour-bar labels change) and
negation reverses it, which is exactly what the app teaches. Contour lines are
drawn on the same ranks, at quantiles.

Long numeric columns travel packed (a comma-joined string, expanded by
Vega-Lite ``split`` + ``flatten`` transforms): a third of the JSON of one object
per row, which keeps an explorer view far under its 300 KB budget.

>>> import numpy as np
>>> v = np.array([[0.0, 1.0], [2.0, 3.0]])
>>> bool((colour_positions(v - 2 * np.pi) == colour_positions(3 * v)).all())
True
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import io
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import altair as alt
import cmap
import contourpy
import numpy as np
import pandas as pd
from PIL import Image

Bounds = tuple[tuple[float, float], tuple[float, float]]

START_SELECTION = "start_click"
STYLE_COLOURS = {
    "original": "#ff9e1b",
    "transformed": "#ff3fa4",
    # the ways of descending the 0-1 error (lossviz.nondifferentiable.METHODS)
    "zero_one": "#d9d9d9",  # light grey: visible on the dark landscape and in the white legend
    "zero_one_ste": "#ff3fa4",
    "zero_one_soft": "#ff9e1b",
    "logistic": "#22d3ee",
    "hinge": "#a3e635",
}
STYLE_DASHES = {"original": [1, 0], "transformed": [6, 3], "zero_one_ste": [6, 3]}
QUANTITIES = ("L", "L′")
COLOURMAP = "viridis"
CONTOUR_LEVELS = tuple((k + 0.5) / 10 for k in range(10))
_CONTOUR_LEVEL_SETS = (CONTOUR_LEVELS, (0.05, 0.25, 0.45, 0.55, 0.75, 0.95), (0.25, 0.75))
COLOURBAR_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
_PALETTE_SIZE = 255  # palette index 0 is the transparent "no value" colour
_ROUNDING = 1e-4  # coordinates rounded to this fraction of the window: a 20th of a pixel
_CONTOUR_MAX_POINTS = 3000  # vertices per panel; a wiggly landscape (Rastrigin) gets fewer levels
_DEVIATION_FLOOR = 1e-12  # log x-axis: bit-identical (zero) deviations are drawn at this floor

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


# --- colours ------------------------------------------------------------------


def colour_positions(values: np.ndarray) -> np.ndarray:
    """Rank of each value among the finite ones, in ``[0, 1]`` (ties share their mean rank).

    Args:
      values: any shape; non-finite entries give NaN.

    Returns:
      float array of the same shape.
    """
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    t = np.full(values.shape, np.nan)
    if ok.any():
        # one sort: equal values form a run of `counts` ranks starting at `first`
        _, inverse, counts = np.unique(values[ok], return_inverse=True, return_counts=True)
        first = np.cumsum(counts) - counts
        mean_rank = first + (counts - 1) / 2
        t[ok] = mean_rank[inverse] / max(int(ok.sum()) - 1, 1)
    return t


def _palette_indices(t: np.ndarray) -> np.ndarray:
    """Palette index ``1..255`` per colour position, ``0`` (transparent) for NaN."""
    idx = np.zeros(t.shape, dtype=np.uint8)
    ok = np.isfinite(t)
    idx[ok] = 1 + np.rint(t[ok] * (_PALETTE_SIZE - 1)).astype(np.uint8)
    return idx


def _palette() -> np.ndarray:
    """``(256, 4)`` uint8 RGBA: transparent, then the colour map's 255 colours."""
    rgba = np.asarray(cmap.Colormap(COLOURMAP)(np.linspace(0.0, 1.0, _PALETTE_SIZE)))
    return np.vstack([np.zeros((1, 4), np.uint8), np.rint(np.clip(rgba, 0, 1) * 255).astype(np.uint8)])


def render_rgba(values: np.ndarray) -> np.ndarray:
    """The heat-map pixels of ``values`` (R, R): ``(R, R, 4)`` uint8 RGBA, top row = largest ``w2``."""
    return _palette()[_palette_indices(colour_positions(values))[::-1]]


def png_data_url(t: np.ndarray) -> str:
    """A palette PNG of colour positions ``t`` (H, W), row 0 at the top, as a ``data:`` URL."""
    idx = np.ascontiguousarray(_palette_indices(np.atleast_2d(t)))
    image = Image.frombytes("P", (idx.shape[1], idx.shape[0]), idx.tobytes())
    image.putpalette(_palette()[:, :3].tobytes())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, transparency=0)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def format_value(v: float) -> str:
    """Short label for a loss value (``2510``, ``0.0123``, ``−2.5e−5``, ``1e8``) with real minus signs."""
    if v != 0 and not 1e-3 <= abs(v) < 1e5:
        text = f"{v:.1e}".replace(".0e", "e").replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    else:
        text = f"{v:.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return text.replace("-", "−")


def colour_bar_labels(values: np.ndarray) -> list[str]:
    """Labels of :data:`COLOURBAR_TICKS`: the quantiles of the finite ``values``."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return ["n/a"] * len(COLOURBAR_TICKS)
    return [format_value(q) for q in np.quantile(finite, COLOURBAR_TICKS)]


# --- geometry -----------------------------------------------------------------


def _pack(x: np.ndarray, decimals: int) -> str:
    """Numbers rounded to ``decimals`` places (``0``: integers), joined by commas."""
    x = np.round(np.asarray(x, dtype=np.float64), decimals)
    return ",".join(map(repr, x.astype(np.int64).tolist() if decimals == 0 else x.tolist()))


def _decimals(lo: float, hi: float) -> int:
    """Decimal places that resolve :data:`_ROUNDING` of the window ``[lo, hi]``."""
    return max(0, math.ceil(-math.log10(max(hi - lo, 1e-12) * _ROUNDING)))


def _packed_xy(xy: np.ndarray, bounds: Bounds) -> dict[str, str]:
    """``w1``/``w2`` columns of ``xy`` (n, 2) rounded to a 20th of a pixel, packed."""
    return {"w1": _pack(xy[:, 0], _decimals(*bounds[0])), "w2": _pack(xy[:, 1], _decimals(*bounds[1]))}


def _unpacked(records: list[dict[str, Any]], fields: Sequence[str]) -> alt.Chart:
    """A chart of ``records`` whose packed ``fields`` become one row per number.

    Numbers travel as comma-joined strings: about a third of the JSON of one
    object per row, and Altair neither deep-copies nor validates them one by one
    (lists of numbers made ``to_dict`` of one explorer view take ~1 s).
    """
    chart = alt.Chart(_inline(records)).transform_calculate(**{f: f"split(datum.{f}, ',')" for f in fields})
    return chart.transform_flatten(list(fields)).transform_calculate(
        **{f: f"toNumber(datum.{f})" for f in fields}
    )


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
# The landscape pair is a plain Vega-Lite dict: built as Altair objects it cost ~170 ms
# plus ~235 ms of ``to_dict`` (deep copies and schema validation) on every rerun. The
# tests validate these dicts against the Vega-Lite schema instead. What is left is the
# numerics of the heat map, contours and arrows (~20 ms a panel); they depend only on
# the landscape, not on the runs, so they are memoised: a learning rate, start point or
# playback step changes only the paths and markers.

Spec = dict[str, Any]
_T = TypeVar("_T")
_MEMO_SIZE = 16  # landscapes (and gradient fields) remembered, a few tens of KB each
_memo: OrderedDict[bytes, Any] = OrderedDict()
_memo_lock = threading.Lock()


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


def _memoised(key: bytes, compute: Callable[[], _T]) -> _T:
    """``compute()``, remembered under ``key`` (least recently used first out).

    Shared by all sessions, like ``st.cache_data``: values must be immutable or
    copied by the caller before use.
    """
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
    value = compute()  # outside the lock: at worst two sessions compute the same value
    with _memo_lock:
        _memo[key] = value
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return value


def _window(panel: Panel, size: tuple[float, float]) -> tuple[Any, ...]:
    """The panel's bounds and pixel size as plain floats (part of the memo keys)."""
    return (*(float(v) for pair in panel.bounds for v in pair), *map(float, size))


def _inline(records: list[dict[str, Any]]) -> dict[str, Any]:
    # a plain dict skips Altair's DataFrame handling (and its 5000-row limit) and is still
    # consolidated into the top-level `datasets`, so data identical in both panels is sent once
    return {"values": records}


class _Datasets(dict[str, list[dict[str, Any]]]):
    """The top-level ``datasets`` of a spec: records keyed by a hash of their content.

    Named like Altair names inline data, so records identical in both panels are sent once.
    """

    def add(self, records: list[dict[str, Any]]) -> Spec:
        """Stores ``records``; returns the layer's ``data`` (a reference by name)."""
        text = json.dumps(records, sort_keys=True)
        name = "empty" if records == [{}] else "data-" + hashlib.sha256(text.encode()).hexdigest()[:32]
        self.setdefault(name, records)
        return {"name": name}


def _unpack(fields: Sequence[str]) -> list[Spec]:
    """Transforms that turn packed ``fields`` (see :func:`_pack`) into one row per number."""
    return [
        *({"calculate": f"split(datum.{f}, ',')", "as": f} for f in fields),
        {"flatten": list(fields)},
        *({"calculate": f"toNumber(datum.{f})", "as": f} for f in fields),
    ]


def _row_number(name: str, groupby: str) -> Spec:
    """A window transform numbering the rows of each ``groupby`` group (flatten keeps their order)."""
    return {"window": [{"op": "row_number", "field": "", "as": name}], "groupby": [groupby]}


def _field(name: str, kind: str, **props: Any) -> Spec:
    return {"field": name, "type": kind, **props}


@dataclasses.dataclass(frozen=True)
class _Surface:
    """What a panel draws of its values: the heat map, the contours and the colour-bar labels."""

    image: dict[str, Any]
    contours: tuple[dict[str, Any], ...]
    label_expr: str


def _surface(panel: Panel, size: tuple[float, float]) -> _Surface:
    """The records of :func:`_image_layer` and :func:`_contour_layer` (memoised)."""
    values, w1, w2 = (np.asarray(a, float) for a in (panel.values, panel.w1, panel.w2))

    def compute() -> _Surface:
        t = colour_positions(values)
        half1 = (w1[-1] - w1[0]) / max(len(w1) - 1, 1) / 2
        half2 = (w2[-1] - w2[0]) / max(len(w2) - 1, 1) / 2
        image = {
            "w1": float(w1[0] - half1),
            "w1_end": float(w1[-1] + half1),
            "w2": float(w2[-1] + half2),
            "w2_end": float(w2[0] - half2),
            "url": png_data_url(t[::-1]),
        }
        lines = contour_lines(w1, w2, t, panel.bounds, size)
        contours = tuple({"line": k, **_packed_xy(xy, panel.bounds)} for k, xy in enumerate(lines))
        return _Surface(image, contours, tick_labels(COLOURBAR_TICKS, colour_bar_labels(values)))

    return _memoised(_digest("surface", values, w1, w2, *_window(panel, size)), compute)


def _image_layer(surface: _Surface, data: _Datasets) -> Spec:
    """The heat map: one PNG stretched over the grid cells (pixel centres on the grid points)."""
    return {
        "data": data.add([dict(surface.image)]),
        "mark": {"type": "image", "aspect": False, "clip": True},
        "encoding": {"url": _field("url", "nominal"), "x2": {"field": "w1_end"}, "y2": {"field": "w2_end"}},
    }


def _contour_layer(surface: _Surface, data: _Datasets) -> Spec:
    """Thin white lines at the quantiles of the values (see :func:`contour_lines`)."""
    return {
        "data": data.add([dict(r) for r in surface.contours]),
        "mark": {"type": "line", "clip": True, "color": "white", "opacity": 0.45, "strokeWidth": 0.8},
        "encoding": {"detail": _field("line", "nominal"), "order": _field("order", "quantitative")},
        "transform": [*_unpack(["w1", "w2"]), _row_number("order", "line")],
    }


def _arrow_record(panel: Panel, size: tuple[float, float]) -> dict[str, str]:
    """The packed arrows of :func:`gradient_arrows` (memoised)."""

    def compute() -> dict[str, str]:
        arrows = gradient_arrows(panel, *size)
        xy = np.stack([arrows["w1"], arrows["w2"]], axis=-1)
        packed = {"angle": _pack(arrows["angle"], 0), "m": _pack(arrows["m"], 2)}
        return {**_packed_xy(xy, panel.bounds), **packed}

    fields = (np.asarray(a, float) for a in (panel.field_w1, panel.field_w2, panel.field_grad))
    return dict(_memoised(_digest("arrows", *fields, *_window(panel, size)), compute))


def _arrow_layer(panel: Panel, size: tuple[float, float], data: _Datasets) -> Spec:
    """White arrows along ``-∇f``, larger and more opaque where the gradient is steeper."""
    record = _arrow_record(panel, size)
    unit = {"domain": [0, 1]}
    return {
        "data": data.add([record]),
        "mark": {
            "type": "point",
            "clip": True,
            "color": "white",
            "filled": True,
            "shape": "arrow",
            "strokeWidth": 0,
        },
        "encoding": {
            "angle": _field("angle", "quantitative", scale=None),
            "opacity": _field("m", "quantitative", legend=None, scale={**unit, "range": [0.3, 0.85]}),
            "size": _field("m", "quantitative", legend=None, scale={**unit, "range": [12, 150]}),
        },
        "transform": _unpack(list(record)),
    }


def _run_encodings(paths: Sequence[PathData]) -> tuple[Spec, Spec]:
    """Colour and dash encodings per path name, from its style."""
    styles = {p.name: p.style for p in paths}
    names = list(styles)
    legend = {"orient": "bottom", "symbolSize": 300, "symbolStrokeWidth": 2.5, "symbolType": "stroke"}
    colours = [STYLE_COLOURS.get(s, "white") for s in styles.values()]
    dashes = [STYLE_DASHES.get(s, [1, 0]) for s in styles.values()]
    return (
        _field("name", "nominal", legend=legend, scale={"domain": names, "range": colours}, title=None),
        # no dash legend: Streamlit's Vega-Lite draws it as a second legend instead of merging the two
        _field("name", "nominal", legend=None, scale={"domain": names, "range": dashes}),
    )


def _path_layers(panel: Panel, runs: tuple[Spec, Spec], data: _Datasets) -> list[Spec]:
    """The finite part of each path: a dark casing, then the line with a dot per step."""
    records = [
        {"name": p.name, **_packed_xy(xy, panel.bounds)}
        for p in panel.paths
        if len(xy := finite_prefix(p.params))
    ]
    paths = {"data": data.add(records)}
    transform = [*_unpack(["w1", "w2"]), _row_number("step", "name")]
    order = _field("step", "quantitative")
    # Dashed runs are drawn thinner, on top of thicker solid ones: where two runs
    # coincide (a shifted loss), both stay visible, the solid colour in the gaps.
    names = list(dict.fromkeys(p.name for p in panel.paths))
    styles = {p.name: p.style for p in panel.paths}
    widths = [2.0 if STYLE_DASHES.get(styles[n], [1, 0])[1] else 4.0 for n in names]
    width = {"field": "name", "type": "nominal", "legend": None, "scale": {"domain": names, "range": widths}}
    return [
        # the casing keeps orange/magenta readable on every viridis colour
        {
            **paths,
            "mark": {"type": "line", "clip": True, "color": "black", "opacity": 0.45, "strokeWidth": 5.5},
            "encoding": {"detail": _field("name", "nominal"), "order": order},
            "transform": transform,
        },
        {
            **paths,
            "mark": {"type": "line", "clip": True, "point": {"filled": True, "opacity": 0.9, "size": 6}},
            "encoding": {"color": runs[0], "order": order, "strokeDash": runs[1], "strokeWidth": width},
            "transform": transform,
        },
    ]


def _marker_layer(panel: Panel, data: _Datasets) -> Spec:
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
    return {
        "data": data.add(records),
        "mark": {
            "type": "point",
            "clip": True,
            "filled": True,
            "opacity": 1,
            "stroke": "black",
            "strokeWidth": 1.5,
        },
        "encoding": {
            "color": _field("fill", "nominal", scale=None),
            "shape": _field("shape", "nominal", scale=None),
            "size": _field("size", "quantitative", scale=None),
        },
    }


def _click_layer(panel: Panel, n: int, name: str) -> Spec:
    """``n x n`` invisible points over the bounds, generated by Vega: the click targets.

    Drawn last: its ``nearest`` Voronoi cells cover the panel and take every click
    and hover (so the layers below carry no tooltips). ``name`` is the view that
    :data:`START_SELECTION` is bound to.
    """
    (lo1, hi1), (lo2, hi2) = panel.bounds
    d1, d2 = _decimals(lo1, hi1), _decimals(lo2, hi2)
    # rounded like the other coordinates, so a click gives 0.3, not 0.30000000000000004
    w1 = f"round(({lo1!r} + (datum.i % {n}) * {(hi1 - lo1) / (n - 1)!r}) * 1e{d1}) / 1e{d1}"
    w2 = f"round(({lo2!r} + floor(datum.i / {n}) * {(hi2 - lo2) / (n - 1)!r}) * 1e{d2}) / 1e{d2}"
    return {
        "data": {"sequence": {"start": 0, "stop": n * n, "as": "i"}},
        # a sliver of opacity: Vega ignores events on fully transparent marks
        "mark": {"type": "point", "filled": True, "opacity": 0.001, "shape": "square", "size": 30},
        "encoding": {
            "tooltip": [
                _field("w1", "quantitative", title=panel.param_names[0]),
                _field("w2", "quantitative", title=panel.param_names[1]),
            ]
        },
        "name": name,
        "transform": [{"calculate": w1, "as": "w1"}, {"calculate": w2, "as": "w2"}],
    }


def _panel(
    panel: Panel,
    runs: tuple[Spec, Spec],
    size: tuple[int, int],
    click_grid: int,
    name: str,
    data: _Datasets,
) -> Spec:
    """One landscape panel and its colour bar; ``name`` names its click grid (the selection's view)."""
    (lo1, hi1), (lo2, hi2) = panel.bounds
    x_title, y_title = panel.param_names
    surface = _surface(panel, size)
    layers = [
        _image_layer(surface, data),
        _contour_layer(surface, data),
        _arrow_layer(panel, size, data),
        *_path_layers(panel, runs, data),
        _marker_layer(panel, data),
        _click_layer(panel, click_grid, name),  # on top, so a click anywhere reaches it
    ]
    scale = {"nice": False, "zero": False}
    view = {
        "layer": layers,
        "encoding": {
            "x": _field("w1", "quantitative", scale={"domain": [lo1, hi1], **scale}, title=x_title),
            "y": _field("w2", "quantitative", scale={"domain": [lo2, hi2], **scale}, title=y_title),
        },
        "height": size[1],
        "title": panel.title,
        "width": size[0],
    }
    return {"hconcat": [view, _colour_bar(surface, size[1], data)], "spacing": 6}


def tick_labels(ticks: Iterable[float], labels: Iterable[str]) -> str:
    """A Vega expression giving the axis label of each of ``ticks``."""
    cases = [f"datum.value == {t!r} ? '{label}' : " for t, label in zip(ticks, labels, strict=True)]
    return "".join(cases) + "''"


@functools.cache
def _colour_bar_url() -> str:
    return png_data_url(np.linspace(1.0, 0.0, 64)[:, None])


def _colour_bar(surface: _Surface, height: int, data: _Datasets) -> Spec:
    """A thin strip of the colour map, labelled with the panel's quantiles."""
    record = {"x": 0, "x2": 1, "y": 1, "y2": 0, "url": _colour_bar_url()}
    axis = {
        "grid": False,
        "labelExpr": surface.label_expr,
        "orient": "right",
        "title": None,
        "values": list(COLOURBAR_TICKS),
    }
    unit = {"domain": [0, 1]}
    return {
        "data": data.add([record]),
        "mark": {"type": "image", "aspect": False},
        "encoding": {
            "url": _field("url", "nominal"),
            "x": _field("x", "quantitative", axis=None, scale=unit),
            "x2": {"field": "x2"},
            "y": _field("y", "quantitative", axis=axis, scale=unit),
            "y2": {"field": "y2"},
        },
        "height": height,
        "width": 12,
    }


def landscape_pair(
    left: Panel, right: Panel, *, width: int = 380, height: int = 320, click_grid: int = 41
) -> dict[str, Any]:
    """The loss ``L`` (left) and ``L' = a g(L) + c`` (right), each with its colour bar.

    One Vega-Lite spec (a plain dict, for ``st.vega_lite_chart``), so identical data
    sets are sent once and the point selection :data:`START_SELECTION` (the clicked
    grid point's ``w1``/``w2``) serves both panels.

    Returns:
      A complete top-level Vega-Lite v6 spec: ``$schema``, ``hconcat``, ``params``
      and ``datasets`` (records keyed by a content hash, referenced by name).
    """
    data = _Datasets()
    runs = _run_encodings([*left.paths, *right.paths])
    views = [f"{START_SELECTION}_{side}" for side in ("left", "right")]
    pairs = [
        _panel(p, runs, (width, height), click_grid, view, data)
        for p, view in zip((left, right), views, strict=True)
    ]
    # one top-level parameter bound to both click grids
    select = {"type": "point", "fields": ["w1", "w2"], "nearest": True, "on": "click"}
    return {
        "$schema": alt.SCHEMA_URL,
        "hconcat": pairs,
        "spacing": 28,
        "params": [{"name": START_SELECTION, "select": select, "views": views}],
        "datasets": dict(data),
    }


# --- loss curves and the optimizer comparison -----------------------------------------------


def loss_path_frame(runs: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Tidy frame of the losses along each run.

    Args:
      runs: ``{run name: (L per step (T,), L' per step (T,))}``.

    Returns:
      Columns ``step`` (int), ``run``, ``quantity`` (``"L"`` or ``"L′"``), ``value`` (may be non-finite).
    """
    frames = [
        pd.DataFrame(
            {"step": np.arange(len(v)), "run": run, "quantity": q, "value": np.asarray(v, dtype=float)}
        )
        for run, pair in runs.items()
        for q, v in zip(QUANTITIES, pair, strict=True)
    ]
    empty = pd.DataFrame(
        {"step": pd.Series(dtype=int), "run": [], "quantity": [], "value": pd.Series(dtype=float)}
    )
    return pd.concat(frames, ignore_index=True) if frames else empty


def _symlog_ticks(lo: float, hi: float) -> list[float]:
    """``0`` and ``±10^k`` within ``[lo, hi]``, at most ~5 per sign: d3 has no symlog ticks."""
    top = math.ceil(math.log10(max(abs(lo), abs(hi), 1.0)))
    step = max(1, math.ceil((top + 1) / 5))
    mags = [10.0**k for k in range(step if top > 2 else 0, top + 1, step)]  # 1 crowds 0 on a wide axis
    return sorted({0.0, *(m for m in mags if m <= hi), *(-m for m in mags if -m >= lo)})


def _loss_y(values: np.ndarray, log_y: bool) -> alt.Y:
    if not log_y:
        return alt.Y("value:Q", title="loss", scale=alt.Scale(zero=False))
    ticks = _symlog_ticks(values.min(), values.max()) if values.size else []
    # below three decades symlog is nearly linear and Vega's own ticks do fine
    labels = tick_labels(ticks, map(format_value, ticks))
    axis = alt.Axis(values=ticks, labelExpr=labels) if len(ticks) > 3 else alt.Axis()
    return alt.Y("value:Q", title="loss (symlog)", scale=alt.Scale(type="symlog"), axis=axis)


def loss_path_chart(
    frame: pd.DataFrame,
    *,
    current_step: int | None = None,
    log_y: bool = False,
    width: int = 380,
    height: int = 220,
) -> alt.LayerChart:
    """Loss along the paths: colour = run (first run: the original colour), dash = quantity.

    Args:
      frame: tidy, as made by :func:`loss_path_frame`; non-finite values are dropped.
      current_step: draws a vertical rule at this step.
      log_y: symmetric-log y-axis (works with negative values).
    """
    frame = frame[np.isfinite(frame["value"].astype(float))]
    runs = list(dict.fromkeys(frame["run"]))
    palette = [STYLE_COLOURS["original"], STYLE_COLOURS["transformed"], "#4c78a8", "#54a24b"]
    # one packed record per curve: a 1000-step view is ~50 KB instead of ~200 KB of rows
    records = [
        {
            "run": run,
            "quantity": q,
            "step": _pack(g["step"], 0),
            "value": ",".join(f"{v:.6g}" for v in g["value"]),
        }
        for (run, q), g in frame.groupby(["run", "quantity"], sort=False)
    ]
    lines = (
        _unpacked(records, ["step", "value"])
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("step:Q", title="step", axis=alt.Axis(tickCount=8, tickMinStep=1)),
            y=_loss_y(frame["value"].to_numpy(dtype=float), log_y),
            color=alt.Color(
                "run:N", title=None, scale=alt.Scale(domain=runs, range=palette[: max(len(runs), 1)])
            ),
            strokeDash=alt.StrokeDash(
                "quantity:N", title=None, scale=alt.Scale(domain=list(QUANTITIES), range=[[1, 0], [5, 3]])
            ),
            tooltip=[
                *map(alt.Tooltip, ("run:N", "quantity:N", "step:Q")),
                alt.Tooltip("value:Q", format=".4g"),
            ],
        )
    )
    steps = [] if current_step is None else [{"step": int(current_step)}]
    rule = alt.Chart(_inline(steps)).mark_rule(color="gray", strokeDash=[2, 2]).encode(x=alt.X("step:Q"))
    return alt.layer(lines, rule).properties(width=width, height=height)


def optimizer_deviation_chart(frame: pd.DataFrame, *, width: int = 380) -> alt.LayerChart:
    """Horizontal bars of ``max |Δθ|`` between the original and transformed run per optimizer.

    The x-axis is logarithmic: 0 (bit-identical) is drawn as a stub at 1e-12, a
    non-finite value (a diverged run) as a bar 10x longer than the longest; each
    bar is labelled with its value.

    Args:
      frame: columns ``optimizer``, ``max_dtheta`` (>= 0, may be inf/NaN), ``verdict`` (colour).
    """
    dtheta = frame["max_dtheta"].astype(float).to_numpy()
    finite = dtheta[np.isfinite(dtheta)]
    ceiling = max(float(finite.max()) * 10 if finite.size else 1.0, 1.0)
    bar = np.where(np.isfinite(dtheta), np.maximum(np.nan_to_num(dtheta), _DEVIATION_FLOOR), ceiling)
    data = frame[["optimizer", "verdict"]].assign(
        bar=bar, shown=[_deviation_label(d) for d in dtheta], base=_DEVIATION_FLOOR / 10
    )
    # three spare decades on the right for the labels
    x = alt.X(
        "bar:Q",
        title="max |Δθ| (original vs transformed run)",
        scale=alt.Scale(type="log", domain=[_DEVIATION_FLOOR / 10, float(bar.max(initial=1.0)) * 1e3]),
    )
    base = alt.Chart(data).encode(
        x=x,
        y=alt.Y("optimizer:N", title=None, sort=None),
        tooltip=[
            alt.Tooltip("optimizer:N"),
            alt.Tooltip("verdict:N"),
            alt.Tooltip("shown:N", title="max |Δθ|"),
        ],
    )
    bars = base.mark_bar().encode(
        x2=alt.X2("base:Q"), color=alt.Color("verdict:N", title=None, legend=alt.Legend(orient="bottom"))
    )
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("shown:N"))
    return alt.layer(bars, labels).properties(width=width)


def _deviation_label(d: float) -> str:
    if not np.isfinite(d):
        return "diverged"
    return "0 (bit-identical)" if d == 0 else f"{d:.2g}"
