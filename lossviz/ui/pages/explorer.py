"""The Explorer page: a loss, its transform, and what optimizers make of both.

Data flows one way: URL-bound widgets -> :func:`lossviz.ui.settings.validate` ->
cached engine calls (:mod:`lossviz.ui.cached`) -> chart builders
(:mod:`lossviz.charts`) -> Streamlit. The ``*_ui`` functions return plain
values; the ``render_*`` functions only draw.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from lossviz import verdicts
from lossviz.charts import explorer as explorer_charts
from lossviz.charts import landscape
from lossviz.optimizers import OPTIMIZERS
from lossviz.problems import PROBLEMS
from lossviz.trajectories import Run
from lossviz.transforms import MONOTONE_MAPS, maps_for
from lossviz.ui import cached, common, settings
from lossviz.ui.settings import ExplorerSettings

BIND = common.BIND
CHART_KEY = "landscape"
PAGE = "explorer"
_PLAYING = "_explorer_playing"
IDENTITY = MONOTONE_MAPS["identity"].label
PLAY_FRAMES = 40  # a playback takes about this many reruns


# --- state helpers (callbacks run before the script, so they may set widget keys) ---


def _end_step() -> int:
    return int(st.session_state.get(settings.STEPS) or settings.DEFAULT_STEPS)


def _on_problem_change() -> None:
    # A start point or map of the old problem may not fit the new one.
    _set(**{settings.X0: None, settings.Y0: None, settings.PLAYBACK_STEP: _end_step()})
    name = settings.PROBLEM_LABELS.get(st.session_state.get(settings.PROBLEM), settings.DEFAULT_PROBLEM)
    st.session_state[settings.LR] = PROBLEMS[name].lr
    if st.session_state.get(settings.G) not in settings.map_labels(maps_for(PROBLEMS[name].lower_bound)):
        st.session_state[settings.G] = IDENTITY


def _on_optimizer_change() -> None:
    # Each optimizer starts from its own hyper-parameter defaults: Lion's β₂ = 0.99 is not Adam's.
    # Keys shared by presets (b1, b2, momentum) keep links short; the link names the optimizer.
    label = st.session_state.get(settings.OPTIMIZER)
    preset = OPTIMIZERS[settings.OPTIMIZER_LABELS.get(label, settings.DEFAULT_OPTIMIZER)]
    for key in settings.HYPER_KEYS:
        st.session_state.pop(key, None)
    _set(**{h.name: h.default for h in preset.hyper})


def _on_steps_change() -> None:
    st.session_state[settings.PLAYBACK_STEP] = _end_step()


def _set(**values: Any) -> None:
    for key, value in values.items():
        st.session_state[key] = value


def _on_click() -> None:
    """Moves the start point to the clicked grid point of a landscape panel."""
    point = common.clicked_point(CHART_KEY)
    if point is not None:
        _set(**{settings.X0: point[0], settings.Y0: point[1], settings.PLAYBACK_STEP: _end_step()})


def _toggle_play() -> None:
    playing = not st.session_state.get(_PLAYING, False)
    st.session_state[_PLAYING] = playing
    step, steps = st.session_state.get(settings.PLAYBACK_STEP), st.session_state.get(settings.STEPS)
    if playing and (step is None or steps is None or step >= steps):
        st.session_state[settings.PLAYBACK_STEP] = 0


# --- widgets ---------------------------------------------------------------------


def sidebar_ui() -> dict[str, Any]:
    """The sidebar controls; returns their raw values keyed by URL parameter."""
    sb = st.sidebar
    raw: dict[str, Any] = {}
    sb.header("Problem")
    raw[settings.PROBLEM] = sb.selectbox(
        "Loss L(θ)",
        list(settings.PROBLEM_LABELS),
        key=settings.PROBLEM,
        bind=BIND,
        on_change=_on_problem_change,
    )
    p = PROBLEMS[settings.PROBLEM_LABELS.get(raw[settings.PROBLEM], settings.DEFAULT_PROBLEM)]
    sb.caption(p.description)
    if p.temperature is not None:
        raw[settings.TEMPERATURE] = common.temperature_slider(
            sb, "The sigmoid σ(m/T): the smaller T, the closer to a step and the spikier its gradient."
        )
    raw[settings.X0], raw[settings.Y0] = common.start_inputs(
        sb, p.param_names, p.start, "Empty = the problem's default start. Or click a landscape."
    )

    sb.header("Transform  L′ = a·g(L) + c")
    b1, b2, b3 = sb.columns(3)
    b1.button(
        "c = −2π",
        on_click=_set,
        kwargs={settings.SHIFT: -2 * math.pi, settings.SCALE: 1.0},
        help="The forum's example: shift the loss down by 2π.",
        width="stretch",
    )
    b2.button(
        "−L",
        on_click=_set,
        kwargs={settings.SCALE: -1.0, settings.SHIFT: 0.0},
        help="Negate the loss: descent on −L is ascent on L.",
        width="stretch",
    )
    b3.button(
        "L′ = L",
        on_click=_set,
        kwargs={settings.SCALE: 1.0, settings.SHIFT: 0.0, settings.G: IDENTITY},
        width="stretch",
    )
    raw[settings.SHIFT] = sb.number_input(
        "shift c",
        value=settings.DEFAULT_SHIFT,
        step=0.5,
        format="%.4f",
        key=settings.SHIFT,
        bind=BIND,
        help=f"Any constant in [{settings.SHIFT_RANGE[0]:g}, {settings.SHIFT_RANGE[1]:g}].",
    )
    raw[settings.SCALE] = sb.number_input(
        "scale a",
        value=1.0,
        step=0.1,
        format="%.3f",
        key=settings.SCALE,
        bind=BIND,
        help="a < 0 turns descent into ascent; a = −1 is negation.",
    )
    raw[settings.G] = sb.selectbox(
        "monotone map g",
        list(settings.map_labels(maps_for(p.lower_bound))),
        key=settings.G,
        bind=BIND,
        help="Increasing maps keep the minimisers. log/√ need L ≥ 0, so they are offered only then.",
    )

    sb.header("Optimizer")
    raw[settings.OPTIMIZER] = sb.selectbox(
        "optimizer",
        list(settings.OPTIMIZER_LABELS),
        key=settings.OPTIMIZER,
        bind=BIND,
        on_change=_on_optimizer_change,
    )
    preset = OPTIMIZERS[settings.OPTIMIZER_LABELS.get(raw[settings.OPTIMIZER], settings.DEFAULT_OPTIMIZER)]
    sb.caption(preset.note)
    # The problem's own rate is the default: a link naming a problem and no `lr` gets it, as choosing
    # the problem in the menu does (_on_problem_change), and a link keeps any other rate.
    raw[settings.LR] = common.lr_slider(sb, "learning rate (log scale)", p.lr)
    for h in preset.hyper:
        decimals = max(0, -math.floor(math.log10(h.step)))
        raw[h.name] = sb.slider(
            h.label,
            h.min,
            h.max,
            h.default,
            h.step,
            format=f"%.{decimals}f",
            key=h.name,
            bind=BIND,
            help=h.help or None,
        )
    raw[settings.STEPS] = sb.slider(
        "steps",
        *settings.STEPS_RANGE,
        settings.DEFAULT_STEPS,
        10,
        key=settings.STEPS,
        bind=BIND,
        on_change=_on_steps_change,
    )
    return raw


def playback_ui(s: ExplorerSettings) -> int:
    """Step slider and play button; returns the playback step."""
    if st.session_state.get(_PLAYING):
        stride = max(1, s.steps // PLAY_FRAMES)
        current = st.session_state.get(settings.PLAYBACK_STEP)
        nxt = min(s.steps, (s.step if current is None else int(current)) + stride)
        st.session_state[settings.PLAYBACK_STEP] = nxt
        if nxt >= s.steps:
            st.session_state[_PLAYING] = False
    c1, c2 = st.columns([1, 8], vertical_alignment="bottom")
    c1.button(
        "Pause" if st.session_state.get(_PLAYING) else "Play",
        # Streamlit's own icon font: "⏸" is an empty box in Debian's Chromium
        icon=":material/pause:" if st.session_state.get(_PLAYING) else ":material/play_arrow:",
        on_click=_toggle_play,
        width="stretch",
    )
    # Always the default (the end): playback and callbacks set the step through session state,
    # which wins; a link without `step` opens at the end, not at 0.
    value = c2.slider("step", 0, s.steps, s.steps, step=1, key=settings.PLAYBACK_STEP, bind=BIND)
    return int(value) if value is not None else s.steps


# --- page ------------------------------------------------------------------------


def settings_ui() -> tuple[ExplorerSettings, dict[str, str]]:
    """Widgets -> validated settings; an invalid value is reset (with a notice) and the page reruns."""
    return common.page_settings(PAGE, settings.validate, settings.KEYS, sidebar_ui, _default_of)


def _default_of(key: str, s: ExplorerSettings) -> Any:
    """What an invalid widget value is reset to."""
    if key in (settings.X0, settings.Y0):
        return None  # empty: the problem's own start
    defaults = ExplorerSettings()
    preset = OPTIMIZERS[s.optimizer]
    for h in preset.hyper:
        if h.name == key:
            return h.default
    return {
        settings.PROBLEM: settings.label_of(settings.PROBLEM, defaults.problem),
        settings.OPTIMIZER: settings.label_of(settings.OPTIMIZER, defaults.optimizer),
        settings.LR: PROBLEMS[s.problem].lr,
        settings.STEPS: defaults.steps,
        settings.SCALE: 1.0,
        settings.G: IDENTITY,
        settings.SHIFT: settings.DEFAULT_SHIFT,
        settings.PLAYBACK_STEP: s.steps,
        settings.TEMPERATURE: settings.DEFAULT_TEMPERATURE,
    }.get(key)


# presets whose step is lr times the gradient (with momentum): on a·L they act at learning rate a·lr
_LINEAR_IN_THE_GRADIENT = ("sgd", "momentum", "nesterov")


def _effective_lr(s: ExplorerSettings) -> float | None:
    if s.optimizer in _LINEAR_IN_THE_GRADIENT and s.g == "identity" and s.scale > 0:
        return s.scale * s.lr
    return None


def _tolerance(s: ExplorerSettings) -> float:
    (lo1, hi1), (lo2, hi2) = PROBLEMS[s.problem].bounds
    return 1e-3 * math.hypot(hi1 - lo1, hi2 - lo2)


def _transform_label(s: ExplorerSettings) -> str:
    g = MONOTONE_MAPS[s.g].label
    a = "" if s.scale == 1.0 else ("−" if s.scale == -1.0 else f"{s.scale:g}·")
    inner = g if s.scale in (1.0, -1.0) or s.g == "identity" else f"({g})"
    c = "" if s.shift == 0.0 else f" {'+' if s.shift > 0 else '−'} {abs(s.shift):.4g}"
    return f"L′ = {a}{inner}{c}"


def _panel(title: str, land, field, runs: tuple[Run, Run], s: ExplorerSettings, step: int) -> landscape.Panel:
    p = PROBLEMS[s.problem]
    names = ("original run", "transformed run")
    paths = tuple(
        landscape.PathData(name, run.params, style)
        for name, run, style in zip(names, runs, ("original", "transformed"), strict=True)
    )
    current = tuple(
        (style, float(run.params[step, 0]), float(run.params[step, 1]))
        for run, style in zip(runs, ("original", "transformed"), strict=True)
        if (run.diverged_at is None or step < run.diverged_at) and np.isfinite(run.params[step]).all()
    )
    return landscape.Panel(
        title=title,
        w1=land.w1,
        w2=land.w2,
        values=land.values,
        field_w1=field.w1,
        field_w2=field.w2,
        field_grad=field.grad,
        paths=paths,
        start=s.start,
        minima=p.minima,
        current=current,
        param_names=p.param_names,
        bounds=p.bounds,
    )


def render_landscapes(s: ExplorerSettings, runs: tuple[Run, Run], step: int) -> None:
    v = cached.landscape_views(s.problem, s.scale, s.g, s.shift, s.temperature)
    left = _panel("L (original loss)", v.original, v.original_field, runs, s, step)
    right = _panel(_transform_label(s), v.transformed, v.transformed_field, runs, s, step)
    common.landscape_pair(left, right, CHART_KEY, _on_click)
    st.caption(
        "Colours rank the values (so L and L′ look alike whenever g is increasing and a > 0, and reverse "
        "when a < 0); arrows point along −∇, the way descent moves. Solid: run on L; dashed: run on L′. "
        "★ known minima. **Click a panel to start there.**"
    )


def render_readout(s: ExplorerSettings, runs: tuple[Run, Run], along: np.ndarray, step: int) -> None:
    rows = []
    for name, run, objective in (
        ("original run (on L)", runs[0], along),
        ("transformed run (on L′)", runs[1], None),
    ):
        theta = run.params[step]
        lp = run.objective[step] if objective is None else objective[step]
        rows.append(
            {
                "run": name,
                "θ": f"({theta[0]:.4g}, {theta[1]:.4g})",
                "L": f"{run.loss[step]:.6g}",
                "L′": f"{lp:.6g}",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def render_loss_chart(runs: tuple[Run, Run], along: np.ndarray, step: int) -> None:
    frame = explorer_charts.loss_path_frame(
        {"original run": (runs[0].loss, along), "transformed run": (runs[1].loss, runs[1].objective)}
    )
    finite = frame["value"][np.isfinite(frame["value"])]
    spread = finite.abs().max() / max(finite.abs().min(), 1e-12) if len(finite) else 1.0
    log_y = st.toggle("symlog y-axis", value=bool(spread > 1e4), key="loss_log_y")
    common.draw(explorer_charts.loss_path_chart(frame, current_step=step, log_y=log_y), width="stretch")


def render_verdict(s: ExplorerSettings, runs: tuple[Run, Run]) -> verdicts.Verdict:
    v = verdicts.compare(runs[0], runs[1], _tolerance(s), scale=s.scale, effective_lr=_effective_lr(s))
    diverged = runs[0].diverged_at is not None or runs[1].diverged_at is not None
    box = {
        verdicts.IDENTICAL: st.warning if diverged else st.success,
        verdicts.SAME_PATH: st.success,
        verdicts.SAME_END: st.info,
        verdicts.ASCENT: st.error,
        verdicts.DIVERGED: st.warning,
        verdicts.DIFFERENT: st.warning,
    }[v.kind]
    text = f"{OPTIMIZERS[s.optimizer].title}, {_transform_label(s)}: " + verdicts.describe(v)
    if diverged:  # one message: the verdict already names the step
        text += " Paths and curves stop where a run's parameters or loss overflowed."
    box(text)
    return v


def render_all_optimizers(s: ExplorerSettings) -> None:
    table = cached.all_optimizers(s, _tolerance(s))
    common.draw(explorer_charts.optimizer_deviation_chart(table), width="stretch")
    shown = table.drop(columns=["kind"]).rename(columns={"max_dtheta": "max |Δθ|"})
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(
        f"Every optimizer at learning rate {s.lr:g} with its default hyper-parameters, {s.steps} steps, "
        "from the same start, on L and on L′. max |Δθ| = 0 means bit-identical paths."
    )


def trajectories_csv(s: ExplorerSettings, runs: tuple[Run, Run], along: np.ndarray) -> bytes:
    """Both runs as CSV: run, step, the two parameters, ``L`` and ``L'``, one row per step of each run.

    ``along`` is ``L'`` along the original run (the transformed run carries its own).
    """
    p = PROBLEMS[s.problem]
    frames = []
    for name, run, objective in (("original", runs[0], along), ("transformed", runs[1], runs[1].objective)):
        frames.append(
            pd.DataFrame(
                {
                    "run": name,
                    "step": np.arange(len(run.loss)),
                    p.param_names[0]: run.params[:, 0],
                    p.param_names[1]: run.params[:, 1],
                    "L": run.loss,
                    "L_transformed": objective,
                }
            )
        )
    return pd.concat(frames).to_csv(index=False).encode()


def render_download(s: ExplorerSettings, runs: tuple[Run, Run], along: np.ndarray) -> None:
    st.download_button(
        "Download trajectories (CSV)",
        trajectories_csv(s, runs, along),
        file_name=f"lossviz_{s.problem}_{s.optimizer}.csv",
        mime="text/csv",
    )


def render_explanation() -> None:
    with st.expander("Why? The math in four lines", expanded=False):
        st.markdown(
            "Gradient descent updates the parameters with the **gradient** of the loss, never its value:"
        )
        st.latex(r"\theta_{k+1} = \theta_k - \eta\,\nabla L(\theta_k)")
        st.markdown("and the gradient of the transformed loss is")
        st.latex(r"\nabla\big(a\,g(L) + c\big) = a\,g'(L)\,\nabla L")
        st.markdown(
            "- **Shift** (`c`, e.g. −2π): the constant disappears in the gradient, so every step is the same, "
            "bit for bit. Only the plotted loss moves, and it may go below zero without meaning anything.\n"
            "- **Negate** (`a = −1`): the gradient flips, each step climbs L. The plotted −L still *falls*, "
            "which is how a broken training run can look healthy.\n"
            "- **Scale** (`a > 0`): same minimisers; SGD behaves as if the learning rate were a·η, "
            "while Adam and sign methods (Lion) normalise it away.\n"
            "- **Increasing g** (log(1+L), √L, L²): same minimisers, but each step is rescaled by g′(L): "
            "another path to the same place.\n"
            "- Optimizers that **read the value** (Polyak's step (L − f*)/|∇L|², the hypothesis "
            "`step = η·L·∇L`) do notice a shift. A line search reads values only through differences, "
            "so a shift cancels except for rounding."
        )


def main() -> None:
    """The Explorer page."""
    s, notices = settings_ui()
    st.title("Does gradient descent care about the loss value?")
    st.markdown(
        "It follows the **gradient**. Transform the loss into L′ = a·g(L) + c in the sidebar and compare "
        "the runs on L and on L′, from the same start, with the same optimizer."
    )
    common.show_notices(notices)
    runs_and_along = cached.run_pair(s)
    runs, along = runs_and_along[:2], runs_and_along[2]
    render_verdict(s, runs)
    step = playback_ui(s)
    render_landscapes(s, runs, step)
    render_readout(s, runs, along, step)
    render_loss_chart(runs, along, step)
    st.subheader("All optimizers: who keeps the path?")
    render_all_optimizers(s)
    render_download(s, runs, along)
    render_explanation()
    if st.session_state.get(_PLAYING):
        time.sleep(0.05)
        st.rerun()
