"""Vega-Lite dicts of the "Train a network" page: numpy in, specs out (no JAX, no Altair, no pandas).

Every chart shows the three runs in the same colours: original (orange),
shifted (magenta, dashed and thinner, drawn on top: where it coincides with
the original, the orange shows on both sides of it) and negated (blue).

The per-epoch curves travel *wide*, one record per epoch with a column per run
(``{"original": 0.5, "shifted": -5.78, "negated": -0.5}``; ``None`` where a value
is not finite), and the browser numbers the epochs and folds the runs into rows
(built as Altair objects from long DataFrames they took ~0.2 s of CPU per view).

>>> import numpy as np
>>> curves = {"original": np.ones(3), "shifted": np.ones(3) - 6.28, "negated": -np.ones(3)}
>>> spec = objective_chart(curves, shift=-6.28)
>>> [layer["mark"]["type"] for layer in spec["layer"]]  # the runs, c between them, notes
['line', 'line', 'rule', 'text', 'text']
>>> spec["datasets"][spec["layer"][0]["data"]["name"]][0]  # epoch 1
{'original': 1.0, 'shifted': -5.28, 'negated': -1.0}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from lossviz.charts.packed import Datasets, Spec, container_chart, field, kept, tick_records, ticks_from
from lossviz.charts.raster import rgb_data_url
from lossviz.charts.style import NEUTRAL, READABLE_TICK, format_value

VARIANT_LABELS: dict[str, str] = {
    "original": "original (L)",
    "shifted": "shifted (L + c)",
    "negated": "negated (−L)",
}
VARIANT_COLOURS: dict[str, str] = {"original": "#ff9e1b", "shifted": "#d6187f", "negated": "#1f77b4"}
# The shifted run usually coincides with the original: thin and dashed on top of a thick solid line.
VARIANT_DASHES: dict[str, list[int]] = {"original": [1, 0], "shifted": [6, 4], "negated": [1, 0]}
VARIANT_WIDTHS: dict[str, float] = {"original": 4.5, "shifted": 1.8, "negated": 2.5}
# Class colours of the decision maps and the points (up to 10 classes).
CLASS_COLOURS = (
    "#4c78a8",
    "#e45756",
    "#54a24b",
    "#b279a2",
    "#eeca3b",
    "#72b7b2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
    "#f58518",
)
# The layers of the curves: solid runs first, then the dashed shifted run on top.
LAYER_GROUPS: tuple[tuple[str, ...], ...] = (("original", "negated"), ("shifted",))
# the run's legend label of a folded row (its column name is in `variant`)
_RUN_LABEL = "".join(f"datum.variant == '{k}' ? '{label}' : " for k, label in VARIANT_LABELS.items()) + (
    "datum.variant"
)


def _chart(layers: list[Spec], data: Datasets, title: str | Spec, height: int) -> Spec:
    """A complete top-level spec: ``layers`` drawn in order, as wide as the container."""
    return container_chart(data, layer=layers, title=title, height=height)


def _colour(legend: bool) -> Spec:
    return field(
        "run",
        "nominal",
        title=None,
        scale={
            "domain": [VARIANT_LABELS[k] for k in VARIANT_LABELS],
            "range": [VARIANT_COLOURS[k] for k in VARIANT_LABELS],
        },
        legend={"orient": "bottom", "labelLimit": 0, "columns": {"expr": "width < 400 ? 2 : 3"}}
        if legend
        else None,
    )


def _floats(values: Iterable[float] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


def _wide(curves: Mapping[str, np.ndarray], *, positive: bool = False) -> list[dict[str, float | None]]:
    """One record per epoch (the first is epoch 1), a column per drawn run: ``None`` where its value
    is not finite (or, with ``positive``, not above 0: a log axis has no place for it) or the run
    has ended. A run without any such value has no column; records after every run's last value
    are left out (the browser numbers the epochs, see :func:`_folded`)."""
    columns: dict[str, list[float | None]] = {}
    for name in VARIANT_LABELS:
        if name not in curves:
            continue
        v = _floats(curves[name])
        ok = np.isfinite(v)
        if positive:
            ok &= v > 0
        kept = np.flatnonzero(ok)
        if not kept.size:
            continue
        column = v[: kept[-1] + 1].tolist()
        for i in np.flatnonzero(~ok[: kept[-1] + 1]).tolist():
            column[i] = None
        columns[name] = column
    if not columns:
        return []
    n = max(map(len, columns.values()))
    padded = [column + [None] * (n - len(column)) for column in columns.values()]
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*padded, strict=True)]


def _folded(group: tuple[str, ...]) -> list[Spec]:
    """Transforms turning wide records into the rows of the runs of ``group``: numbered by epoch in
    their order, folded into ``variant``/``value`` rows, rows without a value dropped, labelled."""
    return [
        {"window": [{"op": "row_number", "as": "epoch"}]},
        {"fold": list(group), "as": ["variant", "value"]},
        {"filter": "isValid(datum.value) && isFinite(datum.value)"},
        {"calculate": _RUN_LABEL, "as": "run"},
    ]


def _lines(records: list[dict[str, float | None]], y: Spec, ref: Spec, *, legend: bool) -> list[Spec]:
    """Solid runs first, then the dashed shifted run on top; both layers read the same wide records
    (``ref``: their data set).

    No records (no run has a value): no transforms either, so the empty axes are drawn as an
    empty table's always were (a window over nothing gives the epoch axis another empty extent).
    """
    widths = {"domain": list(VARIANT_WIDTHS), "range": [VARIANT_WIDTHS[k] for k in VARIANT_WIDTHS]}
    layers = []
    for group in LAYER_GROUPS:
        layer = {
            "data": ref,
            "mark": {
                "type": "line",
                "clip": True,
                "strokeDash": VARIANT_DASHES[group[0]],
                "strokeWidth": VARIANT_WIDTHS[group[0]],
            },
            "encoding": {
                "x": field("epoch", "quantitative", title="epoch"),
                "y": y,
                "color": _colour(legend),
                "size": field("variant", "nominal", legend=None, scale=widths),
                "tooltip": [
                    field("run", "nominal"),
                    field("epoch", "quantitative"),
                    field("value", "quantitative", format=".5g"),
                ],
            },
        }
        if records:
            layer["transform"] = _folded(group)
        layers.append(layer)
    return layers


def _all_values(curves: Mapping[str, np.ndarray]) -> np.ndarray:
    """Every value of every run (ticks and axis ranges are computed from the finite ones)."""
    return np.concatenate([_floats(v) for v in curves.values()]) if curves else np.empty(0)


def curve_chart(
    curves: Mapping[str, np.ndarray],
    title: str,
    y_title: str,
    *,
    symlog: bool = False,
    log: bool = False,
    unit_interval: bool = False,
    height: int = 220,
    legend: bool = True,
) -> Spec:
    """One value per epoch for each run, e.g. the true loss or an accuracy; as wide as its container.

    Args:
      curves: ``{"original", "shifted", "negated"}`` → ``(epochs,)`` values (NaN/inf rows are dropped).
      title, y_title: chart and axis titles.
      symlog: a symmetric log axis (values of either sign spanning many decades).
      log: a log axis (positive values, e.g. a cross-entropy); ticks at 1, 2, 5 × 10^k below 1 too.
      unit_interval: fix the axis to ``[0, 1]`` (accuracies).
    """
    axis: Spec = {"labelExpr": READABLE_TICK}
    data = Datasets()
    records = _wide(curves, positive=log)
    curves_data = data.add_fixed("curves", records)
    ticks: list[float] = []
    if unit_interval:
        scale: Spec = {"domain": [0, 1]}
    elif log:
        # a log axis has no place for 0 (a perfect fit): such values are left out of the records too
        scale = {"type": "log"}
        ticks = log_ticks(_all_values(curves))
    elif symlog:
        scale = {"type": "symlog", "constant": 0.1}
        ticks = symlog_ticks(_all_values(curves))
        # few powers of ten in range (all runs small): Vega-Lite's own ticks read better
        # d3's "~s" writes 100 and 1000 as "0k"/"1k": label each tick the way the colour bars are
        ticks = ticks if len(ticks) >= 3 else []
    else:
        scale = {"zero": False}
    extra = []
    if log or symlog:
        # the ticks are data: another data set's range changes the data, not the spec
        source = data.add_fixed("ticks", tick_records(ticks))
        axis = ticks_from(f"data('{source['name']}')")
        extra.append(kept(source))
    y = field("value", "quantitative", title=y_title, scale=scale, axis=axis)
    layers = _lines(records, y, curves_data, legend=legend)
    return _chart([*layers, *extra], data, title, height)


def log_ticks(values: np.ndarray, most: int = 7) -> list[float]:
    """Ticks of a log axis over ``values``: powers of ten, with 2× and 5× when few decades are in range.

    Below 1 too (d3's log ticks on a short axis label nothing there), at most about ``most`` of them.

    >>> log_ticks(np.array([0.03, 0.7]))
    [0.05, 0.1, 0.2, 0.5]
    >>> log_ticks(np.array([0.02, 3000.0]))
    [0.05, 0.1, 0.5, 1.0, 10.0, 100.0, 1000.0]
    """
    v = values[np.isfinite(values) & (values > 0)]
    if v.size == 0:
        return []
    lo, hi = float(v.min()), float(v.max())
    decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)

    def within(mantissas: tuple[float, ...], below_one_only: bool = False) -> set[float]:
        return {
            t
            for k in decades
            for m in mantissas
            if lo <= (t := float(f"{m}e{k}")) <= hi and not (below_one_only and k >= 0)
        }

    # powers of ten, and 5 × 10^k below 1 (a cross-entropy that learns lives there)
    ticks = sorted(within((1.0,)) | within((5.0,), below_one_only=True))
    if len(ticks) < 4:
        ticks = sorted(within((1.0, 2.0, 5.0)))
    step = max(1, -(-len(ticks) // most))
    return ticks[::step] if len(ticks) > most else ticks


def symlog_ticks(values: np.ndarray) -> list[float]:
    """0 and the powers of ten (either sign) inside the range of ``values``: readable symlog ticks.

    >>> symlog_ticks(np.array([-6.3, 0.02, 5000.0]))
    [-1.0, 0.0, 1.0, 10.0, 100.0, 1000.0]
    """
    v = values[np.isfinite(values)]
    if v.size == 0:
        return []
    lo, hi = float(v.min()), float(v.max())
    top = int(np.ceil(np.log10(max(abs(lo), abs(hi), 1.0))))
    # at most ~5 powers per sign, however far a diverging run goes
    powers = [10.0**k for k in range(0, top + 1, max(1, -(-(top + 1) // 5)))]
    ticks = sorted({0.0, *powers, *(-p for p in powers)})
    return [t for t in ticks if lo <= t <= hi]


def objective_chart(
    objective: Mapping[str, np.ndarray], shift: float, *, height: int = 220, legend: bool = True
) -> Spec:
    """What a training plot shows: each run's objective on a linear axis, the shift labelled ``c``.

    On a linear axis L + c is L moved down by c, visibly: a rule between the two curves at
    the last epoch is labelled with c. The negated run's −L may fall without bound: the axis
    stops a curve's span below L and L + c (the line leaves the chart there, with a note).
    """
    everything = _all_values(objective)
    everything = everything[np.isfinite(everything)]
    pair = _all_values({k: v for k, v in objective.items() if k in ("original", "shifted")})
    pair = pair[np.isfinite(pair)]
    lo, hi = (float(everything.min()), float(everything.max())) if everything.size else (0.0, 1.0)
    notes = []
    if pair.size:
        p_lo, p_hi = float(pair.min()), float(pair.max())
        floor = p_lo - max(p_hi - p_lo, 1e-6)
        if lo < floor:
            notes.append(f"−L falls to {format_value(lo)}, below the chart")
            lo = floor
        hi = max(hi, p_hi)
    margin = 0.05 * max(hi - lo, 1e-6)
    data = Datasets()
    records = _wide(objective)
    curves_data = data.add_fixed("curves", records)
    # the axis's extent is data (the first record of the notes' data set), read through a parameter,
    # and every layer is there whatever the data: another data set changes the data, not the spec
    notes_data = data.add_fixed(
        "notes",
        [
            {"lo": lo - margin, "hi": hi + margin, "text": None},
            *({"lo": None, "hi": None, "text": t} for t in notes),
        ],
    )
    param = {
        "name": "objective_axis",
        "expr": f"data('{notes_data['name']}')[0] || {{lo: 0, hi: 1}}",
    }
    y = field(
        "value",
        "quantitative",
        title="objective (L, L + c or −L)",
        scale={"domain": {"expr": "[objective_axis.lo, objective_axis.hi]"}, "nice": False},
        axis={"labelExpr": READABLE_TICK},
    )
    layers = _lines(records, y, curves_data, legend=legend)
    o, sh = (_floats(objective.get(k, [])) for k in ("original", "shifted"))
    both = np.flatnonzero(np.isfinite(o[: sh.size]) & np.isfinite(sh[: o.size])) if o.size and sh.size else []
    gap_records = []
    if len(both) and shift != 0:
        e = int(both[-1])
        gap_records.append(
            {
                "epoch": e + 1,
                "top": float(o[e]),
                "bottom": float(sh[e]),
                "mid": float(o[e] + sh[e]) / 2,
                "text": f"c = {format_value(shift)}",
            }
        )
    gap = data.add_fixed("gap", gap_records)
    quantity = lambda name: field(name, "quantitative")
    layers += [
        {
            "data": gap,
            "mark": {"type": "rule", "color": NEUTRAL, "strokeWidth": 1.5},
            "encoding": {"x": quantity("epoch"), "y": quantity("top"), "y2": {"field": "bottom"}},
        },
        {
            "data": gap,
            "mark": {"type": "text", "align": "right", "color": NEUTRAL, "dx": -6, "fontSize": 12},
            "encoding": {"x": quantity("epoch"), "y": quantity("mid"), "text": field("text", "nominal")},
        },
        {
            "data": notes_data,
            "transform": [{"filter": "isValid(datum.text)"}],  # the first record is the axis's
            "mark": {
                "type": "text",
                "align": "right",
                "baseline": "bottom",
                "color": NEUTRAL,
                "dx": -4,
                "dy": -4,
                "x": "width",
                "y": "height",
            },
            "encoding": {"text": field("text", "nominal")},
        },
    ]
    return container_chart(
        data, layer=layers, params=[param], title="What the plot shows: the objective", height=height
    )


def accuracy_charts(
    train: Mapping[str, np.ndarray], test: Mapping[str, np.ndarray], *, height: int = 220
) -> tuple[Spec, Spec]:
    """Training accuracy and test accuracy per epoch, all runs, axes in ``[0, 1]`` (two charts)."""
    return (
        curve_chart(train, "Training accuracy", "accuracy", unit_interval=True, height=height),
        curve_chart(test, "Test accuracy (held-out points)", "accuracy", unit_interval=True, height=height),
    )


def loss_charts(
    objective: Mapping[str, np.ndarray], loss: Mapping[str, np.ndarray], shift: float, *, height: int = 220
) -> tuple[Spec, Spec]:
    """What a training plot shows (the objective each run minimised), and the true loss ``L`` (log axis)."""
    return (
        objective_chart(objective, shift, height=height),
        curve_chart(loss, "The true loss L of the same weights", "cross-entropy L", log=True, height=height),
    )


def class_map_rgb(probs: np.ndarray) -> np.ndarray:
    """Pixels ``(R, R, 3)`` uint8 of class probabilities ``(R, R, k)``: the class colours mixed, lightened.

    Row 0 of ``probs`` is the smallest ``y``; row 0 of the pixels is the top. Non-finite
    probabilities (a diverged network) give grey.
    """
    k = probs.shape[-1]
    palette = np.array(
        [[int(CLASS_COLOURS[i % len(CLASS_COLOURS)][j : j + 2], 16) for j in (1, 3, 5)] for i in range(k)],
        dtype=float,
    )
    p = np.asarray(probs, dtype=float)
    ok = np.isfinite(p).all(axis=-1, keepdims=True)
    mixed = np.where(ok, np.nan_to_num(p) @ palette, 160.0)
    light = 255.0 - 0.55 * (255.0 - mixed)  # pale, so the points stay visible
    return np.clip(np.rint(light), 0, 255).astype(np.uint8)[::-1]


def decision_chart(
    grids: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    x: np.ndarray,
    y: np.ndarray,
    accuracy: Mapping[str, float],
    *,
    size: int = 220,
) -> list[Spec]:
    """Each run's decision regions over the training points: a chart per run, as wide as its container.

    Args:
      grids: run → ``(gx (R,), gy (R,), probs (R, R, k))`` as in :class:`lossviz.training.DecisionGrid`.
      x: ``(n, 2)`` training points; y: ``(n,)`` their classes.
      accuracy: run → final training accuracy (for the titles; NaN is shown as "—").
    """
    x1, x2 = (np.round(np.asarray(x[:, i], float), 3) for i in (0, 1))
    keep = np.isfinite(x1) & np.isfinite(x2)
    labels = np.asarray(y).astype(int)[keep]
    points = [
        {"x1": a, "x2": b, "class": c}
        for a, b, c in zip(x1[keep].tolist(), x2[keep].tolist(), labels.astype(str).tolist(), strict=True)
    ]
    classes = sorted(set(labels.tolist()))
    shared = Datasets()  # the points are the same in every panel: added once
    dots_data = shared.add(points)
    panels = []
    for name, (gx, gy, probs) in grids.items():
        hx = (gx[-1] - gx[0]) / max(len(gx) - 1, 1) / 2
        hy = (gy[-1] - gy[0]) / max(len(gy) - 1, 1) / 2
        domain_x = [float(gx[0] - hx), float(gx[-1] + hx)]
        domain_y = [float(gy[0] - hy), float(gy[-1] + hy)]
        acc = float(accuracy.get(name, float("nan")))
        shown = f"{acc:.1%}" if np.isfinite(acc) else "—"
        # the axes' domains, the title and the classes are this record's, read by expressions: the
        # spec is the same for every data set, so the browser replaces the data of the three charts
        # it has instead of building them again (a data set switch ~0.1 s sooner)
        image = {
            "x1": domain_x[0],
            "x1_end": domain_x[1],
            "x2": domain_y[1],
            "x2_end": domain_y[0],
            "url": rgb_data_url(class_map_rgb(probs)),
            "title": f"{VARIANT_LABELS.get(name, name)}: {shown} correct",
            "classes": ",".join(map(str, classes)),
            "colours": ",".join(CLASS_COLOURS[c % len(CLASS_COLOURS)] for c in classes),
        }
        data = Datasets(shared)
        source = data.add([image])
        record = f"data('{source['name']}')[0]"
        colour = field(
            "class",
            "nominal",
            # each class its own colour, as in the regions (class_map_rgb), whichever classes are there
            scale={
                "domain": {"expr": f"split({record}.classes, ',')"},
                "range": [{"expr": f"split({record}.colours, ',')[{k}]"} for k in range(len(CLASS_COLOURS))],
            },
            legend={"orient": "bottom", "title": "class"},
        )
        scale_x = {"domain": {"expr": f"[{record}.x1, {record}.x1_end]"}, "nice": False}
        scale_y = {"domain": {"expr": f"[{record}.x2_end, {record}.x2]"}, "nice": False}
        axis_x = field("x1", "quantitative", title="feature 1", scale=scale_x)
        axis_y = field("x2", "quantitative", title="feature 2", scale=scale_y)
        regions = {
            "data": source,
            "mark": {"type": "image", "aspect": False, "clip": True},
            "encoding": {
                "x": axis_x,
                "x2": {"field": "x1_end"},
                "y": axis_y,
                "y2": {"field": "x2_end"},
                "url": field("url", "nominal"),
            },
        }
        dots = {
            "data": dots_data,
            "mark": {
                "type": "circle",
                "size": 18,
                "opacity": 0.9,
                "stroke": "white",
                "strokeWidth": 0.5,
                "clip": True,
            },
            "encoding": {
                "x": axis_x,
                "y": axis_y,
                "color": colour,
                "tooltip": [
                    field("class", "nominal"),
                    field("x1", "quantitative"),
                    field("x2", "quantitative"),
                ],
            },
        }
        panel = _chart([regions, dots], data, {"text": {"expr": f"{record}.title"}}, size)
        # a canvas: hundreds of points per panel redrawn on a switch (as the landscape pair)
        panels.append({**panel, "usermeta": {"embedOptions": {"renderer": "canvas"}}})
    return panels
