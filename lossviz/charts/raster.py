"""Rank colouring of a landscape and PNG encoding of pixels (no JAX).

Landscape colours are *rank* (histogram-equalised) positions of the values:
adding a constant, multiplying by a positive number or applying an increasing
``g`` leaves the picture identical (only the colour-bar labels change) and
negation reverses it, which is exactly what the app teaches.

>>> import numpy as np
>>> v = np.array([[0.0, 1.0], [2.0, 3.0]])
>>> bool((colour_positions(v - 2 * np.pi) == colour_positions(3 * v)).all())
True
"""

from __future__ import annotations

import base64
import io

import cmap
import numpy as np
from PIL import Image

from lossviz.charts.style import COLOURMAP

_PALETTE_SIZE = 255  # palette index 0 is the transparent "no value" colour


def colour_positions(values: np.ndarray) -> np.ndarray:
    """Rank of each value among the finite ones, in ``[0, 1]`` (ties share their mean rank).

    Args:
      values: any shape; non-finite entries give NaN.

    Returns:
      float array of the same shape.
    """
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    t = np.full(values.shape, np.nan)
    if ok.any():
        # one sort: equal values form a run of `counts` ranks starting at `first`
        _, inverse, counts = np.unique(values[ok], return_inverse=True, return_counts=True)
        first = np.cumsum(counts) - counts
        mean_rank = first + (counts - 1) / 2
        t[ok] = mean_rank[inverse] / max(int(ok.sum()) - 1, 1)
    return t


def _palette_indices(t: np.ndarray) -> np.ndarray:
    """Palette index ``1..255`` per colour position, ``0`` (transparent) for NaN."""
    idx = np.zeros(t.shape, dtype=np.uint8)
    ok = np.isfinite(t)
    idx[ok] = 1 + np.rint(t[ok] * (_PALETTE_SIZE - 1)).astype(np.uint8)
    return idx


def _palette() -> np.ndarray:
    """``(256, 4)`` uint8 RGBA: transparent, then the colour map's 255 colours."""
    rgba = np.asarray(cmap.Colormap(COLOURMAP)(np.linspace(0.0, 1.0, _PALETTE_SIZE)))
    return np.vstack([np.zeros((1, 4), np.uint8), np.rint(np.clip(rgba, 0, 1) * 255).astype(np.uint8)])


def data_url(image: Image.Image, **options) -> str:
    """``image`` as a PNG ``data:`` URL: the one encoder of every raster layer.

    zlib's default level, not Pillow's ``optimize`` (level 9 and more filter trials): a 200 x 200
    map encodes in ~2 ms instead of ~24 ms for ~20% more bytes; a training view encodes three.
    """
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6, **options)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def png_data_url(t: np.ndarray) -> str:
    """A palette PNG of colour positions ``t`` (H, W), row 0 at the top, as a ``data:`` URL."""
    idx = np.ascontiguousarray(_palette_indices(np.atleast_2d(t)))
    image = Image.frombytes("P", (idx.shape[1], idx.shape[0]), idx.tobytes())
    image.putpalette(_palette()[:, :3].tobytes())
    return data_url(image, transparency=0)


def rgb_data_url(rgb: np.ndarray) -> str:
    """An RGB PNG of pixels ``(H, W, 3)`` uint8 as a ``data:`` URL."""
    return data_url(Image.fromarray(np.ascontiguousarray(rgb), "RGB"))


def grid_image(w1, w2, url: str) -> dict[str, float | str]:
    """The record of an image whose pixel centres lie on the grid ``w1 x w2`` (row 0 of the image
    at the highest ``w2``): its corners, half a cell beyond the outer grid points, and ``url``."""
    half1 = (w1[-1] - w1[0]) / max(len(w1) - 1, 1) / 2
    half2 = (w2[-1] - w2[0]) / max(len(w2) - 1, 1) / 2
    return {
        "w1": float(w1[0] - half1),
        "w1_end": float(w1[-1] + half1),
        "w2": float(w2[-1] + half2),
        "w2_end": float(w2[0] - half2),
        "url": url,
    }
