"""Altair charts of the "Train a network" page: numpy in, charts out (no JAX).

Every chart shows the three runs in the same colours: original (orange),
shifted (magenta, dashed and thinner, drawn on top: where it coincides with
the original, the orange shows on both sides of it) and negated (blue).

>>> import numpy as np
>>> curves = {"original": np.ones(3), "shifted": np.ones(3) - 6.28, "negated": -np.ones(3)}
>>> _ = objective_chart(curves, shift=-6.28).to_dict()
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from lossviz.charts.raster import rgb_data_url
from lossviz.charts.style import FIT_WIDTH, NEUTRAL, READABLE_TICK, format_value, tick_labels

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


def _colour(name: str) -> alt.Color:
    domain = [VARIANT_LABELS[k] for k in VARIANT_LABELS]
    return alt.Color(
        "run:N",
        title=None,
        scale=alt.Scale(domain=domain, range=[VARIANT_COLOURS[k] for k in VARIANT_LABELS]),
        legend=alt.Legend(orient="bottom", labelLimit=0, columns=alt.ExprRef("width < 400 ? 2 : 3"))
        if name == "legend"
        else None,
    )


def _tidy(curves: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Rows (epoch, run, variant, value); non-finite values dropped (JSON has no NaN, a diverged run ends)."""
    frames = []
    for name, values in curves.items():
        v = np.asarray(values, dtype=float)
        frame = pd.DataFrame({"epoch": np.arange(1, v.size + 1), "value": v})
        frame["variant"] = name
        frame["run"] = VARIANT_LABELS.get(name, name)
        frames.append(frame[np.isfinite(v)])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["epoch", "value"])


def _lines(frame: pd.DataFrame, title: str, y: alt.Y, *, height: int, legend: bool) -> list[alt.Chart]:
    """Solid runs first, then the dashed shifted run on top."""
    layers = []
    for group in (("original", "negated"), ("shifted",)):
        part = frame[frame["variant"].isin(group)]
        layers.append(
            alt.Chart(part)
            .mark_line(strokeWidth=VARIANT_WIDTHS[group[0]], strokeDash=VARIANT_DASHES[group[0]], clip=True)
            .encode(
                x=alt.X("epoch:Q", title="epoch"),
                y=y,
                color=_colour("legend" if legend else ""),
                size=alt.Size(
                    "variant:N",
                    legend=None,
                    scale=alt.Scale(
                        domain=list(VARIANT_WIDTHS), range=[VARIANT_WIDTHS[k] for k in VARIANT_WIDTHS]
                    ),
                ),
                tooltip=["run:N", "epoch:Q", alt.Tooltip("value:Q", format=".5g")],
            )
        )
    return layers


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
) -> alt.LayerChart:
    """One value per epoch for each run, e.g. the true loss or an accuracy; as wide as its container.

    Args:
      curves: ``{"original", "shifted", "negated"}`` → ``(epochs,)`` values (NaN/inf rows are dropped).
      title, y_title: chart and axis titles.
      symlog: a symmetric log axis (values of either sign spanning many decades).
      log: a log axis (positive values, e.g. a cross-entropy); ticks at 1, 2, 5 × 10^k below 1 too.
      unit_interval: fix the axis to ``[0, 1]`` (accuracies).
    """
    frame = _tidy(curves)
    axis = alt.Axis(labelExpr=READABLE_TICK)
    if unit_interval:
        scale = alt.Scale(domain=[0, 1])
    elif log:
        frame = frame[frame["value"] > 0]  # a log axis has no place for 0 (a perfect fit)
        scale = alt.Scale(type="log")
        ticks = log_ticks(frame["value"].to_numpy(float))
        axis = alt.Axis(values=ticks, labelExpr=tick_labels(ticks, map(format_value, ticks)))
    elif symlog:
        scale = alt.Scale(type="symlog", constant=0.1)
        ticks = symlog_ticks(frame["value"].to_numpy(float))
        # few powers of ten in range (all runs small): Vega-Lite's own ticks read better
        # d3's "~s" writes 100 and 1000 as "0k"/"1k": label each tick the way the colour bars are
        if len(ticks) >= 3:
            axis = alt.Axis(values=ticks, labelExpr=tick_labels(ticks, map(format_value, ticks)))
    else:
        scale = alt.Scale(zero=False)
    y = alt.Y("value:Q", title=y_title, scale=scale, axis=axis)
    layers = _lines(frame, title, y, height=height, legend=legend)
    return alt.layer(*layers).properties(title=title, **FIT_WIDTH, height=height)


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
) -> alt.LayerChart:
    """What a training plot shows: each run's objective on a linear axis, the shift labelled ``c``.

    On a linear axis L + c is L moved down by c, visibly: a rule between the two curves at
    the last epoch is labelled with c. The negated run's −L may fall without bound: the axis
    stops a curve's span below L and L + c (the line leaves the chart there, with a note).
    """
    frame = _tidy(objective)
    pair = frame[frame["variant"].isin(("original", "shifted"))]["value"]
    everything = frame["value"]
    lo, hi = (float(everything.min()), float(everything.max())) if len(everything) else (0.0, 1.0)
    notes = []
    if len(pair):
        p_lo, p_hi = float(pair.min()), float(pair.max())
        floor = p_lo - max(p_hi - p_lo, 1e-6)
        if lo < floor:
            notes.append(f"−L falls to {format_value(lo)}, below the chart")
            lo = floor
        hi = max(hi, p_hi)
    margin = 0.05 * max(hi - lo, 1e-6)
    y = alt.Y(
        "value:Q",
        title="objective (L, L + c or −L)",
        scale=alt.Scale(domain=[lo - margin, hi + margin], nice=False),
        axis=alt.Axis(labelExpr=READABLE_TICK),
    )
    layers = _lines(frame, "What the plot shows: the objective", y, height=height, legend=legend)
    o, sh = (np.asarray(objective.get(k, []), dtype=float) for k in ("original", "shifted"))
    both = np.flatnonzero(np.isfinite(o[: sh.size]) & np.isfinite(sh[: o.size])) if o.size and sh.size else []
    if len(both) and shift != 0:
        e = int(both[-1])
        gap = pd.DataFrame(
            [{"epoch": e + 1, "top": float(o[e]), "bottom": float(sh[e]), "mid": float(o[e] + sh[e]) / 2}]
        )
        gap["text"] = f"c = {format_value(shift)}"
        base = alt.Chart(gap)
        layers += [
            base.mark_rule(color=NEUTRAL, strokeWidth=1.5).encode(x="epoch:Q", y="top:Q", y2="bottom:Q"),
            base.mark_text(align="right", dx=-6, color=NEUTRAL, fontSize=12).encode(
                x="epoch:Q", y="mid:Q", text="text:N"
            ),
        ]
    if notes:
        note = alt.Chart(pd.DataFrame({"text": notes}))
        layers.append(
            note.mark_text(
                align="right", baseline="bottom", x="width", y="height", dx=-4, dy=-4, color=NEUTRAL
            ).encode(text="text:N")
        )
    return alt.layer(*layers).properties(
        title="What the plot shows: the objective", **FIT_WIDTH, height=height
    )


def accuracy_charts(
    train: Mapping[str, np.ndarray], test: Mapping[str, np.ndarray], *, height: int = 220
) -> tuple[alt.LayerChart, alt.LayerChart]:
    """Training accuracy and test accuracy per epoch, all runs, axes in ``[0, 1]`` (two charts)."""
    return (
        curve_chart(train, "Training accuracy", "accuracy", unit_interval=True, height=height),
        curve_chart(test, "Test accuracy (held-out points)", "accuracy", unit_interval=True, height=height),
    )


def loss_charts(
    objective: Mapping[str, np.ndarray], loss: Mapping[str, np.ndarray], shift: float, *, height: int = 220
) -> tuple[alt.LayerChart, alt.LayerChart]:
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
) -> list[alt.LayerChart]:
    """Each run's decision regions over the training points: a chart per run, as wide as its container.

    Args:
      grids: run → ``(gx (R,), gy (R,), probs (R, R, k))`` as in :class:`lossviz.training.DecisionGrid`.
      x: ``(n, 2)`` training points; y: ``(n,)`` their classes.
      accuracy: run → final training accuracy (for the titles; NaN is shown as "—").
    """
    points = pd.DataFrame(
        {
            "x1": np.round(np.asarray(x[:, 0], float), 3),
            "x2": np.round(np.asarray(x[:, 1], float), 3),
            "class": np.asarray(y).astype(int).astype(str),
        }
    )
    points = points[np.isfinite(points["x1"]) & np.isfinite(points["x2"])]
    classes = sorted(points["class"].unique(), key=int)
    colour = alt.Color(
        "class:N",
        scale=alt.Scale(domain=classes, range=[CLASS_COLOURS[int(c) % len(CLASS_COLOURS)] for c in classes]),
        legend=alt.Legend(orient="bottom", title="class"),
    )
    panels = []
    for name, (gx, gy, probs) in grids.items():
        hx = (gx[-1] - gx[0]) / max(len(gx) - 1, 1) / 2
        hy = (gy[-1] - gy[0]) / max(len(gy) - 1, 1) / 2
        domain_x = [float(gx[0] - hx), float(gx[-1] + hx)]
        domain_y = [float(gy[0] - hy), float(gy[-1] + hy)]
        image = pd.DataFrame(
            [
                {
                    "x1": domain_x[0],
                    "x1_end": domain_x[1],
                    "x2": domain_y[1],
                    "x2_end": domain_y[0],
                    "url": rgb_data_url(class_map_rgb(probs)),
                }
            ]
        )
        axis_x = alt.X("x1:Q", title="feature 1", scale=alt.Scale(domain=domain_x, nice=False))
        axis_y = alt.Y("x2:Q", title="feature 2", scale=alt.Scale(domain=domain_y, nice=False))
        regions = (
            alt.Chart(image)
            .mark_image(aspect=False, clip=True)
            .encode(x=axis_x, x2="x1_end:Q", y=axis_y, y2="x2_end:Q", url="url:N")
        )
        dots = (
            alt.Chart(points)
            .mark_circle(size=18, opacity=0.9, stroke="white", strokeWidth=0.5, clip=True)
            .encode(x=axis_x, y=axis_y, color=colour, tooltip=["class:N", "x1:Q", "x2:Q"])
        )
        acc = float(accuracy.get(name, float("nan")))
        shown = f"{acc:.1%}" if np.isfinite(acc) else "—"
        panels.append(
            alt.layer(regions, dots).properties(
                **FIT_WIDTH, height=size, title=f"{VARIANT_LABELS.get(name, name)}: {shown} correct"
            )
        )
    return panels
