"""Altair charts of the non-differentiable-losses page: numpy in, charts out (no JAX).

>>> import numpy as np
>>> x = np.linspace(-1, 1, 5)
>>> curves = {"x": x, "step": (x > 0) * 1.0, "soft_step": x, "d_step": 0 * x, "d_soft_step": 1 + 0 * x}
>>> _ = [chart.to_dict() for chart in step_charts(curves, 0.5)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from lossviz.charts.style import FIT_WIDTH, NEUTRAL, STYLE_COLOURS, STYLE_DASHES

HARD, SOFT = "#7f7f7f", "#e8590c"
# One colour per way of descending the 0-1 error: the same as on the landscapes.
METHOD_COLOURS = STYLE_COLOURS
METHOD_DASHES = STYLE_DASHES


def _finite(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    # JSON has no NaN/Infinity: a diverged run simply ends.
    return frame[np.isfinite(frame[column].to_numpy(dtype=float))]


def step_charts(
    curves: Mapping[str, np.ndarray], temperature: float, *, height: int = 200
) -> tuple[alt.Chart, alt.Chart]:
    """The step and the sigmoid ``σ(x/T)``, and their derivatives: two charts, each as wide as its container.

    Two charts rather than one side-by-side pair, so that a narrow screen can stack them.
    ``curves`` as returned by :func:`lossviz.nondifferentiable.step_curves`.
    """
    names = ("step (hard)", f"sigmoid σ(x/{temperature:g}) (soft)")
    colour = alt.Color(
        "function:N",
        title=None,
        scale=alt.Scale(domain=list(names), range=[HARD, SOFT]),
        legend=alt.Legend(orient="bottom", labelLimit=0),
    )

    def panel(hard: str, soft: str, title: str, y_title: str) -> alt.Chart:
        frame = pd.concat(
            [
                pd.DataFrame({"x": curves["x"], "y": curves[hard], "function": names[0]}),
                pd.DataFrame({"x": curves["x"], "y": curves[soft], "function": names[1]}),
            ]
        )
        return (
            alt.Chart(_finite(frame, "y"), title=title)
            .mark_line(strokeWidth=2.5, interpolate="step-after" if hard == "step" else "linear")
            .encode(
                x=alt.X("x:Q", title="x"),
                y=alt.Y("y:Q", title=y_title),
                color=colour,
                tooltip=["function:N", alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".4g")],
            )
            .properties(**FIT_WIDTH, height=height)
        )

    return (
        panel("step", "soft_step", "The functions", "value"),
        panel("d_step", "d_soft_step", "Their gradients (jax.grad)", "derivative"),
    )


def argmax_chart(
    logits: Sequence[float], result: Mapping[str, np.ndarray], temperature: float
) -> alt.LayerChart:
    """Bars of ``argmax`` (one-hot) and ``softmax(z/T)`` per class, as wide as the container; logits in the tooltip."""
    soft_name = f"softmax(z/{temperature:g})"
    rows = [
        {"class": f"z{k + 1} = {z:g}", "kind": kind, "p": float(p), "sensitivity": float(s)}
        for k, z in enumerate(logits)
        for kind, p, s in (
            ("argmax (one-hot)", result["argmax"][k], 0.0),
            (soft_name, result["softmax"][k], result["sensitivity"][k]),
        )
    ]
    frame = _finite(pd.DataFrame(rows), "p")
    base = alt.Chart(frame).encode(
        x=alt.X("class:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("kind:N", sort=None),
        y=alt.Y("p:Q", title="output", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color(
            "kind:N",
            title=None,
            sort=None,
            scale=alt.Scale(range=[HARD, SOFT]),
            legend=alt.Legend(orient="bottom", labelLimit=0),
        ),
    )
    bars = base.mark_bar().encode(
        tooltip=[
            "class:N",
            "kind:N",
            alt.Tooltip("p:Q", format=".4f"),
            alt.Tooltip("sensitivity:Q", title="∂p/∂z of this class", format=".4f"),
        ]
    )
    # not the default black, which vanishes on a dark page
    labels = base.mark_text(dy=-6, fontSize=11, color=NEUTRAL).encode(text=alt.Text("p:Q", format=".2f"))
    return (bars + labels).properties(**FIT_WIDTH, height=220, title="Argmax vs softmax of the logits")


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
) -> alt.LayerChart:
    """The 0-1 error (fraction misclassified) along each run, one line per method, as wide as the container.

    Dashed methods (the straight-through run) are drawn thin on top of the thick solid ones: the
    straight-through run coincides with the sigmoid surrogate's bit for bit, and both stay visible.
    """
    labels = {**METHOD_LABELS, **(labels or {})}
    frame = pd.DataFrame(
        {
            "step": np.concatenate([np.arange(len(v)) for v in paths.values()] or [np.zeros(0, int)]),
            "error": np.concatenate([np.asarray(v, float) for v in paths.values()] or [np.zeros(0)]),
            "method": [labels.get(k, k) for k, v in paths.items() for _ in range(len(v))],
            "dashed": [METHOD_DASHES.get(k, [1, 0])[1] > 0 for k, v in paths.items() for _ in range(len(v))],
        }
    )
    frame = _finite(frame, "error")
    # the 0-1 run's light grey (for the dark landscape) would vanish on a white page, black on a
    # dark one: a mid grey reads on both
    colours = [NEUTRAL if k == "zero_one" else METHOD_COLOURS.get(k, NEUTRAL) for k in paths]
    domain = [labels.get(k, k) for k in paths]
    colour = alt.Color(
        "method:N",
        title=None,
        scale=alt.Scale(domain=domain, range=colours),
        legend=alt.Legend(orient="bottom", labelLimit=0, columns=alt.ExprRef("width < 420 ? 2 : 5")),
    )
    x = alt.X("step:Q")
    y = alt.Y("error:Q", title="0-1 error", scale=alt.Scale(domain=[0, 1]))
    tooltip = ["method:N", "step:Q", alt.Tooltip("error:Q", format=".3f")]
    solid = (
        alt.Chart(frame[~frame["dashed"]])
        .mark_line(strokeWidth=4, interpolate="step-after")
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
    )
    dashed = (
        alt.Chart(frame[frame["dashed"]])
        .mark_line(strokeWidth=2, strokeDash=[6, 3], interpolate="step-after")
        .encode(x=x, y=y, color=colour, tooltip=tooltip)
    )
    return alt.layer(solid, dashed).properties(
        **FIT_WIDTH, height=height, title="0-1 error (fraction misclassified) along each run"
    )
