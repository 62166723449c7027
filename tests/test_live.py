"""The live pair's path encoding (lossviz.charts.live): what the browser decodes is the path, to under a level."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lossviz.charts import live

BOUNDS = ((-2.0, 3.0), (-1.0, 1.0))


def _decoded(text: str, bounds) -> np.ndarray:
    """What :func:`live.decode`'s Vega expressions compute, in Python: ``(n, 2)``."""
    out = []
    for k in range(len(text) // 4):
        row = []
        frame = live.frame_fields(bounds)  # the numbers the expressions read from the frame parameter
        for axis in range(2):
            start, unit = frame[f"s{axis + 1}"], frame[f"u{axis + 1}"]
            row.append(start + int(text[4 * k + 2 * axis : 4 * k + 2 * axis + 2], 36) * unit)
        out.append(row)
    return np.array(out).reshape(-1, 2)


def test_decode_expressions_match_the_python_reading():
    # the transforms name the same slices and constants as _decoded
    calcs = [t["calculate"] for t in live.decode("p") if "calculate" in t]
    assert "sequence(0, floor(length(datum.p) / 4))" in calcs[0]
    assert (
        calcs[1] == "frame.s1 + parseInt(substring(datum.p, 4 * datum.k + 0, 4 * datum.k + 2), 36) * frame.u1"
    )
    assert (
        calcs[2] == "frame.s2 + parseInt(substring(datum.p, 4 * datum.k + 2, 4 * datum.k + 4), 36) * frame.u2"
    )
    # the window widened by MARGIN on each side, in LEVELS steps
    f = live.frame_fields(BOUNDS)
    assert (f["s1"], f["s1"] + live.LEVELS * f["u1"]) == pytest.approx((-7.0, 8.0))
    assert (f["s2"], f["s2"] + live.LEVELS * f["u2"]) == pytest.approx((-3.0, 3.0))


coords = st.floats(-20.0, 20.0, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=12), elements=coords)
)
def test_paths_decode_to_under_a_level_up_to_their_first_bad_row(paths):
    paths = paths[..., :2] if paths.shape[-1] >= 2 else np.repeat(paths, 2, axis=-1)
    texts = live.encode_paths(paths, BOUNDS)
    assert texts == [live.encode_path(p, BOUNDS) for p in paths]
    spans = np.array([hi - lo for lo, hi in BOUNDS])
    lo = np.array([b[0] for b in BOUNDS]) - live.MARGIN * spans
    hi = np.array([b[1] for b in BOUNDS]) + live.MARGIN * spans
    level = (1 + 2 * live.MARGIN) * spans / live.LEVELS
    for path, text in zip(paths, texts, strict=True):
        got = _decoded(text, BOUNDS)
        # every row well inside the wide window is kept, up to the first row well outside it
        well_inside = ((path >= lo + level) & (path <= hi - level)).all(axis=1)
        well_outside = ((path < lo - level) | (path > hi + level)).any(axis=1)
        assert len(got) >= (len(path) if well_inside.all() else int(np.argmin(well_inside)))
        assert len(got) <= (int(np.argmax(well_outside)) if well_outside.any() else len(path))
        assert (np.abs(got - path[: len(got)]) <= level / 2 * (1 + 1e-6)).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e6])
def test_a_path_ends_before_its_first_bad_row(bad):
    path = np.zeros((5, 2))
    path[3, 1] = bad
    (text,) = live.encode_paths(path[None], BOUNDS)
    assert len(text) == 4 * 3
    np.testing.assert_allclose(_decoded(text, BOUNDS), 0.0, atol=0.01)


def test_the_hover_readout_has_four_significant_digits_and_nan_for_any_non_finite_value():
    values = np.array([[1.23456, np.nan, np.inf], [-np.inf, -0.000012345, 123456.0]])
    assert live.format_hover(values) == "1.235,NaN,NaN,NaN,−1.234e−05,1.235e+05"
    assert live.format_hover(np.float32([2.0, 0.5])) == "2,0.5"
