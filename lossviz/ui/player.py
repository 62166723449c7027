"""Play, pause and commit: the landscape pair's controls that run in the browser.

The landscape chart (:mod:`lossviz.charts.live`) carries two range inputs bound
to Vega parameters: ``step`` (the runs are drawn up to it) and ``lr_k`` (which
learning rate of the precomputed family is drawn). Vega redraws as they move,
with no server round trip. This component, mounted in the same keyed container
as the chart, adds what Vega-Lite cannot do in a layered chart: a timer. Its
Play button moves the ``step`` input at 30 frames per second, Pause stops at
once. It tells the server only when something is committed: the step when
playback stops or the step input is released, the learning rate when its
input is released (trigger values ``step`` and ``lr``; one rerun each). The
learning-rate input's label shows the rate, not its index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

CONTAINER = "lossviz-live"
"""The key of the container holding the chart and the player (class ``st-key-lossviz-live``)."""
FPS = 30
FRAMES = 120  # a whole playback takes about this many frames (~5 s)

_PLAY = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M8 5v14l11-7z"/></svg>'
_PAUSE = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 5h4v14H6zM14 5h4v14h-4z"/></svg>'

HTML = f"""
<div class="player">
  <button type="button" class="play" aria-label="Play" title="Play the runs step by step">
    <span class="icon">{_PLAY}</span><span class="label">Play</span>
  </button>
  <span class="hint">Drag a panel to preview runs from anywhere; release to start there.</span>
</div>
"""

CSS = """
.player { display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; font-family: inherit; }
.play {
  display: inline-flex; align-items: center; gap: 0.3rem; padding: 0.3rem 0.9rem;
  border-radius: 0.5rem; border: 1px solid var(--st-border-color, rgba(128, 128, 128, 0.4));
  background: var(--st-secondary-background-color, transparent);
  color: var(--st-text-color, inherit); font: inherit; cursor: pointer;
}
.play:hover { border-color: var(--st-primary-color, #ff4b4b); color: var(--st-primary-color, #ff4b4b); }
.icon svg { width: 1.1rem; height: 1.1rem; fill: currentColor; display: block; }
.hint { color: var(--st-text-color, inherit); opacity: 0.7; font-size: 0.85rem; }
"""

JS = (
    """
const PLAY = `"""
    + _PLAY
    + """`;
const PAUSE = `"""
    + _PAUSE
    + """`;
const FPS = """
    + str(FPS)
    + """;
const FRAMES = """
    + str(FRAMES)
    + """;

function fmt(v) {
  return Number(v).toPrecision(3).replace(/\\.?0+$/, '').replace(/\\.?0+e/, 'e');
}

export default function ({ parentElement, data: sent, setTriggerValue, setStateValue }) {
  const data = Array.isArray(sent) ? sent[0] : sent;  // see player() in player.py
  const root = parentElement;
  const host = root.host || root;
  const button = root.querySelector('button.play');
  const lrs = (data && data.lrs) || [];
  let timer = null;
  // the same instance may get controls after being a width probe (a cold server's still pair)
  root.querySelector('.player').style.display = data && data.controls === false ? 'none' : '';

  function box() {
    return host.closest('.st-key-"""
    + CONTAINER
    + """') || document;
  }
  function input(name) {
    return box().querySelector(`input[type="range"][name="${name}"]`);
  }
  function show(playing) {
    button.querySelector('.icon').innerHTML = playing ? PAUSE : PLAY;
    button.querySelector('.label').textContent = playing ? 'Pause' : 'Play';
    button.setAttribute('aria-label', playing ? 'Pause' : 'Play');
  }
  function setStep(el, v) {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }
  function stop(commit) {
    if (timer === null) return;
    clearInterval(timer);
    timer = null;
    show(false);
    const el = input('step');
    if (commit && el) setTriggerValue('step', Number(el.value));
  }
  function play() {
    const el = input('step');
    if (!el) return;
    const end = Number(el.max);
    const stride = Math.max(1, Math.round(end / FRAMES));
    if (Number(el.value) >= end) setStep(el, 0);
    show(true);
    timer = setInterval(() => {
      const next = Math.min(end, Number(el.value) + stride);
      setStep(el, next);
      if (next >= end) stop(true);
    }, 1000 / FPS);
  }
  button.onclick = () => (timer === null ? play() : stop(true));

  // Listeners on the chart's inputs (re-attached when a rerun redraws the chart).
  function attach() {
    const step = input('step');
    if (step && !step.dataset.lossviz) {
      step.dataset.lossviz = '1';
      step.addEventListener('pointerdown', () => stop(false));
      step.addEventListener('change', () => setTriggerValue('step', Number(step.value)));
    }
    const lr = input('lr_k');
    if (lr && lrs.length) {
      const label = lr.nextElementSibling;
      const rate = () => lrs[Math.max(0, Math.min(lrs.length - 1, Number(lr.value)))];
      // only when it differs: this runs every 300 ms, and a write is a DOM change even if equal
      const shown = fmt(rate());
      if (label && label.textContent !== shown) label.textContent = shown;
      if (!lr.dataset.lossviz) {
        lr.dataset.lossviz = '1';
        lr.addEventListener('input', () => { if (lr.nextElementSibling) lr.nextElementSibling.textContent = fmt(rate()); });
        lr.addEventListener('change', () => setTriggerValue('lr', rate()));
      }
    }
  }

  // The container's width, for the server to lay the panels out (stacked on a phone): sent
  // only when it differs from the width the chart was laid out for.
  const assumed = Number((data && data.width) || 0);
  let reported = null;
  function measure() {
    const w = Math.round((host.closest('.st-key-"""
    + CONTAINER
    + """') || host).getBoundingClientRect().width);
    if (w > 0 && Math.abs(w - assumed) > 24 && w !== reported) {
      reported = w;
      setStateValue('width', w);
    }
  }
  // the chart's inputs appear, and the page settles its width, after this runs: look again
  attach();
  measure();
  const watch = setInterval(() => { attach(); measure(); }, 300);
  return () => {
    clearInterval(watch);
    if (timer !== null) clearInterval(timer);
  };
}
"""
)

_player = st.components.v2.component("lossviz.player", html=HTML, css=CSS, js=JS)


def _nothing() -> None:
    return None


def player(
    key: str,
    width: int,
    lrs: tuple[float, ...] = (),
    on_step: Callable[[], None] = _nothing,
    on_lr: Callable[[], None] = _nothing,
    controls: bool = True,
) -> Any:
    """Mounts the player; ``on_step`` / ``on_lr`` run (before the next script run) when the
    browser commits a step or a learning rate: read them with :func:`committed`. ``width``: the
    container width the chart was laid out for; the browser reports another (:func:`measured_width`).
    Without ``controls`` it only measures the width."""
    return _player(
        key=key,
        # a one-element list, not the dict itself: Streamlit looks for data frames among a dict's
        # values, and that check imports pandas (~38 MB of the server's memory, for nothing here)
        data=[{"lrs": list(lrs), "width": int(width), "controls": bool(controls)}],
        on_step_change=on_step,
        on_lr_change=on_lr,
        on_width_change=_nothing,
    )


def _state(key: str, name: str) -> Any:
    """The component's value ``name`` (a state or, inside its callback, a trigger), if any."""
    state = st.session_state.get(key)
    try:
        return state.get(name) if state is not None else None
    except AttributeError:
        return None


def measured_width(key: str) -> float | None:
    """The width of the chart's container as the browser last reported it, if it did."""
    width = _state(key, "width")
    return float(width) if isinstance(width, (int, float)) and 100 <= width <= 10_000 else None


def committed(key: str, name: str) -> Any:
    """The value the browser committed (``"step"`` or ``"lr"``), inside its callback; else ``None``."""
    return _state(key, name)
