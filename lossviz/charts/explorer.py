"""Charts of the explorer besides the landscapes: loss along the paths, all optimizers (no JAX).

The builders return plain Vega-Lite dicts, their data in the top-level ``datasets``: an Altair
chart's object model cost ~0.1 s of a core per view, and Altair with pandas ~65 MB of a server.

>>> losses = np.array([3.0, 2.0, 1.0])
>>> spec = loss_path_chart({"original run": (losses, losses - 6.28)}, current_step=1)
>>> [layer["mark"]["type"] for layer in spec["layer"]]  # the curves, the current step, a divergence
['line', 'rule', 'rule', 'text']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lossviz.charts.packed import (
    Datasets,
    Spec,
    axis_title,
    container_chart,
    field,
    pack,
    tick_records,
    ticks_from,
    unpack,
)
from lossviz.charts.style import (
    NEUTRAL,
    QUANTITIES,
    STYLE_COLOURS,
    VERDICT_COLOURS,
    symlog_ticks_between,
)

_DEVIATION_FLOOR = 1e-12  # log x-axis: bit-identical (zero) deviations are drawn at this floor

_LOSS_AXIS = "{constant: 1, zero: false, nice: true, title: 'loss'}"  # until the data arrive

Runs = Mapping[str, tuple[np.ndarray, np.ndarray]]
"""``{run name: (L per step (T,), L' per step (T,))}``."""


def finite_losses(runs: Runs) -> np.ndarray:
    """Every finite value of ``L`` and ``L'`` along the runs, in one array."""
    values = [np.asarray(v, dtype=float) for pair in runs.values() for v in pair]
    flat = np.concatenate(values) if values else np.zeros(0)
    return flat[np.isfinite(flat)]


def _loss_y(
    values: np.ndarray, log_y: bool, current_step: int | None, data: Datasets
) -> tuple[Spec, Spec, Spec]:
    """The loss axis, linear or symmetric-log: its encoding, the parameter holding the record that
    describes it, and the data of the current step's rule, whose first record that is.

    Both are one symlog scale: a linear axis is a symlog one whose constant dwarfs every value
    (``log1p(|v| / c) = |v| / c`` to 5e-5 of the range: a hundredth of a pixel), and the constant,
    the ticks (the powers of ten across many decades, Vega's own otherwise) and the title are data.
    The toggle, or another problem's losses, changes the data and not the spec, so the browser
    replaces the data in the chart it has rather than building the chart again.

    The data set: the axis record, with the current step (drawn by the rule layer: Vega-Lite drops
    a data set that no layer draws, and the expressions would find nothing), then one record per
    tick (``v``, ``label``), which the rule skips (no step).
    """
    ticks = symlog_ticks_between(values.min(), values.max()) if log_y and values.size else []
    # 0, 1 and maybe -1 (all within (-10, 10)): symlog is nearly linear there, and Vega's own ticks do fine
    ticks = ticks if len(ticks) >= 3 else []
    top = float(np.abs(values).max()) if values.size else 1.0
    blank = dict.fromkeys(("step", "constant", "zero", "nice", "title", "v", "label"))
    records = [
        {
            **blank,
            "step": None if current_step is None else int(current_step),
            "constant": 1.0 if log_y else 1e4 * max(top, 1e-30),
            # a linear loss axis spans the losses, rounded out; the symlog one reaches 0 and ends
            # at the losses (rounded out in linear units, 0 to 550 would start at -50: a third
            # of the plot's height for nothing)
            "zero": log_y,
            "nice": not log_y,
            "title": "loss (symlog)" if log_y else "loss",
        },
        *({**blank, **tick} for tick in tick_records(ticks)),
    ]
    source = data.add_fixed("loss axis", records)
    rows = f"data('{source['name']}')"
    # read through a parameter: a scale's constant is evaluated before the data arrive
    param = {"name": "loss_axis", "expr": f"{rows}[0] || {_LOSS_AXIS}"}
    axis = ticks_from(rows, first=1)
    scale = {"type": "symlog", **{k: {"expr": f"loss_axis.{k}"} for k in ("constant", "zero", "nice")}}
    return field("value", "quantitative", title=None, scale=scale, axis=axis), param, source


def loss_path_chart(
    runs: Runs,
    *,
    current_step: int | None = None,
    log_y: bool = False,
    diverged_at: int | None = None,
    height: int = 220,
) -> Spec:
    """Loss along the paths: colour = run (first run: the original colour), dash = quantity.

    The chart fills its container's width.

    Args:
      runs: ``{run name: (L per step, L' per step)}``; non-finite values are dropped.
      current_step: draws a vertical rule at this step.
      log_y: symmetric-log y-axis (works with negative values).
      diverged_at: the first step a run overflowed: a labelled rule there, where the curves stop.
    """
    data = Datasets()
    names = list(runs)
    palette = [STYLE_COLOURS["original"], STYLE_COLOURS["transformed"], "#4c78a8", "#54a24b"]
    # one packed record per curve: a 1000-step view is ~50 KB instead of ~200 KB of rows
    records = []
    for run, pair in runs.items():
        for q, v in zip(QUANTITIES, pair, strict=True):
            v = np.asarray(v, dtype=float)
            ok = np.flatnonzero(np.isfinite(v))
            if ok.size:
                records.append(
                    {
                        "run": run,
                        "quantity": q,
                        "step": pack(ok, 0),
                        "value": ",".join(f"{x:.6g}" for x in v[ok]),
                    }
                )
    legend = {"orient": "bottom", "direction": "vertical"}
    source = data.add_fixed("curves", records)
    y, param, axis_data = _loss_y(finite_losses(runs), log_y, current_step, data)
    lines = {
        "data": source,
        "transform": unpack(["step", "value"]),
        "mark": {"type": "line", "strokeWidth": 2},
        "encoding": {
            "x": field("step", "quantitative", title="step", axis={"tickCount": 8, "tickMinStep": 1}),
            "y": y,
            # below (a right-hand legend would squeeze a phone's plot), two short columns side by side
            "color": field(
                "run",
                "nominal",
                title=None,
                scale={"domain": names, "range": palette[: max(len(names), 1)]},
                legend=legend,
            ),
            "strokeDash": field(
                "quantity",
                "nominal",
                title=None,
                scale={"domain": list(QUANTITIES), "range": [[1, 0], [5, 3]]},
                legend=legend,
            ),
            "tooltip": [
                field("run", "nominal"),
                field("quantity", "nominal"),
                field("step", "quantitative"),
                field("value", "quantitative", format=".4g"),
            ],
        },
    }
    rule = {
        "data": axis_data,
        "mark": {"type": "rule", "color": NEUTRAL, "strokeDash": [2, 2]},
        "encoding": {"x": field("step", "quantitative")},
    }
    # the layers of a diverged run are always there, with no records when no run diverged
    diverged = (
        [] if diverged_at is None else [{"step": int(diverged_at), "text": f"diverged at step {diverged_at}"}]
    )
    where = data.add_fixed("diverged", diverged)
    layers = [
        lines,
        rule,
        # an encoded colour name: Streamlit draws it in the theme's shade
        {
            "data": where,
            "mark": {"type": "rule", "strokeWidth": 2},
            "encoding": {"x": field("step", "quantitative"), "color": {"value": VERDICT_COLOURS["diverged"]}},
        },
        {
            "data": where,
            "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 4, "y": 4, "color": NEUTRAL},
            "encoding": {"x": field("step", "quantitative"), "text": field("text", "nominal")},
        },
    ]
    title = axis_title(f"{param['name']}.title", "left")
    return container_chart(data, layer=layers, height=height, params=[param], title=title)


def optimizer_deviation_chart(rows: Sequence[Mapping[str, Any]], kind_labels: Mapping[str, str]) -> Spec:
    """Horizontal bars of ``max |Δθ|`` between the original and transformed run per optimizer.

    The x-axis is logarithmic: 0 (bit-identical) is drawn as a stub at 1e-12, a
    non-finite value (a diverged run) as a bar 10x longer than the longest; each
    bar is labelled with its value. The chart fills its container's width.

    Args:
      rows: one per optimizer, with ``optimizer``, ``max_dtheta`` (>= 0, may be inf/NaN) and
        ``kind`` (a verdict kind).
      kind_labels: verdict kind -> its label (``lossviz.verdicts.KIND_LABELS``), for the legend.
        Every kind of :data:`~lossviz.charts.style.VERDICT_COLOURS` is in the legend with its one
        colour, whichever kinds the data holds.
    """
    dtheta = np.array([float(r["max_dtheta"]) for r in rows], dtype=float)
    finite = dtheta[np.isfinite(dtheta)]
    ceiling = max(float(finite.max()) * 10 if finite.size else 1.0, 1.0)
    bar = np.where(np.isfinite(dtheta), np.maximum(np.nan_to_num(dtheta), _DEVIATION_FLOOR), ceiling)
    data = Datasets()
    records = [
        {
            "optimizer": r["optimizer"],
            "verdict": kind_labels.get(r["kind"], r["kind"]),
            "bar": b,
            "shown": _deviation_label(d),
            "base": _DEVIATION_FLOOR / 10,
        }
        for r, b, d in zip(rows, bar.tolist(), dtheta.tolist(), strict=True)
    ]
    source = data.add(records)
    # three spare decades on the right for the labels; the end is read from the data, so the spec
    # is the same for every view and a switch replaces the chart's data instead of building it again
    end = f"1000 * max(1, extent(pluck(data('{source['name']}'), 'bar'))[1])"
    x = field(
        "bar",
        "quantitative",
        title="max |Δθ| (original vs transformed run)",
        scale={"type": "log", "domain": {"expr": f"[{_DEVIATION_FLOOR / 10!r}, {end}]"}},
        axis={"format": "~e", "labelOverlap": True},
    )
    encoding = {
        "x": x,
        "y": field("optimizer", "nominal", title=None, sort=None),
        "tooltip": [
            field("optimizer", "nominal"),
            field("verdict", "nominal"),
            field("shown", "nominal", title="max |Δθ|"),
        ],
    }
    kinds = list(VERDICT_COLOURS)
    colour = field(
        "verdict",
        "nominal",
        title=None,
        scale={
            "domain": [kind_labels.get(k, k) for k in kinds],
            "range": [VERDICT_COLOURS[k] for k in kinds],
        },
        # below the plot, every label whole, as many columns as the width holds (one on a phone)
        legend={
            "orient": "bottom",
            "labelLimit": 0,
            "columns": {"expr": "width < 420 ? 1 : width < 640 ? 2 : 3"},
        },
    )
    bars = {
        "mark": {"type": "bar"},
        "encoding": {**encoding, "x2": field("base", "quantitative"), "color": colour},
    }
    bars["encoding"]["x2"].pop("type")  # x2 shares x's type
    labels = {
        "mark": {"type": "text", "align": "left", "dx": 4, "color": NEUTRAL},
        "encoding": {**encoding, "text": field("shown", "nominal")},
    }
    return container_chart(data, data=source, layer=[bars, labels])


def _deviation_label(d: float) -> str:
    if not np.isfinite(d):
        return "diverged"
    return "0 (bit-identical)" if d == 0 else f"{d:.2g}"
