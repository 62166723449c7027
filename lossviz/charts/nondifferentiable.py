"""Altair charts of the non-differentiable-losses page: numpy in, charts out (no JAX).

>>> import numpy as np
>>> x = np.linspace(-1, 1, 5)
>>> curves = {"x": x, "step": (x > 0) * 1.0, "soft_step": x, "d_step": 0 * x, "d_soft_step": 1 + 0 * x}
>>> _ = step_chart(curves, 0.5).to_dict()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from lossviz.charts.style import STYLE_COLOURS, STYLE_DASHES

HARD, SOFT = "#7f7f7f", "#e8590c"
# One colour per way of descending the 0-1 error: the same as on the landscapes.
METHOD_COLOURS = STYLE_COLOURS
METHOD_DASHES = STYLE_DASHES


def _finite(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    # JSON has no NaN/Infinity: a diverged run simply ends.
    return frame[np.isfinite(frame[column].to_numpy(dtype=float))]


def step_chart(
    curves: Mapping[str, np.ndarray], temperature: float, *, width: int = 330, height: int = 200
) -> alt.HConcatChart:
    """The step and the sigmoid ``σ(x/T)`` (left), and their derivatives (right).

    ``curves`` as returned by :func:`lossviz.nondifferentiable.step_curves`.
    """
    names = ("step (hard)", f"sigmoid σ(x/{temperature:g}) (soft)")
    colour = alt.Color("function:N", title=None, scale=alt.Scale(domain=list(names), range=[HARD, SOFT]))

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
                strokeDash=alt.StrokeDash("function:N", legend=None, scale=alt.Scale(range=[[1, 0], [1, 0]])),
                tooltip=["function:N", alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".4g")],
            )
            .properties(width=width, height=height)
        )

    values = panel("step", "soft_step", "The functions", "value")
    slopes = panel("d_step", "d_soft_step", "Their gradients (jax.grad)", "derivative")
    return alt.hconcat(values, slopes).configure_legend(orient="bottom")


def argmax_chart(
    logits: Sequence[float], result: Mapping[str, np.ndarray], temperature: float, *, width: int = 330
) -> alt.Chart:
    """Bars of ``argmax`` (one-hot) and ``softmax(z/T)`` per class; logits in the tooltip."""
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
            legend=alt.Legend(orient="bottom"),
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
    labels = base.mark_text(dy=-6, fontSize=11).encode(text=alt.Text("p:Q", format=".2f"))
    return (bars + labels).properties(width=width, height=220, title="Argmax vs softmax of the logits")


def zero_one_path_chart(
    paths: Mapping[str, np.ndarray], labels: Mapping[str, str], *, width: int = 700, height: int = 240
) -> alt.Chart:
    """The 0-1 error (fraction misclassified) along each run, one line per method."""
    frame = pd.concat(
        [pd.DataFrame({"step": np.arange(len(v)), "error": v, "method": labels[k]}) for k, v in paths.items()]
    )
    # the 0-1 run's light grey would vanish on a white page: draw it dark here
    colours = ["#222222" if k == "zero_one" else METHOD_COLOURS.get(k, "#888888") for k in paths]
    dashes = [METHOD_DASHES.get(k, [1, 0]) for k in paths]
    domain = [labels[k] for k in paths]
    return (
        alt.Chart(_finite(frame, "error"))
        .mark_line(strokeWidth=2.5, interpolate="step-after")
        .encode(
            x=alt.X("step:Q"),
            y=alt.Y("error:Q", title="0-1 error (fraction misclassified)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("method:N", title=None, scale=alt.Scale(domain=domain, range=colours)),
            strokeDash=alt.StrokeDash("method:N", legend=None, scale=alt.Scale(domain=domain, range=dashes)),
            tooltip=["method:N", "step:Q", alt.Tooltip("error:Q", format=".3f")],
        )
        .properties(width=width, height=height)
        .configure_legend(orient="bottom", columns=3, labelLimit=320)
    )
