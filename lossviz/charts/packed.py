"""Long numeric columns travel packed: a comma-joined string per record, expanded
by Vega-Lite ``split`` + ``flatten`` transforms. That is a third of the JSON of one
object per row, which keeps an explorer view far under its 300 KB budget (no JAX).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Bounds = tuple[tuple[float, float], tuple[float, float]]
Spec = dict[str, Any]
ROUNDING = 1e-4  # coordinates rounded to this fraction of the window: a 20th of a pixel


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


class Datasets(dict[str, list[dict[str, Any]]]):
    """The top-level ``datasets`` of a spec: records keyed by a hash of their content.

    Named like Altair names inline data, so records identical in both panels are sent once.
    """

    def add(self, records: list[dict[str, Any]]) -> Spec:
        """Stores ``records``; returns the layer's ``data`` (a reference by name)."""
        text = json.dumps(records, sort_keys=True)
        name = "empty" if records == [{}] else "data-" + hashlib.sha256(text.encode()).hexdigest()[:32]
        self.setdefault(name, records)
        return {"name": name}


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
