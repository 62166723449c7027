"""Charts of the non-differentiable-losses page: numpy in, Vega-Lite dicts out (no JAX).

Each builder returns a complete top-level Vega-Lite spec (a plain dict, drawn by
``lossviz.ui.common.draw``): built as Altair objects from pandas frames, the object
model and ``to_dict`` cost a large share of a view's CPU. The data travel *wide*, one
record per x with a column per curve; a ``fold`` transform makes the browser draw a
line (or bar) per column, a ``filter`` drops the missing values (non-finite numbers
travel as ``null``: JSON has no NaN) and a ``calculate`` names each curve.

>>> import numpy as np
>>> x = np.linspace(-1, 1, 5)
>>> curves = {"x": x, "step": (x > 0) * 1.0, "soft_step": x, "d_step": 0 * x, "d_soft_step": 1 + 0 * x}
>>> values, gradients = step_charts(curves, 0.5)
>>> values["mark"]
{'type': 'line', 'interpolate': 'step-after', 'strokeWidth': 2.5}
>>> values["datasets"][values["data"]["name"]][:2]
[{'x': -1.0, 'hard': 0.0, 'soft': -1.0}, {'x': -0.5, 'hard': 0.0, 'soft': -0.5}]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lossviz.charts.packed import Datasets, Spec, container_chart, field
from lossviz.charts.style import NEUTRAL, STYLE_COLOURS, STYLE_DASHES

HARD, SOFT = "#7f7f7f", "#e8590c"
# One colour per way of descending the 0-1 error: the same as on the landscapes.
METHOD_COLOURS = STYLE_COLOURS
METHOD_DASHES = STYLE_DASHES


def _column(values: Any) -> list[float | None]:
    """``values`` as a list of floats, non-finite ones as ``None`` (JSON has no NaN or Infinity)."""
    a = np.asarray(values, dtype=np.float64).ravel()
    out: list[float | None] = a.tolist()
    for i in np.flatnonzero(~np.isfinite(a)).tolist():
        out[i] = None
    return out


def _records(columns: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    """One record per row of equally long ``columns``."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _literal(value: Any) -> str:
    """``value`` (a string or a number) as a Vega expression literal."""
    return json.dumps(value, ensure_ascii=False)


def _cases(name: str, values: Mapping[str, Any], default: str) -> str:
    """A Vega expression: ``values[datum[name]]`` for the keys of ``values``, else ``default`` (an expression)."""
    return "".join(f"datum.{name} === {_literal(k)} ? {_literal(v)} : " for k, v in values.items()) + default


def _folded(columns: Mapping[str, str], key: str, value: str) -> list[Spec]:
    """Transforms turning wide records into one row per (record, column of ``columns``) with a value.

    ``columns``: record field -> label. Each row gets the label as ``key`` and the
    column's number as ``value``; rows whose number is missing (``null``) are dropped.
    Rows come record by record, in the order of ``columns``. Lines of one mark are drawn
    in the order of their first rows, so in the order of ``columns`` when the first record
    has a number in each: true of every chart here (the step and its gradient are finite
    everywhere, every run starts at a finite 0-1 error).
    """
    return [
        {"fold": list(columns), "as": [key, value]},
        {"filter": f"isValid(datum.{value})"},
        {"calculate": _cases(key, columns, f"datum.{key}"), "as": key},
    ]


def step_charts(
    curves: Mapping[str, np.ndarray], temperature: float, *, height: int = 200
) -> tuple[Spec, Spec]:
    """The step and the sigmoid ``σ(x/T)``, and their derivatives: two charts, each as wide as its container.

    Two charts rather than one side-by-side pair, so that a narrow screen can stack them.
    ``curves`` as returned by :func:`lossviz.nondifferentiable.step_curves`.
    """
    names = {"hard": "step (hard)", "soft": f"sigmoid σ(x/{temperature:g}) (soft)"}
    colour = field(
        "function",
        "nominal",
        legend={"labelLimit": 0, "orient": "bottom"},
        scale={"domain": list(names.values()), "range": [HARD, SOFT]},
        title=None,
    )
    x = _column(curves["x"])

    def panel(hard: str, soft: str, title: str, y_title: str) -> Spec:
        data = Datasets()
        records = _records({"x": x, "hard": _column(curves[hard]), "soft": _column(curves[soft])})
        return container_chart(
            data,
            data=data.add(records),
            mark={
                "type": "line",
                "interpolate": "step-after" if hard == "step" else "linear",
                "strokeWidth": 2.5,
            },
            encoding={
                "color": colour,
                "tooltip": [
                    field("function", "nominal"),
                    field("x", "quantitative", format=".3f"),
                    field("y", "quantitative", format=".4g"),
                ],
                "x": field("x", "quantitative", title="x"),
                "y": field("y", "quantitative", title=y_title),
            },
            transform=_folded(names, "function", "y"),
            height=height,
            title=title,
        )

    return (
        panel("step", "soft_step", "The functions", "value"),
        panel("d_step", "d_soft_step", "Their gradients (jax.grad)", "derivative"),
    )


def argmax_chart(logits: Sequence[float], result: Mapping[str, np.ndarray], temperature: float) -> Spec:
    """Bars of ``argmax`` (one-hot) and ``softmax(z/T)`` per class, as wide as the container; logits in the tooltip."""
    kinds = {"argmax": "argmax (one-hot)", "softmax": f"softmax(z/{temperature:g})"}
    data = Datasets()
    records = _records(
        {
            "class": [f"z{k + 1} = {z:g}" for k, z in enumerate(logits)],
            "argmax": _column(result["argmax"]),
            "softmax": _column(result["softmax"]),
            "sensitivity": _column(result["sensitivity"]),
        }
    )
    encoding = {
        "color": field(
            "kind",
            "nominal",
            legend={"labelLimit": 0, "orient": "bottom"},
            scale={"range": [HARD, SOFT]},
            sort=None,
            title=None,
        ),
        "x": field("class", "nominal", axis={"labelAngle": 0}, sort=None, title=None),
        "xOffset": field("kind", "nominal", sort=None),
        "y": field("p", "quantitative", scale={"domain": [0, 1]}, title="output"),
    }
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            **encoding,
            "tooltip": [
                field("class", "nominal"),
                field("kind", "nominal"),
                field("p", "quantitative", format=".4f"),
                field("sensitivity", "quantitative", format=".4f", title="∂p/∂z of this class"),
            ],
        },
    }
    # not the default black, which vanishes on a dark page
    labels = {
        "mark": {"type": "text", "color": NEUTRAL, "dy": -6, "fontSize": 11},
        "encoding": {**encoding, "text": field("p", "quantitative", format=".2f")},
    }
    # argmax has no gradient: its rows' ∂p/∂z is 0 (the sensitivity column is softmax's)
    sensitivity = {"calculate": _cases("kind", {"argmax": 0.0}, "datum.sensitivity"), "as": "sensitivity"}
    fold, keep, label = _folded(kinds, "kind", "p")
    return container_chart(
        data,
        layer=[bars, labels],
        data=data.add(records),
        transform=[fold, keep, sensitivity, label],
        height=220,
        title="Argmax vs softmax of the logits",
    )


# Short names of the ways of descending the 0-1 error for the charts' legends (a legend cuts a
# label at 160 px by default: "true gradient of the 0-1 e…").
METHOD_LABELS = {
    "zero_one": "0-1 gradient (zero)",
    "zero_one_ste": "straight-through",
    "zero_one_soft": "sigmoid surrogate",
    "logistic": "logistic",
    "hinge": "hinge",
}


def zero_one_path_chart(
    paths: Mapping[str, np.ndarray], labels: Mapping[str, str] | None = None, *, height: int = 240
) -> Spec:
    """The 0-1 error (fraction misclassified) along each run, one line per method, as wide as the container.

    Dashed methods (the straight-through run) are drawn thin on top of the thick solid ones: the
    straight-through run coincides with the sigmoid surrogate's bit for bit, and both stay visible.
    One record per step (the browser numbers them from 0), with the error of run ``k`` of ``paths``
    in column ``m{k}``: ``null`` where it is not finite (a diverged run simply ends) and after a
    shorter run's end. Each layer folds its own runs' columns.
    """
    labels = {**METHOD_LABELS, **(labels or {})}
    columns = {f"m{k}": name for k, name in enumerate(paths)}
    errors = np.full((len(paths), max((len(v) for v in paths.values()), default=0)), np.nan)
    for k, v in enumerate(paths.values()):
        errors[k, : len(v)] = np.asarray(v, dtype=np.float64).ravel()
    # steps after every run's last finite error draw nothing
    steps = np.flatnonzero(np.isfinite(errors).any(axis=0))
    errors = errors[:, : steps[-1] + 1 if steps.size else 0]
    data = Datasets()
    records = _records({c: _column(e) for c, e in zip(columns, errors, strict=True)})
    # the 0-1 run's light grey (for the dark landscape) would vanish on a white page, black on a
    # dark one: a mid grey reads on both
    colours = [NEUTRAL if k == "zero_one" else METHOD_COLOURS.get(k, NEUTRAL) for k in paths]
    encoding = {
        "color": field(
            "method",
            "nominal",
            legend={"columns": {"expr": "width < 420 ? 2 : 5"}, "labelLimit": 0, "orient": "bottom"},
            scale={"domain": [labels.get(k, k) for k in paths], "range": colours},
            title=None,
        ),
        "tooltip": [
            field("method", "nominal"),
            field("step", "quantitative"),
            field("error", "quantitative", format=".3f"),
        ],
        "x": field("step", "quantitative"),
        "y": field("error", "quantitative", scale={"domain": [0, 1]}, title="0-1 error"),
    }

    def layer(dashed: bool, mark: Spec) -> Spec:
        drawn = {
            c: labels.get(k, k) for c, k in columns.items() if (METHOD_DASHES.get(k, [1, 0])[1] > 0) == dashed
        }
        return {"mark": mark, "encoding": encoding, "transform": _folded(drawn, "method", "error")}

    return container_chart(
        data,
        data=data.add(records),
        # numbered in record order, before the layers fold the records into rows
        transform=[
            {"window": [{"op": "row_number", "as": "step"}]},
            {"calculate": "datum.step - 1", "as": "step"},
        ],
        layer=[
            layer(False, {"type": "line", "interpolate": "step-after", "strokeWidth": 4}),
            layer(
                True, {"type": "line", "interpolate": "step-after", "strokeDash": [6, 3], "strokeWidth": 2}
            ),
        ],
        height=height,
        title="0-1 error (fraction misclassified) along each run",
    )
