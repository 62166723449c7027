"""The "Train a network" page: one network trained on L, on L + c and on −L."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import streamlit as st

from lossviz.charts import training as training_charts
from lossviz.datasets import DATASETS
from lossviz.lru import LRU
from lossviz.optimizers import OPTIMIZERS
from lossviz.ui import cached, common, settings
from lossviz.ui.settings import TrainingSettings

PAGE = "training"
BIND = common.BIND
_DATASET_TITLES = [spec.title for spec in DATASETS.values()]
# Show the progress bar only once training has taken longer than this (seconds).
PROGRESS_AFTER = 0.4


def sidebar_ui() -> dict[str, Any]:
    """The page's controls; returns their raw values keyed by URL parameter."""
    sb = st.sidebar
    raw: dict[str, Any] = {}
    sb.header("Data and network")
    raw[settings.DATA] = sb.selectbox("data set", _DATASET_TITLES, key=settings.DATA, bind=BIND)
    spec = next((s for s in DATASETS.values() if s.title == raw[settings.DATA]), DATASETS["moons"])
    raw[settings.NOISE] = sb.number_input(
        "noise",
        value=None,
        min_value=settings.NOISE_RANGE[0],
        max_value=settings.NOISE_RANGE[1],
        placeholder=f"{spec.noise:g} (default)" if spec.synthetic else "— (real data)",
        step=0.05,
        format="%.2f",
        key=settings.NOISE,
        bind=BIND,
        disabled=not spec.synthetic,
        help="Standard deviation of the jitter of a synthetic set, in [0, 1]. Empty = the set's default.",
    )
    raw[settings.WIDTH] = sb.slider(
        "hidden width (two layers)",
        *settings.WIDTH_RANGE,
        settings.DEFAULT_WIDTH,
        key=settings.WIDTH,
        bind=BIND,
    )
    sb.header("Training")
    raw[settings.TR_OPTIMIZER] = sb.selectbox(
        "optimizer",
        list(settings.OPTIMIZER_LABELS),
        key=settings.TR_OPTIMIZER,
        bind=BIND,
        help="Polyak, Line search and Loss × grad read the loss value: for them a shift can matter.",
    )
    raw[settings.TR_LR] = common.lr_slider(
        sb,
        "learning rate",
        settings.DEFAULT_LR_TRAINING,
        "0.1 suits SGD; Adam and RMSProp prefer about 0.01.",
        key=settings.TR_LR,
    )
    raw[settings.EPOCHS] = sb.slider(
        "epochs", *settings.EPOCHS_RANGE, settings.DEFAULT_EPOCHS, 10, key=settings.EPOCHS, bind=BIND
    )
    raw[settings.BATCH] = sb.select_slider(
        "batch size",
        list(settings.BATCH_LABELS),
        value=settings.DEFAULT_BATCH,
        key=settings.BATCH,
        bind=BIND,
        help="'full' = one step per epoch on the whole training set (plain gradient descent).",
    )
    raw[settings.TR_SHIFT] = sb.number_input(
        "shift c (the shifted run minimises L + c)",
        value=settings.TRAINING_DEFAULT_SHIFT,
        min_value=settings.TRAINING_SHIFT_RANGE[0],
        max_value=settings.TRAINING_SHIFT_RANGE[1],
        step=0.5,
        format="%.4f",
        key=settings.TR_SHIFT,
        bind=BIND,
        help=f"Any constant in [{settings.SHIFT_RANGE[0]:g}, {settings.SHIFT_RANGE[1]:g}]; default −2π.",
    )
    raw[settings.SEED] = sb.number_input(
        "seed",
        value=0,
        min_value=settings.SEED_RANGE[0],
        max_value=settings.SEED_RANGE[1],
        step=1,
        key=settings.SEED,
        bind=BIND,
        help="Seeds the data, the weights and the batches.",
    )
    return raw


# what an invalid widget value is reset to
_DEFAULTS: dict[str, Any] = {
    settings.DATA: DATASETS["moons"].title,
    settings.NOISE: None,
    settings.WIDTH: settings.DEFAULT_WIDTH,
    settings.TR_OPTIMIZER: OPTIMIZERS["sgd"].label,
    settings.TR_LR: settings.DEFAULT_LR_TRAINING,
    settings.EPOCHS: settings.DEFAULT_EPOCHS,
    settings.BATCH: settings.DEFAULT_BATCH,
    settings.TR_SHIFT: settings.TRAINING_DEFAULT_SHIFT,
    settings.SEED: 0,
}


def settings_ui() -> tuple[TrainingSettings, dict[str, str]]:
    """Widgets -> validated settings; an invalid value is reset (with a notice) and the page reruns."""
    return common.page_settings(
        PAGE,
        settings.validate_training,
        settings.TRAINING_KEYS,
        sidebar_ui,
        lambda key, _: _DEFAULTS.get(key),
    )


def train(s: TrainingSettings) -> cached.TrainingView:
    """The cached runs; a progress bar appears if computing them takes more than a moment."""
    slot = st.empty()
    start = time.perf_counter()

    def on_progress(done: int, total: int) -> None:
        if time.perf_counter() - start > PROGRESS_AFTER and done < total:
            slot.progress(done / total, text=f"Training three networks: epoch {done} of {total}")

    view = cached.training_view(s, on_progress)
    slot.empty()
    return view


def _pct(x: float) -> str:
    return f"{x:.1%}" if np.isfinite(x) else "—"


def _num(x: float) -> str:
    return f"{x:.4g}".replace("-", "−") if np.isfinite(x) else "not finite"


def shifted_verdict(s: TrainingSettings, view: cached.TrainingView) -> tuple[bool, str]:
    """Whether the shifted run is the original bit for bit, and a sentence saying so with the evidence."""
    o, sh = view.runs["original"], view.runs["shifted"]
    n = len(o.accuracy)
    same_weights = bool(np.all(sh.weights_equal_original))
    same_acc = np.array_equal(sh.accuracy, o.accuracy) and np.array_equal(sh.test_accuracy, o.test_accuracy)
    with np.errstate(all="ignore"):
        gap = np.abs((sh.objective - np.float32(sh.shift)) - sh.loss)
    gap_text = f"{np.nanmax(gap):.1e}" if np.isfinite(gap).any() else "—"
    c = _num(s.shift)
    if same_weights and same_acc:
        return True, (
            f"**Shifted by c = {c}: the same training, bit for bit.** All weights are identical to the "
            f"original run's after every one of the {n} epochs (largest |Δw| = "
            f"{float(np.max(sh.max_weight_diff)):g}), so training and test accuracy agree at every epoch "
            f"(final {_pct(float(sh.accuracy[-1]))} and {_pct(float(sh.test_accuracy[-1]))}). "
            + (
                "With c = 0 the two objectives are the same function: set c to see the plotted number move."
                if s.shift == 0
                else f"Only the plotted number moved: objective − c equals L to within {gap_text} (float32 "
                f"rounding), ending at {_num(float(sh.objective[-1]))} instead of {_num(float(o.objective[-1]))}."
            )
        )
    first = int(np.argmin(sh.weights_equal_original)) + 1
    differ = int(np.sum(sh.accuracy != o.accuracy))
    preset = OPTIMIZERS[s.optimizer]
    why = (
        f"{preset.label} reads the loss value, not only its gradient, so adding c changes its steps."
        if preset.reads_value
        else "This optimizer reads only the gradient: a difference here means the run diverged or rounding crept in."
    )
    return False, (
        f"**Shifted by c = {c}: a different training.** The weights first differ from the original's at "
        f"epoch {first} (largest |Δw| = {float(np.nanmax(sh.max_weight_diff)):.3g}); training accuracy "
        f"differs at {differ} of {n} epochs (final {_pct(float(sh.accuracy[-1]))} vs "
        f"{_pct(float(o.accuracy[-1]))}). {why}"
    )


def negated_verdict(s: TrainingSettings, view: cached.TrainingView) -> tuple[str, str]:
    """``(kind, sentence)`` about the negated run; kind is "identical", "ascent" or "other"."""
    o, ng = view.runs["original"], view.runs["negated"]
    chance = 1.0 / view.n_classes
    if bool(np.all(ng.weights_equal_original)):
        return "identical", (
            f"**Negated: identical to the original.** {OPTIMIZERS[s.optimizer].label} steps by "
            "lr · L · ∇L, and (−L)·(−∇L) = L·∇L: the two signs cancel, so the weights agree bit for bit at "
            "every epoch. An optimizer that reads the value can be fooled in ways plain gradient descent cannot."
        )
    diverged = (
        f" The run stopped being finite at epoch {ng.diverged_at + 1}." if ng.diverged_at is not None else ""
    )
    obj, loss, acc = (np.asarray(v, float) for v in (ng.objective, ng.loss, ng.accuracy))
    finite = np.isfinite(obj) & np.isfinite(loss) & np.isfinite(acc)
    if finite.sum() < 2:
        return "other", f"**Negated:** the run diverged at once.{diverged}"
    first, last = np.flatnonzero(finite)[[0, -1]]
    falls = obj[last] < obj[first]
    rises = loss[last] > loss[first]
    acc_o = float(o.accuracy[-1])
    collapsed = acc[last] < min(acc_o - 0.2, 0.5 * (acc_o + chance))
    if falls and rises:
        fate = "collapsed to" if collapsed else "ended at"
        return "ascent", (
            f"**Negated: gradient ascent on the real loss.** The plotted objective −L fell from "
            f"{_num(obj[first])} to {_num(obj[last])}, which looks like training, but the true loss L rose from "
            f"{_num(loss[first])} to {_num(loss[last])} and training accuracy {fate} {_pct(acc[last])} "
            f"(original: {_pct(acc_o)}; chance: {_pct(chance)}). Descending −L is ascending L: "
            f"the optimizer is maximising the real loss.{diverged}"
        )
    return "other", (
        f"**Negated:** the objective went from {_num(obj[first])} to {_num(obj[last])}, the true loss from "
        f"{_num(loss[first])} to {_num(loss[last])}, training accuracy ended at {_pct(acc[last])} "
        f"(original: {_pct(acc_o)}).{diverged}"
    )


# Chart specs of the most recent trained views, keyed like the views themselves: a rerun that trains
# nothing new (a widget touched back, a page revisit) reuses them (building them takes ~8 ms per view).
SPECS: LRU[TrainingSettings, dict[str, list[dict]]] = LRU(16)


def _specs(s: TrainingSettings, view: cached.TrainingView) -> dict[str, list[dict]]:
    """The view's chart specs, built once; each a shallow copy of the cached one.

    Nothing edits deeper than a spec's top level: common.arrow_datasets and Streamlit's
    vega_lite_chart copy that level before they set or delete a key (``datasets``, ``autosize``),
    and Streamlit's one nested edit (a null legend title in a top-level ``encoding.color``) finds
    nothing in these layered specs (tests/test_training_charts.py draws them and compares).
    """
    return {
        name: [dict(spec) for spec in group]
        for name, group in SPECS.get(s, lambda: _build_specs(view)).items()
    }


def _build_specs(view: cached.TrainingView) -> dict[str, list[dict]]:
    """Each section's charts, one spec per chart: the page puts them in columns, which stack on a phone."""
    runs = view.runs
    charts = {
        "loss": training_charts.loss_charts(
            {k: h.objective for k, h in runs.items()},
            {k: h.loss for k, h in runs.items()},
            float(runs["shifted"].shift),
        ),
        "accuracy": training_charts.accuracy_charts(
            {k: h.accuracy for k, h in runs.items()}, {k: h.test_accuracy for k, h in runs.items()}
        ),
    }
    if view.grids:
        charts["decision"] = training_charts.decision_chart(
            {k: tuple(g) for k, g in view.grids.items()},
            view.x_train,
            view.y_train,
            {k: float(h.accuracy[-1]) for k, h in runs.items()},
        )
    return {name: list(group) for name, group in charts.items()}


def _draw_side_by_side(specs: list[dict]) -> None:
    """Charts side by side, each as wide as its column; Streamlit stacks the columns on a narrow screen."""
    for column, spec in zip(st.columns(len(specs)), specs, strict=True):
        common.draw(spec, where=column, width="stretch")


def render_curves(view: cached.TrainingView, specs: dict[str, list[dict]]) -> None:
    st.subheader("1 · Loss per epoch: what the plot shows, and the real thing")
    _draw_side_by_side(specs["loss"])
    st.caption(
        "Left, linear: the shifted run's objective is the original's moved down by c (the labelled gap), "
        "however far below zero that is. Right, log axis: the true loss L. The shifted run (thin dashed "
        "magenta) lies on the original (thick orange) wherever they agree."
    )
    st.subheader("2 · Accuracy per epoch")
    _draw_side_by_side(specs["accuracy"])


def render_boundaries(view: cached.TrainingView, specs: dict[str, list[dict]]) -> None:
    if "decision" not in specs:
        st.info("This data set has more than two features: no decision map to draw.")
        return
    st.subheader("3 · Decision regions after training")
    _draw_side_by_side(specs["decision"])
    st.caption(
        "Background: each network's class probabilities (pale class colours); dots: the training points."
    )


def render_verdict(s: TrainingSettings, view: cached.TrainingView) -> None:
    st.subheader("Verdict")
    o = view.runs["original"]
    if o.diverged_at is not None:
        st.warning(
            f"The original run diverged at epoch {o.diverged_at + 1}: try a smaller learning rate.", icon="⚠️"
        )
    identical, text = shifted_verdict(s, view)
    (st.success if identical else st.warning)(text)
    kind, text = negated_verdict(s, view)
    {"ascent": st.error, "identical": st.warning}.get(kind, st.info)(text)


def main() -> None:
    """The train-a-network page."""
    s, notices = settings_ui()
    st.title("Train a network: L, L + c and −L")
    st.markdown(
        "One small network (two hidden layers) is trained three times from the same initial weights on the "
        "same minibatches. Only the quantity handed to the optimizer differs: the cross-entropy **L**, "
        "**L + c**, and **−L**. Gradient descent moves by −lr·∇(objective): a constant has no gradient, so "
        "the shifted run should take exactly the original's steps even when its loss is below zero; a minus "
        "sign flips every step uphill. The page checks both claims on the numbers."
    )
    common.show_notices(notices)
    view = train(s)
    spec = DATASETS[s.dataset]
    st.caption(
        f"{spec.title}: {spec.description} {len(view.y_train)} training points, "
        f"network {view.x_train.shape[1]}-{s.width}-{s.width}-{view.n_classes}, "
        f"{OPTIMIZERS[s.optimizer].label} at lr {s.lr:g}, {s.epochs} epochs, "
        f"batch {'full' if s.batch_size == 0 else s.batch_size}, seed {s.seed}."
    )
    render_verdict(s, view)
    specs = _specs(s, view)
    render_curves(view, specs)
    render_boundaries(view, specs)
