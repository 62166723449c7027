"""Colours by meaning, and number and tick formatting shared by every chart (no JAX).

>>> format_value(-2.5e-5), format_value(2510.0), format_value(0.0123)
('−2.5e−5', '2510', '0.0123')
"""

from __future__ import annotations

import math
from collections.abc import Iterable

STYLE_COLOURS = {
    "original": "#ff9e1b",
    "transformed": "#ff3fa4",
    # the ways of descending the 0-1 error (lossviz.nondifferentiable.METHODS)
    "zero_one": "#d9d9d9",  # light grey: visible on the dark landscape and in the white legend
    "zero_one_ste": "#ff3fa4",
    "zero_one_soft": "#ff9e1b",
    "logistic": "#22d3ee",
    "hinge": "#a3e635",
}
STYLE_DASHES = {"original": [1, 0], "transformed": [6, 3], "zero_one_ste": [6, 3]}
QUANTITIES = ("L", "L′")
COLOURMAP = "viridis"


def format_value(v: float) -> str:
    """Short label for a loss value (``2510``, ``0.0123``, ``−2.5e−5``, ``1e8``) with real minus signs."""
    if v != 0 and not 1e-3 <= abs(v) < 1e5:
        text = f"{v:.1e}".replace(".0e", "e").replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    else:
        text = f"{v:.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return text.replace("-", "−")


def tick_labels(ticks: Iterable[float], labels: Iterable[str]) -> str:
    """A Vega expression giving the axis label of each of ``ticks``."""
    cases = [f"datum.value == {t!r} ? '{label}' : " for t, label in zip(ticks, labels, strict=True)]
    return "".join(cases) + "''"


def symlog_ticks_between(lo: float, hi: float) -> list[float]:
    """``0`` and ``±10^k`` within ``[lo, hi]``, at most ~5 per sign: d3 has no symlog ticks."""
    top = math.ceil(math.log10(max(abs(lo), abs(hi), 1.0)))
    step = max(1, math.ceil((top + 1) / 5))
    mags = [10.0**k for k in range(step if top > 2 else 0, top + 1, step)]  # 1 crowds 0 on a wide axis
    return sorted({0.0, *(m for m in mags if m <= hi), *(-m for m in mags if -m >= lo)})
