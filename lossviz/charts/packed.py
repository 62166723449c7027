"""Long numeric columns travel packed: a comma-joined string per record, expanded
by Vega-Lite ``split`` + ``flatten`` transforms. That is a third of the JSON of one
object per row, which keeps an explorer view far under its 300 KB budget (no JAX).
"""

from __future__ import annotations

import hashlib
import math
import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np

from lossviz.charts.style import FIT_WIDTH, READABLE_TICK, SCHEMA_URL, format_value

Bounds = tuple[tuple[float, float], tuple[float, float]]
Spec = dict[str, Any]
ROUNDING = 1e-4  # coordinates rounded to this fraction of the window: a 20th of a pixel
SAME = "same"  # Datasets.add_side: side 1 draws side 0's records


def pack(x: np.ndarray, decimals: int) -> str:
    """Numbers rounded to ``decimals`` places (``0``: integers), joined by commas."""
    x = np.round(np.asarray(x, dtype=np.float64), decimals)
    return ",".join(map(repr, x.astype(np.int64).tolist() if decimals == 0 else x.tolist()))


def decimals(lo: float, hi: float) -> int:
    """Decimal places that resolve :data:`ROUNDING` of the window ``[lo, hi]``."""
    return max(0, math.ceil(-math.log10(max(hi - lo, 1e-12) * ROUNDING)))


def packed_xy(xy: np.ndarray, bounds: Bounds) -> dict[str, str]:
    """``w1``/``w2`` columns of ``xy`` (n, 2) rounded to a 20th of a pixel, packed."""
    return {"w1": pack(xy[:, 0], decimals(*bounds[0])), "w2": pack(xy[:, 1], decimals(*bounds[1]))}


def _digest(records: list[dict[str, Any]]) -> bytes:
    """A hash of ``records``: pickle, not json, ~5x faster, and equal records built by the same code
    pickle alike (a record that pickles differently is only sent twice)."""
    return hashlib.sha256(pickle.dumps(records, protocol=5)).digest()


class Datasets(dict[str, list[dict[str, Any]]]):
    """The top-level ``datasets`` of a spec, named in the order they are first added.

    Records identical to ones already added (the same data in both panels) are sent once, under
    the first one's name. Names do not depend on the content: when a rerun changes only the data,
    the spec is the same, and the browser replaces the data in the chart it has instead of
    building the chart again (Streamlit compares the spec; a problem or map switch redraws in
    ~0.6 s instead of ~0.8-0.9 s, a data set switch in ~0.4 s instead of ~0.6 s).
    """

    def __init__(self, start: Datasets | None = None) -> None:
        """Empty, or a copy of ``start`` (which later additions leave as it is)."""
        super().__init__(start or {})
        self._names: dict[bytes, str] = dict(start._names) if start is not None else {}
        # add_side: the digest of side 0's records, by their name
        self._sides: dict[str, bytes] = dict(start._sides) if start is not None else {}

    def add(self, records: list[dict[str, Any]]) -> Spec:
        """Stores ``records``; returns the layer's ``data`` (a reference by name)."""
        digest = _digest(records)
        if digest not in self._names:
            self._names[digest] = name = f"lossviz_{len(self._names)}"
            self[name] = records
        return {"name": self._names[digest]}

    def add_fixed(self, role: str, records: list[dict[str, Any]]) -> Spec:
        """Stores ``records`` under a name that depends only on ``role`` and the order of roles
        (never shared with equal records, as :meth:`add` would): for data sets that expressions
        read by name, or whose coincidence with another's would rename the ones after it. Added again
        with the same records (both panels of a pair), the same name."""
        key = b"fixed:" + role.encode()
        if key in self._names:
            if self[self._names[key]] == records:
                return {"name": self._names[key]}
            raise ValueError(f"{role!r}: added twice, with other records")
        self._names[key] = name = f"lossviz_{len(self._names)}"
        self[name] = records
        return {"name": name}

    def add_side(self, role: str, side: int, records: list[dict[str, Any]]) -> list[tuple[Spec, list[Spec]]]:
        """Stores the ``records`` that one panel of a pair (``side`` 0, then 1) draws for ``role``;
        returns, for each layer that draws them, its ``data`` and the transforms to put first.

        Which layers of the two panels coincide depends on the view (the heat map of ``L`` and of
        ``g(L)`` under a monotone ``g``, the contours at some maps and not at others), and
        :meth:`add` names a coincidence differently. A spec naming other data sets makes the
        browser build the chart again rather than replace its data (~0.15 s a switch), so each
        role has two names, whatever the data: side 0's records (one layer) and side 1's. Side 1
        draws two layers: side 0's records when its own are equal (then sent once: its data set
        holds only ``{SAME: true}``), and its own records otherwise. Side 0's data set does not
        change when only side 1's does (another map ``g``), so the browser leaves its layers alone.
        """
        key = b"side:" + role.encode()
        if side == 0:
            if key in self._names:
                raise ValueError(f"{role!r}: side 0 added twice")
            self._names[key] = left = f"lossviz_{len(self._names)}"
            self._names[key + b":1"] = right = f"lossviz_{len(self._names)}"
            self[left], self[right] = records, []
            self._sides[left] = _digest(records)
            return [({"name": left}, [])]
        left, right = self._names.get(key), self._names.get(key + b":1")
        if side != 1 or left is None or self[right]:
            raise ValueError(f"{role!r}: side {side} before side 0, or added twice")
        same = _digest(records) == self._sides[left]
        self[right] = [{SAME: True}] if same else records
        return [
            (
                {"name": left},
                [{"filter": f"length(data('{right}')) > 0 && data('{right}')[0].{SAME} == true"}],
            ),
            ({"name": right}, [{"filter": f"!datum.{SAME}"}]),
        ]


def container_chart(datasets: Datasets, /, **spec: Any) -> Spec:
    """A complete top-level spec as wide as its container, with the records of ``datasets``.

    The view size in ``config`` is Altair's default, which the charts were first drawn with: the
    width a container-wide chart falls back to while its container has no size yet.
    """
    config = {"view": {"continuousHeight": 300, "continuousWidth": 300}}
    return {"$schema": SCHEMA_URL, "config": config, **spec, **FIT_WIDTH, "datasets": dict(datasets)}


def unpack(fields: Sequence[str]) -> list[Spec]:
    """Transforms that turn packed ``fields`` (see :func:`pack`) into one row per number."""
    return [
        *({"calculate": f"split(datum.{f}, ',')", "as": f} for f in fields),
        {"flatten": list(fields)},
        *({"calculate": f"toNumber(datum.{f})", "as": f} for f in fields),
    ]


def row_number(name: str, groupby: str) -> Spec:
    """A window transform numbering the rows of each ``groupby`` group (flatten keeps their order)."""
    return {"window": [{"op": "row_number", "field": "", "as": name}], "groupby": [groupby]}


def field(name: str, kind: str, **props: Any) -> Spec:
    return {"field": name, "type": kind, **props}


def kept(source: Spec) -> Spec:
    """A layer that draws none of ``source``'s records: Vega-Lite compiles only the data sets some
    layer draws, and an expression (``data('name')``) finds only those."""
    return {"data": source, "transform": [{"filter": "false"}], "mark": {"type": "point"}}


def tick_records(ticks: Sequence[float]) -> list[dict[str, Any]]:
    """Records of :func:`ticks_from`: each tick's value and its label (as ``format_value`` writes it)."""
    return [{"v": float(t), "label": format_value(t)} for t in ticks]


def ticks_from(rows: str, first: int = 0) -> Spec:
    """Axis properties reading the ticks from a data set's records (:func:`tick_records`, the
    ``first`` of them on): ``rows`` is its expression (``data('name')``). With no such records,
    Vega's own ticks, labelled by :data:`~lossviz.charts.style.READABLE_TICK`.

    Ticks written into the spec (``values``) would change it whenever the data's range does: the
    browser would build the chart again instead of replacing its data."""
    values = f"pluck({rows}, 'v')"
    index = f"indexof({values}, datum.value)"
    return {
        "values": {"expr": f"length({rows}) > {first} ? slice({values}, {first}) : null"},
        "labelExpr": f"{index} >= {first} ? {rows}[{index}].label : {READABLE_TICK}",
    }


def axis_title(expr: str, orient: str, frame: str = "group") -> Spec:
    """A view's title that stands for an axis title (``orient``: ``"bottom"`` or ``"left"``), its
    text read by the expression ``expr``, in the size and weight of the theme's axis titles.

    Vega-Lite's axis titles are text in the spec: a rerun that changed only them (another problem's
    parameter names, a linear or symlog axis) would change the spec, and the browser would build the
    chart again instead of replacing its data. ``frame``: centred on the plot (``"group"``) or on the
    view's whole extent with its axes and titles (``"bounds"``, for a concatenation, which has no
    plot of its own)."""
    return {
        "text": {"expr": expr},
        "orient": orient,
        "anchor": "middle",
        "align": "center",
        "frame": frame,
        "fontSize": 14,
        "fontWeight": "normal",
        "offset": 8,
    }
