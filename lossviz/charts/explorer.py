"""Charts of the explorer besides the landscapes: loss along the paths, all optimizers (no JAX)."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from lossviz.charts.packed import inline, pack, unpacked
from lossviz.charts.style import (
    FIT_WIDTH,
    NEUTRAL,
    QUANTITIES,
    READABLE_TICK,
    STYLE_COLOURS,
    VERDICT_COLOURS,
    format_value,
    symlog_ticks_between,
    tick_labels,
)

_DEVIATION_FLOOR = 1e-12  # log x-axis: bit-identical (zero) deviations are drawn at this floor


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


def _loss_y(values: np.ndarray, log_y: bool) -> alt.Y:
    if not log_y:
        return alt.Y(
            "value:Q", title="loss", scale=alt.Scale(zero=False), axis=alt.Axis(labelExpr=READABLE_TICK)
        )
    ticks = symlog_ticks_between(values.min(), values.max()) if values.size else []
    # below three decades symlog is nearly linear and Vega's own ticks do fine
    labels = tick_labels(ticks, map(format_value, ticks))
    axis = alt.Axis(values=ticks, labelExpr=labels) if len(ticks) > 3 else alt.Axis()
    return alt.Y("value:Q", title="loss (symlog)", scale=alt.Scale(type="symlog"), axis=axis)


def loss_path_chart(
    frame: pd.DataFrame,
    *,
    current_step: int | None = None,
    log_y: bool = False,
    diverged_at: int | None = None,
    height: int = 220,
) -> alt.LayerChart:
    """Loss along the paths: colour = run (first run: the original colour), dash = quantity.

    The chart fills its container's width.

    Args:
      frame: tidy, as made by :func:`loss_path_frame`; non-finite values are dropped.
      current_step: draws a vertical rule at this step.
      log_y: symmetric-log y-axis (works with negative values).
      diverged_at: the first step a run overflowed: a labelled rule there, where the curves stop.
    """
    frame = frame[np.isfinite(frame["value"].astype(float))]
    runs = list(dict.fromkeys(frame["run"]))
    palette = [STYLE_COLOURS["original"], STYLE_COLOURS["transformed"], "#4c78a8", "#54a24b"]
    # one packed record per curve: a 1000-step view is ~50 KB instead of ~200 KB of rows
    records = [
        {
            "run": run,
            "quantity": q,
            "step": pack(g["step"], 0),
            "value": ",".join(f"{v:.6g}" for v in g["value"]),
        }
        for (run, q), g in frame.groupby(["run", "quantity"], sort=False)
    ]
    lines = (
        unpacked(records, ["step", "value"])
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("step:Q", title="step", axis=alt.Axis(tickCount=8, tickMinStep=1)),
            y=_loss_y(frame["value"].to_numpy(dtype=float), log_y),
            color=alt.Color(
                "run:N",
                title=None,
                scale=alt.Scale(domain=runs, range=palette[: max(len(runs), 1)]),
                # below (a right-hand legend would squeeze a phone's plot), two short columns side by side
                legend=alt.Legend(orient="bottom", direction="vertical"),
            ),
            strokeDash=alt.StrokeDash(
                "quantity:N",
                title=None,
                scale=alt.Scale(domain=list(QUANTITIES), range=[[1, 0], [5, 3]]),
                legend=alt.Legend(orient="bottom", direction="vertical"),
            ),
            tooltip=[
                *map(alt.Tooltip, ("run:N", "quantity:N", "step:Q")),
                alt.Tooltip("value:Q", format=".4g"),
            ],
        )
    )
    steps = [] if current_step is None else [{"step": int(current_step)}]
    rule = alt.Chart(inline(steps)).mark_rule(color=NEUTRAL, strokeDash=[2, 2]).encode(x=alt.X("step:Q"))
    layers = [lines, rule]
    if diverged_at is not None:
        where = alt.Chart(inline([{"step": int(diverged_at), "text": f"diverged at step {diverged_at}"}]))
        layers += [
            # an encoded colour name: Streamlit draws it in the theme's shade
            where.mark_rule(strokeWidth=2).encode(
                x=alt.X("step:Q"), color=alt.value(VERDICT_COLOURS["diverged"])
            ),
            where.mark_text(align="left", baseline="top", dx=4, y=4, color=NEUTRAL).encode(
                x=alt.X("step:Q"), text=alt.Text("text:N")
            ),
        ]
    return alt.layer(*layers).properties(**FIT_WIDTH, height=height)


def optimizer_deviation_chart(frame: pd.DataFrame, kind_labels: Mapping[str, str]) -> alt.LayerChart:
    """Horizontal bars of ``max |Δθ|`` between the original and transformed run per optimizer.

    The x-axis is logarithmic: 0 (bit-identical) is drawn as a stub at 1e-12, a
    non-finite value (a diverged run) as a bar 10x longer than the longest; each
    bar is labelled with its value. The chart fills its container's width.

    Args:
      frame: columns ``optimizer``, ``max_dtheta`` (>= 0, may be inf/NaN), ``kind`` (a verdict kind).
      kind_labels: verdict kind -> its label (``lossviz.verdicts.KIND_LABELS``), for the legend.
        Every kind of :data:`~lossviz.charts.style.VERDICT_COLOURS` is in the legend with its one
        colour, whichever kinds the data holds.
    """
    dtheta = frame["max_dtheta"].astype(float).to_numpy()
    finite = dtheta[np.isfinite(dtheta)]
    ceiling = max(float(finite.max()) * 10 if finite.size else 1.0, 1.0)
    bar = np.where(np.isfinite(dtheta), np.maximum(np.nan_to_num(dtheta), _DEVIATION_FLOOR), ceiling)
    data = frame[["optimizer"]].assign(
        verdict=[kind_labels.get(k, k) for k in frame["kind"]],
        bar=bar,
        shown=[_deviation_label(d) for d in dtheta],
        base=_DEVIATION_FLOOR / 10,
    )
    # three spare decades on the right for the labels
    x = alt.X(
        "bar:Q",
        title="max |Δθ| (original vs transformed run)",
        scale=alt.Scale(type="log", domain=[_DEVIATION_FLOOR / 10, float(bar.max(initial=1.0)) * 1e3]),
        axis=alt.Axis(format="~e", labelOverlap=True),
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
    kinds = list(VERDICT_COLOURS)
    colour = alt.Color(
        "verdict:N",
        title=None,
        scale=alt.Scale(
            domain=[kind_labels.get(k, k) for k in kinds], range=[VERDICT_COLOURS[k] for k in kinds]
        ),
        # below the plot, every label whole, as many columns as the width holds (one on a phone)
        legend=alt.Legend(
            orient="bottom",
            labelLimit=0,
            columns=alt.ExprRef("width < 420 ? 1 : width < 640 ? 2 : 3"),
        ),
    )
    bars = base.mark_bar().encode(x2=alt.X2("base:Q"), color=colour)
    labels = base.mark_text(align="left", dx=4, color=NEUTRAL).encode(text=alt.Text("shown:N"))
    return alt.layer(bars, labels).properties(**FIT_WIDTH)


def _deviation_label(d: float) -> str:
    if not np.isfinite(d):
        return "diverged"
    return "0 (bit-identical)" if d == 0 else f"{d:.2g}"
