"""Colours by meaning, and number and tick formatting shared by every chart (no JAX).

>>> format_value(-2.5e-5), format_value(2510.0), format_value(0.0123)
('−2.5e−5', '2510', '0.0123')
"""

from __future__ import annotations

import math

SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
"""The Vega-Lite schema every spec names (Altair 6.3's; tests validate against it)."""

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

# One colour per verdict kind (the kinds of lossviz.verdicts), by meaning: green = the law holds
# exactly, blue = to rounding, violet = same place by another path, orange = another place,
# grey = no comparison (a run overflowed), red = ascent. These are Streamlit's colour names:
# its Vega theme draws a scale range of such names in the viewer's theme's own shade (light or
# dark), and st.badge draws the verdict box in the same colour.
VERDICT_COLOURS = {
    "identical": "green",
    "same_path": "blue",
    "same_end": "violet",
    "different": "orange",
    "diverged": "gray",
    "ascent": "red",
}
# Text and rules drawn by a chart itself (not by the theme's axes): mid-luminance grey, readable
# on a white page (contrast ~3.7) and on Streamlit's dark #0e1117 (~5.2); never fixed black.
NEUTRAL = "#808495"
# Chart properties that fill the container's width while `height` stays the plot's own height
# (Streamlit's theme sets autosize "fit": with it the legend and titles would eat a fixed height).
FIT_WIDTH = {"width": "container", "autosize": {"type": "fit-x", "contains": "padding"}}
COLOURMAP = "viridis"


def format_value(v: float) -> str:
    """Short label for a loss value (``2510``, ``0.0123``, ``−2.5e−5``, ``1e8``) with real minus signs."""
    if v != 0 and not 1e-3 <= abs(v) < 1e5:
        text = f"{v:.1e}".replace(".0e", "e").replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    else:
        text = f"{v:.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return text.replace("-", "−")


# A Vega expression labelling an axis tick the way format_value does: plain below 1e5, else
# scientific (d3's own formats print a diverged run's 3e24 as "3,000,000,000,000,…").
READABLE_TICK = (
    "datum.value != 0 && (abs(datum.value) >= 1e5 || abs(datum.value) < 1e-3)"
    " ? replace(format(datum.value, '.2~e'), '+', '') : format(datum.value, '~r')"
)


def symlog_ticks_between(lo: float, hi: float) -> list[float]:
    """``0`` and ``±10^k`` within ``[lo, hi]``, at most ~5 per sign: d3 has no symlog ticks."""
    top = math.ceil(math.log10(max(abs(lo), abs(hi), 1.0)))
    step = max(1, math.ceil((top + 1) / 5))
    mags = [10.0**k for k in range(step if top > 2 else 0, top + 1, step)]  # 1 crowds 0 on a wide axis
    return sorted({0.0, *(m for m in mags if m <= hi), *(-m for m in mags if -m >= lo)})
