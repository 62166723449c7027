"""The Explorer page: a loss, its transform, and what optimizers make of both.

Data flows one way: URL-bound widgets -> :func:`lossviz.ui.settings.validate` ->
cached engine calls (:mod:`lossviz.ui.cached`) -> chart builders
(:mod:`lossviz.charts`) -> Streamlit. The ``*_ui`` functions return plain
values; the ``render_*`` functions only draw.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from typing import Any

import numpy as np
import streamlit as st

from lossviz import verdicts
from lossviz.charts import explorer as explorer_charts
from lossviz.charts import landscape, style
from lossviz.charts.live import Live
from lossviz.optimizers import OPTIMIZERS
from lossviz.problems import PROBLEMS
from lossviz.trajectories import Run
from lossviz.transforms import MONOTONE_MAPS, maps_for
from lossviz.ui import cached, common, player, settings, warmup
from lossviz.ui.settings import ExplorerSettings

BIND = common.BIND
CHART_KEY = "landscape"
PAGE = "explorer"
PLAYER_KEY = "player"
IDENTITY = MONOTONE_MAPS["identity"].label


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


def _on_step_committed() -> None:
    """The browser's player or step input was released: the step goes to the URL (one rerun)."""
    step = player.committed(PLAYER_KEY, "step")
    if isinstance(step, (int, float)) and math.isfinite(step):
        st.session_state[settings.PLAYBACK_STEP] = max(0, min(int(step), _end_step()))


def _on_lr_committed() -> None:
    """The learning-rate preview was released: that rate becomes the setting (one rerun)."""
    lr = player.committed(PLAYER_KEY, "lr")
    if isinstance(lr, (int, float)) and lr in settings.LR_CHOICES:
        st.session_state[settings.LR] = float(lr)


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


def step_state(s: ExplorerSettings) -> int:
    """The playback step: kept in a hidden slider bound to ``step``, so a link opens at it.

    The step is moved in the browser (the chart's step input and the player);
    the server only hears the committed value (:func:`_on_step_committed`).
    """
    with st.container(key="lossviz-step-state"):
        # Always the default (the end): the player sets the step through session state, which
        # wins; a link without `step` opens at the end.
        value = st.slider("step", 0, s.steps, s.steps, step=1, key=settings.PLAYBACK_STEP, bind=BIND)
    st.html("<style>.st-key-lossviz-step-state { display: none; }</style>")
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


RUN_NAMES = ("original run", "transformed run")


def _panel(
    title: str, land, field, runs: tuple[Run, Run], s: ExplorerSettings, basins=None
) -> landscape.Panel:
    p = PROBLEMS[s.problem]
    paths = tuple(
        landscape.PathData(name, run.params, style)
        for name, run, style in zip(RUN_NAMES, runs, ("original", "transformed"), strict=True)
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
        current=(),  # the heads are drawn in the browser, at its step
        param_names=p.param_names,
        bounds=p.bounds,
        basins=basins,
    )


def render_landscapes(
    s: ExplorerSettings, runs: tuple[Run, Run], step: int, fams: cached.Families | None
) -> None:
    """The landscape pair, live: drag, hover, scrub, play and the learning-rate preview run in the
    browser on precomputed families; the server hears only what is released. Without ``fams``
    (a cold server's first seconds) a still pair: click to move the start."""
    views, hover = cached.landscape_and_hover(s.problem, s.scale, s.g, s.shift, s.temperature)
    show_basins = st.toggle(
        "basin map",
        key=settings.BASINS,
        bind=BIND,
        help="Colour every start of a 64 × 64 grid by the known minimum (★) its run reaches "
        "(grey: none of them; black: diverged), on L and on L′.",
    )
    left_basins = right_basins = None
    if show_basins:
        on_l, on_lp, b1, b2 = cached.basin_maps(s)
        left_basins, right_basins = (on_l, b1, b2), (on_lp, b1, b2)
    left = _panel("L (original loss)", views.original, views.original_field, runs, s, left_basins)
    right = _panel(_transform_label(s), views.transformed, views.transformed_field, runs, s, right_basins)
    if fams is None:
        common.landscape_pair(left, right, CHART_KEY, _on_click, player_key=PLAYER_KEY, hover=hover)
        st.caption(
            "The live preview (drag, play, learning rate) is being prepared: it appears in a few seconds."
        )
        return
    live = Live(
        step=step,
        steps=s.steps,
        grid=cached.PREVIEW_GRID,
        preview=fams.preview,
        lrs=fams.lrs,
        lr_index=fams.lr_index,
        lr_paths=fams.lr_paths,
        names=RUN_NAMES,
    )
    controls = dict(lrs=fams.lrs, on_step=_on_step_committed, on_lr=_on_lr_committed)
    common.landscape_pair(
        left, right, CHART_KEY, _on_click, player_key=PLAYER_KEY, controls=controls, live=live, hover=hover
    )
    st.caption(
        "Colours rank the values (so L and L′ look alike whenever g is increasing and a > 0, and reverse "
        "when a < 0); arrows point along −∇, the way descent moves. Solid: run on L; dashed: run on L′. "
        "★ known minima. **Hover** for L and L′ there; **press and drag** on a panel to see the runs from "
        "under the pointer (release to start there); **step** scrubs and ▶ plays the runs; dragging the "
        "**learning rate** under the chart previews the runs at each rate (release to keep it)."
    )


def _number(x: float) -> str:
    """4 significant digits, e.g. ``5.06e+19`` rather than 50598271666995855000; "—" if not finite."""
    return f"{float(x):.4g}" if np.isfinite(x) else "—"


def last_finite_step(run: Run, objective: np.ndarray, step: int) -> int | None:
    """The last step ``<= step`` at which the run's parameters, ``L`` and ``L'`` are all finite."""
    finite = np.isfinite(run.params).all(axis=1) & np.isfinite(run.loss) & np.isfinite(objective)
    steps = np.flatnonzero(finite[: step + 1])
    return int(steps[-1]) if steps.size else None


def render_readout(s: ExplorerSettings, runs: tuple[Run, Run], along: np.ndarray, step: int) -> None:
    """θ, L and L′ of both runs at the playback step, or at a run's last finite step if it overflowed."""
    rows = []
    for name, run, objective in (
        ("original run (on L)", runs[0], along),
        ("transformed run (on L′)", runs[1], runs[1].objective),
    ):
        shown = last_finite_step(run, objective, step)
        if shown is None:
            rows.append({"run": name, "step": "—", "θ": "—", "L": "—", "L′": "—"})
            continue
        theta = run.params[shown]
        where = str(shown) if shown == step else f"{shown} (the last finite step)"
        rows.append(
            {
                "run": name,
                "step": where,
                "θ": f"({_number(theta[0])}, {_number(theta[1])})",
                "L": _number(run.loss[shown]),
                "L′": _number(objective[shown]),
            }
        )
    common.table(rows)


def _diverged_at(runs: tuple[Run, Run]) -> int | None:
    steps = [r.diverged_at for r in runs if r.diverged_at is not None]
    return min(steps) if steps else None


def render_loss_chart(runs: tuple[Run, Run], along: np.ndarray, step: int) -> None:
    curves = {"original run": (runs[0].loss, along), "transformed run": (runs[1].loss, runs[1].objective)}
    finite = np.abs(explorer_charts.finite_losses(curves))
    spread = finite.max() / max(finite.min(), 1e-12) if finite.size else 1.0
    wide = bool(spread > 1e4)
    # keyed by what the data suggests: a choice made for small losses does not stick to a diverged
    # run's 1e24 (nor the reverse); within one regime the viewer's choice stays
    log_y = st.toggle("symlog y-axis", value=wide, key=f"loss_log_y_{'wide' if wide else 'narrow'}")
    chart = explorer_charts.loss_path_chart(
        curves, current_step=step, log_y=log_y, diverged_at=_diverged_at(runs)
    )
    common.draw(chart, width="stretch")


# one icon per verdict kind, beside its colour (lossviz.charts.style.VERDICT_COLOURS)
VERDICT_ICONS = {
    verdicts.IDENTICAL: ":material/check_circle:",
    verdicts.SAME_PATH: ":material/check:",
    verdicts.SAME_END: ":material/alt_route:",
    verdicts.DIFFERENT: ":material/call_split:",
    verdicts.DIVERGED: ":material/warning:",
    verdicts.ASCENT: ":material/trending_up:",
}


def render_verdict(
    s: ExplorerSettings, runs: tuple[Run, Run], fams: cached.Families | None = None
) -> verdicts.Verdict:
    """The verdict in a box marked with its kind's colour, the same as in the all-optimizers view.

    It is the page's one message about a divergence: it names the step. With ``fams``, it also
    says for how many starts of the family the two runs are identical.
    """
    v = verdicts.compare(runs[0], runs[1], _tolerance(s), scale=s.scale, effective_lr=_effective_lr(s))
    text = f"{OPTIMIZERS[s.optimizer].title}, {_transform_label(s)}: " + verdicts.describe(v)
    diverged_at = _diverged_at(runs)
    if diverged_at is not None:
        text += " Paths and curves stop where a run's parameters or loss overflowed."
    if fams is not None:
        text += " " + family_sentence(fams)
    with st.container(border=True, key="verdict"):
        with st.container(horizontal=True, gap="small"):
            kind = v.kind
            st.badge(verdicts.KIND_LABELS[kind], icon=VERDICT_ICONS[kind], color=style.VERDICT_COLOURS[kind])
            if diverged_at is not None and kind != verdicts.DIVERGED:  # e.g. identical, and both overflowed
                st.badge(
                    f"diverged at step {diverged_at}",
                    icon=VERDICT_ICONS[verdicts.DIVERGED],
                    color=style.VERDICT_COLOURS[verdicts.DIVERGED],
                )
        st.markdown(text)
    return v


def family_sentence(fams: cached.Families) -> str:
    """What the family of starts says about the whole plane."""
    n, same = fams.members, fams.identical
    grid = f"{cached.FAMILY_GRID} × {cached.FAMILY_GRID}"
    if same == n:
        return f"From every start of a {grid} grid the two runs are identical bit for bit (all {n:,} starts)."
    if same == 0:
        return f"The two runs differ from every start of a {grid} grid ({n:,} starts)."
    return f"The two runs are identical bit for bit from {same:,} of the {n:,} starts of a {grid} grid."


def _final(loss: float, diverged_at: int | None) -> str:
    return f"diverged at step {int(diverged_at)}" if diverged_at is not None else _number(loss)


def all_optimizers_table(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The all-optimizers table as text: no 50598271666995855000, "diverged at step 5" for a run
    that overflowed; the verdict is drawn as a badge in its kind's colour (:data:`VERDICT_BADGES`)."""
    return [
        {
            "optimizer": r["optimizer"],
            "verdict": r["verdict"],
            "reads the value": r["reads the value"],
            "max |Δθ|": "diverged" if not np.isfinite(r["max_dtheta"]) else _number(r["max_dtheta"]),
            "first difference at step": r["first difference at step"],
            "final L (original)": _final(r["final L (original)"], r["diverged_original"]),
            "final L (transformed)": _final(r["final L (transformed)"], r["diverged_transformed"]),
        }
        for r in rows
    ]


# a verdict's label -> its kind's colour, as in the chart's bars and the verdict box
VERDICT_BADGES = {verdicts.KIND_LABELS[k]: colour for k, colour in style.VERDICT_COLOURS.items()}


def render_all_optimizers(s: ExplorerSettings) -> None:
    table = cached.all_optimizers(s, _tolerance(s))
    chart = explorer_charts.optimizer_deviation_chart(table, verdicts.KIND_LABELS)
    common.draw(chart, width="stretch")
    common.table(all_optimizers_table(table), badges={"verdict": VERDICT_BADGES})
    st.caption(
        f"Every optimizer at learning rate {s.lr:g} with its default hyper-parameters, {s.steps} steps, "
        "from the same start, on L and on L′. max |Δθ| = 0 means bit-identical paths."
    )


def trajectories_csv(s: ExplorerSettings, runs: tuple[Run, Run], along: np.ndarray) -> bytes:
    """Both runs as CSV: run, step, the two parameters, ``L`` and ``L'``, one row per step of each run.

    ``along`` is ``L'`` along the original run (the transformed run carries its own). Numbers are
    float32 written in their shortest form (they read back to the same float32); NaN is empty.
    """
    p = PROBLEMS[s.problem]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "step", *p.param_names, "L", "L_transformed"])
    for name, run, objective in (("original", runs[0], along), ("transformed", runs[1], runs[1].objective)):
        columns = (run.params[:, 0], run.params[:, 1], run.loss, objective)
        text = [["" if np.isnan(x) else str(x) for x in np.asarray(c, np.float32)] for c in columns]
        writer.writerows([name, k, *row] for k, row in enumerate(zip(*text, strict=True)))
    return out.getvalue().encode()


def render_download(s: ExplorerSettings, runs: tuple[Run, Run], along: np.ndarray) -> None:
    # the CSV is written when the button is clicked (Streamlit calls the function then): writing
    # it at every rerun, number by number, was ~6 % of an explorer view's CPU for a file few take
    st.download_button(
        "Download trajectories (CSV)",
        functools.partial(trajectories_csv, s, runs, along),
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
    # a cold server's first seconds: the pair is still until the family programs are compiled
    fams = cached.families(s) if warmup.families_ready() else None
    render_verdict(s, runs, fams)
    step = step_state(s)
    render_landscapes(s, runs, step, fams)
    render_readout(s, runs, along, step)
    render_loss_chart(runs, along, step)
    st.subheader("All optimizers: who keeps the path?")
    render_all_optimizers(s)
    render_download(s, runs, along)
    render_explanation()
    if fams is None and warmup.families_ready(wait=120.0):
        st.rerun()  # the still pair drawn, the page turns live as soon as its families are compiled
