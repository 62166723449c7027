"""What every page does with its URL-bound widgets: check the link, reset bad values, say so.

Streamlit seeds bound widgets from the URL and silently drops values it cannot
parse. A page calls :func:`link_notices` on its first run to say what was
dropped, and :func:`reset_invalid` when a value Streamlit accepted is still
unusable (NaN, out of range): the widget is reset before the next run and the
notice survives that rerun.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from lossviz.charts import landscape
from lossviz.ui import player, settings

BIND: Any = "query-params"


def restore_pending(page: str) -> dict[str, str]:
    """Applies the resets the previous run scheduled; returns its notices."""
    for key, value in st.session_state.pop(f"_{page}_reset", {}).items():
        st.session_state[key] = value
    return st.session_state.pop(f"_{page}_notices", {})


def link_notices(
    page: str, validate: Callable[[Mapping[str, Any]], tuple[Any, dict[str, str]]], keys: tuple[str, ...]
) -> dict[str, str]:
    """On a session's first run of ``page``, a message per bad or unknown query parameter."""
    seen = f"_{page}_seen_url"
    if st.session_state.get(seen):
        return {}
    st.session_state[seen] = True
    raw = {k: st.query_params.get_all(k) for k in st.query_params}
    _, notes = validate(raw)
    return {**settings.unknown_keys(raw, keys), **notes}


def reset_invalid(
    page: str, fresh: dict[str, str], defaults: dict[str, Any], notices: dict[str, str]
) -> None:
    """Resets the widgets named in ``fresh`` to ``defaults`` and reruns, keeping the notices."""
    st.session_state[f"_{page}_reset"] = {k: defaults.get(k) for k in fresh}
    st.session_state[f"_{page}_notices"] = {**notices, **fresh}
    st.rerun()


def page_settings(
    page: str,
    validate: Callable[[Mapping[str, Any]], tuple[Any, dict[str, str]]],
    keys: tuple[str, ...],
    sidebar_ui: Callable[[], dict[str, Any]],
    default_of: Callable[[str, Any], Any],
) -> tuple[Any, dict[str, str]]:
    """A page's widgets -> its validated settings and the notices to show.

    On a session's first run, a notice per bad or unknown query parameter. A
    value Streamlit accepted but lossviz cannot use (NaN, out of range...) is
    reset to ``default_of(key, settings)`` before the next run, which happens at
    once, and the notice says why.
    """
    notices = {**restore_pending(page), **link_notices(page, validate, keys)}
    raw = sidebar_ui()
    s, notes = validate(raw)
    fresh = {k: v for k, v in notes.items() if k not in notices}
    if fresh:
        reset_invalid(page, fresh, {k: default_of(k, s) for k in fresh}, notices)
    return s, lasting_notices(page, notices, raw)


def lasting_notices(page: str, notices: dict[str, str], current: Any) -> dict[str, str]:
    """Notices stay on screen for as long as the widget values they came with.

    A page may rerun by itself (a deferred section, playback): the notices
    about a link must not vanish then, only once the user changes something.
    ``current`` is what the widgets hold, not the validated settings: clearing a
    field after a bad value was reset gives the same settings, yet the notice
    about the bad value no longer describes the input.
    """
    key = f"_{page}_lasting"
    if notices:
        st.session_state[key] = (notices, current)
        return notices
    kept = st.session_state.get(key)
    if kept is not None and kept[1] == current:
        return kept[0]
    st.session_state.pop(key, None)
    return {}


def draw(chart: Any, **kwargs: Any) -> None:
    """``st.altair_chart`` without re-validating the spec on every rerun.

    The builders' specs are validated against the Vega-Lite schema in
    tests/test_charts.py; validating again on every rerun would only cost time.
    """
    st.vega_lite_chart(spec=chart.to_dict(validate=False), **kwargs)


def landscape_pair(
    left: landscape.Panel,
    right: landscape.Panel,
    key: str,
    on_click: Callable[[], None],
    *,
    player_key: str,
    controls: dict[str, Any] | None = None,
    **live: Any,
) -> None:
    """Two clickable landscape panels; ``on_click`` reads the point with :func:`clicked_point`.

    The spec is a plain Vega-Lite dict: an Altair chart's ``to_dict()`` would dominate a rerun.
    ``live``: the live layers' arguments of :func:`lossviz.charts.landscape.landscape_pair`.
    Only the click selection is sent to the server (a drag preview stays in the browser).
    The pair is laid out for the width the browser reports (stacked on a phone) through the
    player component (:mod:`lossviz.ui.player`) mounted above it, with ``controls`` (its
    ``lrs``, ``on_step``, ``on_lr``), or as a width probe only.
    """
    available = player.measured_width(player_key)
    stack, width, height = landscape.layout(available)
    with st.container(key=player.CONTAINER):
        player.player(
            player_key, int(available or landscape.WIDE), **(controls or {}), controls=controls is not None
        )
        _vega_pair(left, right, key, on_click, stack=stack, width=width, height=height, **live)


def _vega_pair(left, right, key: str, on_click: Callable[[], None], **live: Any) -> None:
    st.vega_lite_chart(
        spec=landscape.landscape_pair(left, right, **live),
        key=key,
        on_select=on_click,
        selection_mode=[landscape.START_SELECTION],
        width="content",
    )


def show_notices(notices: dict[str, str]) -> None:
    for message in notices.values():
        st.warning(message, icon="⚠️")


def clicked_point(chart_key: str) -> tuple[float, float] | None:
    """The ``(w1, w2)`` of the grid point last clicked on a landscape chart, if any."""
    event = st.session_state.get(chart_key) or {}
    selected = (event.get("selection") or {}).get(landscape.START_SELECTION)
    if isinstance(selected, list) and selected and "w1" in selected[0] and "w2" in selected[0]:
        return float(selected[0]["w1"]), float(selected[0]["w2"])
    return None


def start_inputs(container: Any, names: tuple[str, str], default: tuple[float, float], help: str) -> tuple:
    """Two number inputs for the start point, bound to ``x0``/``y0``; empty means ``default``."""
    c1, c2 = container.columns(2)
    return tuple(
        column.number_input(
            f"start {name}",
            value=None,
            placeholder=f"{value:g}",
            format="%.3f",
            key=key,
            bind=BIND,
            help=help if key == settings.X0 else None,
        )
        for column, name, value, key in zip((c1, c2), names, default, (settings.X0, settings.Y0), strict=True)
    )


def lr_slider(container: Any, label: str, default: float, help: str | None = None) -> float:
    """The learning rate on its log grid, bound to ``lr``; a value set through session state wins."""
    return container.select_slider(
        label,
        settings.LR_CHOICES,
        value=default,
        format_func=lambda v: f"{v:g}",
        key=settings.LR,
        bind=BIND,
        help=help,
    )


def temperature_slider(container: Any, help: str) -> float:
    """The surrogate temperature on its log grid, bound to ``T``."""
    return container.select_slider(
        "temperature T",
        settings.TEMPERATURE_CHOICES,
        value=settings.DEFAULT_TEMPERATURE,
        format_func=lambda v: f"{v:g}",
        key=settings.TEMPERATURE,
        bind=BIND,
        help=help,
    )
