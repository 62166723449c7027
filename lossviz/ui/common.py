"""What every page does with its URL-bound widgets: check the link, reset bad values, say so.

Streamlit seeds bound widgets from the URL when a page opens (and on going back
or forward in the browser's history), before lossviz sees the values; some
values crash its parsers (``seed=inf``), others it keeps silently. So
:func:`check_link` runs before any widget: it validates the link's values with
the page's own validator and removes every bad or unknown one from the URL,
with a notice, so widgets start from their defaults. :func:`reset_invalid`
handles a value typed into a widget that is still unusable (out of range): the
widget is reset before the next run and the notice survives that rerun.
"""

from __future__ import annotations

import importlib.abc
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lossviz.charts import landscape
from lossviz.ui import player, settings

BIND: Any = "query-params"


def restore_pending(page: str) -> dict[str, str]:
    """Applies the resets the previous run scheduled; returns its notices."""
    for key, value in st.session_state.pop(f"_{page}_reset", {}).items():
        st.session_state[key] = value
    return st.session_state.pop(f"_{page}_notices", {})


_CURRENT_PAGE = "_lossviz_page"


def check_link(
    page: str, validate: Callable[[Mapping[str, Any]], tuple[Any, dict[str, str]]], keys: tuple[str, ...]
) -> dict[str, str]:
    """When the URL decides the widgets, a notice per bad, repeated or unknown query parameter.

    The URL decides when a page opens (a link, a reload, a page change) and on
    going back or forward in the browser's history. Every parameter named in a
    notice is removed from the URL before any widget reads it: the widget
    starts at its default and the address bar no longer holds the bad value.
    Call it before the page's first widget.

    Going back from another page first lands on an entry Streamlit pushed as it
    left this page, holding none of this page's parameters (it drops the keys
    bound to the old page's widgets, then pushes the new page), or another
    page's. On that entry the page's last link is put back, so Back returns to
    the view that was left, and other pages' keys are dropped without a notice.
    """
    ctx = get_script_run_ctx()
    history = ctx is not None and ctx.is_history_navigation
    arriving = st.session_state.get(_CURRENT_PAGE) != page
    st.session_state[_CURRENT_PAGE] = page
    last_link = f"_{page}_link"
    raw = {k: st.query_params.get_all(k) for k in st.query_params}
    if history and arriving and not any(k in keys for k in raw) and st.session_state.get(last_link):
        _put_in_url(st.session_state[last_link])
        raw = {**raw, **st.session_state[last_link]}
    notices: dict[str, str] = {}
    if history:  # Streamlit's page-switch entries may carry another page's keys: not the visitor's doing
        foreign = [k for k in raw if k not in keys and k in settings.ALL_KEYS]
        _drop_from_url(foreign)
        raw = {k: v for k, v in raw.items() if k not in foreign}
    if arriving or history:
        notices = settings.unknown_keys(raw, keys)
        for key, values in raw.items():
            if key in keys and len(values) > 1:
                notices[key] = f"{key} is given {len(values)} times; using its default."
        _, notes = validate({k: v for k, v in raw.items() if k not in notices})
        notices.update(notes)
        _drop_from_url(list(notices))
    return notices


def remember_link(page: str, keys: tuple[str, ...]) -> None:
    """Keeps the page's link as its widgets left it (call after the last bound widget)."""
    st.session_state[f"_{page}_link"] = {k: st.query_params.get_all(k) for k in st.query_params if k in keys}


def _put_in_url(params: Mapping[str, list[str]]) -> None:
    """Puts query parameters back into the URL and into the copy Streamlit seeds widgets from."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with ctx.session_state.query_params() as qp:
        for key, values in params.items():
            qp.set_corrected_value(key, values[0], "string_value")  # one value each (check_link)
            qp._initial_query_params[key] = list(values)


def _drop_from_url(keys: list[str]) -> None:
    """Removes query parameters from the URL and from the copy Streamlit seeds widgets from.

    ``st.query_params`` refuses to delete a key bound to a widget (it is bound
    again on history navigation) and does not touch the seeding copy, so this
    goes through the session's ``QueryParams`` (streamlit 1.67); tests/test_links.py
    checks that a bad value leaves the URL and the widget at its default.
    """
    ctx = get_script_run_ctx()
    if ctx is None or not keys:
        return
    with ctx.session_state.query_params() as qp:
        for key in keys:
            qp.remove_param(key)
            qp._initial_query_params.pop(key, None)


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
    notices = {**restore_pending(page), **check_link(page, validate, keys)}
    raw = sidebar_ui()
    s, notes = validate(raw)
    remember_link(page, keys)
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


def draw(spec: dict[str, Any], where: Any = None, **kwargs: Any) -> None:
    """Draws a chart builder's Vega-Lite dict, its data sent as Arrow tables made here.

    ``where``: a column or container; the page by default. Pages draw every chart through here,
    never with ``st.altair_chart``: that one collects a chart's data through a transformer in
    Altair's *global* registry, so two sessions drawing at once filled each other's datasets
    ("dictionary changed size during iteration", seen with 24 simulated visitors).
    """
    (st if where is None else where).vega_lite_chart(spec=arrow_datasets(spec), **kwargs)


def arrow_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (a shallow copy) with its top-level ``datasets`` as Arrow tables.

    Streamlit sends every dataset to the browser as Arrow. Records (lists of dicts) it converts
    through a pandas DataFrame, which cost 10-13% of the server's CPU under 8 visitors (string
    columns most); pyarrow builds the same table from the records directly, several times faster.
    A dataset of empty records (one datum for a layer that needs no fields) keeps its rows through
    a placeholder column: a table without columns has no rows.
    """
    tables = {
        name: pa.table({"_": [0] * len(records)})
        if records and not any(records)
        else pa.Table.from_pylist(records)
        for name, records in spec.get("datasets", {}).items()
    }
    return {**spec, "datasets": tables} if tables else dict(spec)


class _NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ImportError("the app hands pyarrow no pandas objects")
        return None


def _pyarrow_without_pandas() -> None:
    """Makes pyarrow's one look for pandas find none, so that pyarrow never imports it.

    The first time pyarrow builds an array it imports pandas if it is installed (it is: Streamlit
    depends on it), to recognise pandas objects: 38 MB of a server's memory and ~0.5 s of its
    start, for an app that hands pyarrow only lists of plain values. pyarrow remembers the
    outcome, so a finder refusing pandas stands in front of the import system while pyarrow
    builds one array. In a process that has pandas already (the tests), nothing changes.
    """
    if "pandas" in sys.modules:
        return
    guard = _NoPandas()
    sys.meta_path.insert(0, guard)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(guard)


_pyarrow_without_pandas()

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$~:])")


def markdown_text(text: str) -> str:
    r"""``text`` with every ASCII punctuation character escaped: shown as it is, never as markup
    (``$`` would start LaTeX, ``:name[`` a Streamlit directive, ``|`` a table cell).

    >>> print(markdown_text("L′ = a·g(L) + c | 3.5e+08"))
    L′ = a·g\(L\) \+ c \| 3\.5e\+08
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def table(rows: Sequence[Mapping[str, str]], badges: Mapping[str, Mapping[str, str]] | None = None) -> None:
    """Rows of text as a table (a Markdown one; on a phone it scrolls sideways).

    ``st.dataframe`` and ``st.table`` import pandas for any data (38 MB of a server's memory).
    ``badges``: column -> {value: Streamlit colour name}; such a column shows each value as a
    badge of its colour, in the viewer's theme's shade.
    """
    if not rows:
        return
    badges = badges or {}
    columns = list(rows[0])

    def cell(column: str, value: str) -> str:
        text = markdown_text(value)
        colour = badges.get(column, {}).get(value)
        return f":{colour}-badge[{text}]" if colour else text

    lines = [
        "| " + " | ".join(markdown_text(c) for c in columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(cell(c, str(row[c])) for c in columns) + " |" for row in rows),
    ]
    st.markdown("\n".join(lines))


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


RENDERER = "svg" if os.environ.get("LOSSVIZ_RENDERER") == "svg" else "canvas"
"""How the browser draws the landscape pair: on a canvas, or (``LOSSVIZ_RENDERER=svg``, for the
browser tests that read what it shows) as SVG."""


def _vega_pair(left, right, key: str, on_click: Callable[[], None], **live: Any) -> None:
    # the click selection names a grid point by its number: what it stands for is this chart's window
    st.session_state[_grid_key(key)] = (left.bounds, live.get("click_grid", landscape.CLICK_GRID))
    draw(
        landscape.landscape_pair(left, right, **live, renderer=RENDERER),
        key=key,
        on_select=on_click,
        selection_mode=[landscape.START_SELECTION],
        width="content",
    )


def show_notices(notices: dict[str, str]) -> None:
    for message in notices.values():
        st.warning(message, icon="⚠️")


def _grid_key(chart_key: str) -> str:
    return f"{chart_key}__click_grid"


def clicked_point(chart_key: str) -> tuple[float, float] | None:
    """The ``(w1, w2)`` of the grid point last clicked on a landscape chart, if any: the selection
    names the point's number, on the grid of the window the chart was drawn with."""
    event = st.session_state.get(chart_key) or {}
    selected = (event.get("selection") or {}).get(landscape.START_SELECTION)
    grid = st.session_state.get(_grid_key(chart_key))
    if not (isinstance(selected, list) and selected and isinstance(selected[0], dict) and grid):
        return None
    bounds, n = grid
    i = selected[0].get("i")
    if isinstance(i, bool) or not isinstance(i, int | float) or not 0 <= i < n * n or i != int(i):
        return None  # not a point of the grid: ignored
    return landscape.grid_point(int(i), n, bounds)


def start_inputs(
    container: Any,
    names: tuple[str, str],
    default: tuple[float, float],
    help: str,
    keys: tuple[str, str] = (settings.X0, settings.Y0),
) -> tuple:
    """Two number inputs for the start point, bound to ``keys``; empty means ``default``."""
    c1, c2 = container.columns(2)
    return tuple(
        column.number_input(
            f"start {name}",
            value=None,
            placeholder=f"{value:g}",
            format="%.3f",
            key=key,
            bind=BIND,
            help=help if key == keys[0] else None,
        )
        for column, name, value, key in zip((c1, c2), names, default, keys, strict=True)
    )


def lr_slider(
    container: Any, label: str, default: float, help: str | None = None, key: str = settings.LR
) -> float:
    """The learning rate on its log grid, bound to ``key``; a value set through session state wins.

    Always given its default: once a value is set, a slider without one falls back to the
    grid's first value, which a link without ``key`` (back in history) would then show.
    """
    return container.select_slider(
        label,
        settings.LR_CHOICES,
        value=default,
        format_func=settings.grid_label,
        key=key,
        bind=BIND,
        help=help,
    )


def temperature_slider(container: Any, help: str, key: str = settings.TEMPERATURE) -> float:
    """The surrogate temperature on its log grid, bound to ``key``."""
    return container.select_slider(
        "temperature T",
        settings.TEMPERATURE_CHOICES,
        value=settings.DEFAULT_TEMPERATURE,
        format_func=settings.grid_label,
        key=key,
        bind=BIND,
        help=help,
    )
