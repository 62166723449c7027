"""The "Non-differentiable losses" page: smooth surrogates versus "fake" gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from lossviz import nondifferentiable
from lossviz.charts import landscape
from lossviz.charts import nondifferentiable as nondiff_charts
from lossviz.problems import PROBLEMS
from lossviz.ui import cached, common, settings
from lossviz.ui.settings import NondiffSettings

PAGE = "nondiff"
BIND = common.BIND
CHART_KEY = "nondiff_landscape"


def _on_click() -> None:
    point = common.clicked_point(CHART_KEY)
    if point is not None:
        st.session_state[settings.ND_X0], st.session_state[settings.ND_Y0] = point


def sidebar_ui() -> dict[str, Any]:
    """The page's controls; returns their raw values keyed by URL parameter."""
    sb = st.sidebar
    raw: dict[str, Any] = {}
    sb.header("Smoothness")
    raw[settings.ND_TEMPERATURE] = common.temperature_slider(
        sb,
        "σ(x/T) and softmax(z/T): the smaller T, the closer to the hard step / argmax.",
        key=settings.ND_TEMPERATURE,
    )
    raw[settings.LOGITS] = sb.text_input(
        "logits z (comma-separated)",
        value=settings.DEFAULT_LOGITS,
        max_chars=settings.LOGITS_MAX_CHARS,
        key=settings.LOGITS,
        bind=BIND,
        help="2 to 8 numbers, e.g. 2, 1, 0.5",
    )
    sb.header("Linear classifier")
    raw[settings.SURROGATE] = sb.selectbox(
        "surrogate beside the 0-1 error", list(settings.SURROGATE_LABELS), key=settings.SURROGATE, bind=BIND
    )
    p = PROBLEMS["zero_one"]
    raw[settings.ND_X0], raw[settings.ND_Y0] = common.start_inputs(
        sb,
        p.param_names,
        p.start,
        "Empty = the default start. Or click a landscape.",
        keys=(settings.ND_X0, settings.ND_Y0),
    )
    raw[settings.ND_LR] = common.lr_slider(
        sb, "learning rate (SGD)", settings.DEFAULT_LR_NONDIFF, key=settings.ND_LR
    )
    raw[settings.ND_STEPS] = sb.slider(
        "steps", *settings.STEPS_RANGE, settings.DEFAULT_STEPS, 10, key=settings.ND_STEPS, bind=BIND
    )
    return raw


# what an invalid widget value is reset to
_DEFAULTS: dict[str, Any] = {
    settings.ND_TEMPERATURE: settings.DEFAULT_TEMPERATURE,
    settings.LOGITS: settings.DEFAULT_LOGITS,
    settings.ND_LR: settings.DEFAULT_LR_NONDIFF,
    settings.ND_STEPS: settings.DEFAULT_STEPS,
    settings.ND_X0: None,
    settings.ND_Y0: None,
    settings.SURROGATE: "sigmoid surrogate",
}


def settings_ui() -> tuple[NondiffSettings, dict[str, str]]:
    """Widgets -> validated settings; an invalid value is reset (with a notice) and the page reruns."""
    return common.page_settings(
        PAGE, settings.validate_nondiff, settings.NONDIFF_KEYS, sidebar_ui, lambda key, _: _DEFAULTS.get(key)
    )


def render_functions(s: NondiffSettings) -> None:
    st.subheader("1 · Hard functions and their soft versions")
    curves = nondifferentiable.step_curves(s.temperature)
    # two charts in two columns: side by side on a wide screen, stacked on a phone
    for column, spec in zip(st.columns(2), nondiff_charts.step_charts(curves, s.temperature), strict=True):
        common.draw(spec, where=column, width="stretch")
    peak = float(curves["d_soft_step"].max())
    st.markdown(
        f"The step's gradient is **0 everywhere** (and undefined at 0): nothing flows back through it. "
        f"The sigmoid's gradient is real, with a peak of **{peak:.3g}** = 1/(4T) at T = {s.temperature:g}: "
        "lower T and the sigmoid approaches the step while its gradient becomes a narrower, taller spike."
    )
    result = nondifferentiable.argmax_vs_softmax(s.logits, s.temperature)
    c1, c2 = st.columns([3, 2])
    common.draw(nondiff_charts.argmax_chart(s.logits, result, s.temperature), where=c1, width="stretch")
    c2.markdown(
        "**Softmax is a soft argmax.** Argmax jumps from one class to another as the logits move, so its "
        "gradient is zero wherever it is defined. Softmax gives nearly the same answer (most weight on the "
        "largest logit) but moves smoothly: its ∂p/∂z (in the tooltip) is what backpropagation needs. "
        f"Here the largest softmax output is **{result['softmax'].max():.3f}**; at T → 0 it becomes exactly one-hot."
    )


def _panel(problem: str, title: str, runs: dict, s: NondiffSettings) -> landscape.Panel:
    p = PROBLEMS[problem]
    view = cached.landscape_views(problem, 1.0, "identity", 0.0, s.temperature)
    # the straight-through run last, so that its thin dashes lie on top of the sigmoid surrogate's
    # path, which it equals bit for bit (drawn first, it would be hidden under it)
    order = sorted(runs, key=lambda name: name == "zero_one_ste")
    paths = tuple(
        landscape.PathData(nondiff_charts.METHOD_LABELS[name], runs[name].params, name) for name in order
    )
    return landscape.Panel(
        title=title,
        w1=view.original.w1,
        w2=view.original.w2,
        values=view.original.values,
        field_w1=view.original_field.w1,
        field_w2=view.original_field.w2,
        field_grad=view.original_field.grad,
        paths=paths,
        start=s.start,
        minima=p.minima,
        current=(),
        param_names=p.param_names,
        bounds=p.bounds,
    )


def render_classifier(s: NondiffSettings, runs: dict) -> None:
    st.subheader("2 · A linear classifier: the 0-1 error and its surrogates")
    surrogate_title = PROBLEMS[s.surrogate].title + (
        f" (T = {s.temperature:g})" if s.surrogate == "zero_one_soft" else ""
    )
    left = _panel("zero_one", "0-1 error (no arrows: its gradient is 0)", runs, s)
    right = _panel(s.surrogate, surrogate_title, runs, s)
    common.landscape_pair(left, right, CHART_KEY, _on_click, player_key="nondiff_width")
    st.caption(
        "Weights (w1, w2) of a classifier sign(w·x) on 80 seeded points. Every run starts at the white disc and "
        "takes SGD steps on its own loss: the true 0-1 gradient (grey), the straight-through gradient "
        "(magenta, dashed), the sigmoid surrogate (orange), logistic (cyan), hinge (green). "
        "**Click a panel to start there.**"
    )
    if nondifferentiable.straight_through_is_surrogate(runs):
        st.caption(
            "The straight-through path and the sigmoid surrogate's coincide **bit for bit**: the thin magenta "
            "dashes are drawn on top of the orange path, which shows between them."
        )
    common.draw(nondiff_charts.zero_one_path_chart({k: r.zero_one for k, r in runs.items()}), width="stretch")


def render_verdict(s: NondiffSettings, runs: dict) -> None:
    st.subheader("3 · Verdict")
    found = nondifferentiable.findings(runs)
    lines = []
    for f in found:
        label = nondifferentiable.METHODS[f.method].label
        if not f.moved:
            lines.append(
                f"- **{label}: did not move.** Its gradient is exactly zero, so every step is θ − lr·0 = θ; "
                f"the 0-1 error stays at {f.zero_one_start:.1%}."
            )
        else:
            change = "lowered" if f.zero_one_end < f.zero_one_start else "did not lower"
            lines.append(
                f"- **{label}: moved** {f.distance:.3g} and {change} the 0-1 error "
                f"from {f.zero_one_start:.1%} to {f.zero_one_end:.1%}."
            )
    st.markdown("\n".join(lines))
    if nondifferentiable.straight_through_is_surrogate(runs):
        st.success(
            "**The straight-through run is descent on the sigmoid surrogate in disguise:** its path equals the "
            f"surrogate's bit for bit at T = {s.temperature:g}. Its forward pass computes the exact 0-1 error, but "
            "plain gradient descent never uses the value, only the gradient, and that gradient is the sigmoid's. "
            "A 'fake gradient' always defines some loss; better to write that loss down and differentiate it."
        )
    else:
        st.warning("The straight-through and surrogate runs differ here (a diverged run?).")
    rows = [
        {
            "method": nondifferentiable.METHODS[f.method].label,
            "gradient": nondifferentiable.METHODS[f.method].gradient,
            "moved": "yes" if f.moved else "no",
            "0-1 error at start": f"{f.zero_one_start:.1%}",
            "0-1 error at end": f"{f.zero_one_end:.1%}" if np.isfinite(f.zero_one_end) else "—",
        }
        for f in found
    ]
    common.table(rows)


def main() -> None:
    """The non-differentiable-losses page."""
    s, notices = settings_ui()
    st.title("Non-differentiable losses: surrogates, not fake gradients")
    st.markdown(
        "A loss built on a step, an argmax or a 0-1 error is flat almost everywhere: its gradient is zero, "
        "so gradient descent cannot move. The fix is a **differentiable replacement of the same shape** "
        "(a sigmoid for a step, a softmax for an argmax) and its real gradient."
    )
    common.show_notices(notices)
    runs = cached.descents(s.start, s.lr, s.steps, s.temperature)
    render_functions(s)
    render_classifier(s, runs)
    render_verdict(s, runs)
