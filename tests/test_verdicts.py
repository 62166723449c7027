"""Verdicts on real runs of the engine and on hand-made runs."""

import math

import numpy as np
import pytest

from lossviz import verdicts
from lossviz.engine import run_preset
from lossviz.trajectories import Run


def _run(params, loss, diverged_at=None):
    params = np.asarray(params, dtype=np.float32)
    loss = np.asarray(loss, dtype=np.float32)
    return Run(params, loss, loss, diverged_at)


def test_shift_is_identical_bit_for_bit():
    a = run_preset("linear_regression", "sgd", lr=0.05, steps=200)
    b = run_preset("linear_regression", "sgd", lr=0.05, steps=200, shift=-2 * math.pi)
    v = verdicts.compare(a, b)
    assert v.kind == verdicts.IDENTICAL
    assert v.max_dtheta == 0.0 and v.first_difference is None
    assert "bit for bit" in verdicts.describe(v)


def test_negation_is_ascent_with_numbers():
    a = run_preset("linear_regression", "adam", lr=0.05, steps=200)
    b = run_preset("linear_regression", "adam", lr=0.05, steps=200, scale=-1.0)
    v = verdicts.compare(a, b)
    assert v.kind == verdicts.ASCENT
    assert v.loss_end_transformed > v.loss_start > v.loss_end_original
    text = verdicts.describe(v)
    assert f"{v.loss_start:.4g}" in text and f"{v.loss_end_transformed:.4g}" in text


def test_monotone_map_reaches_the_same_minimiser_by_another_path():
    a = run_preset("linear_regression", "sgd", lr=0.05, steps=400)
    b = run_preset("linear_regression", "sgd", lr=0.05, steps=400, g="log1p")
    v = verdicts.compare(a, b, tolerance=1e-2)
    assert v.kind == verdicts.SAME_END
    assert v.max_dtheta > 1e-2


def test_polyak_under_a_shift_takes_another_path():
    a = run_preset("quadratic", "polyak", lr=0.1, steps=200)
    b = run_preset("quadratic", "polyak", lr=0.1, steps=200, shift=-2 * math.pi)
    v = verdicts.compare(a, b)
    # Polyak's step (L - 0)/|grad|^2 on L - 2*pi stops where L = 2*pi: far from the minimum (L = 0),
    # yet below the start (L = 31.25), so neither ascent nor divergence.
    assert a.diverged_at is None and b.diverged_at is None
    assert v.loss_end_original < 1e-6 and v.loss_end_transformed == pytest.approx(2 * math.pi, rel=1e-3)
    assert v.kind == verdicts.DIFFERENT
    assert v.first_difference == 1


def test_divergence_is_reported_with_its_step():
    a = run_preset("rosenbrock", "sgd", lr=0.001, steps=50)
    b = run_preset("rosenbrock", "sgd", lr=0.001, steps=50, scale=10.0)
    v = verdicts.compare(a, b)  # the transform unknown: judged by the numbers alone
    assert b.diverged_at is not None and a.diverged_at is None
    # L climbed (12.5 -> about 2.6e13) before overflowing: ascent is checked before divergence
    assert v.loss_end_transformed > 1e6 * v.loss_start
    assert v.kind == verdicts.ASCENT
    assert v.diverged_transformed == b.diverged_at
    assert str(b.diverged_at) in verdicts.describe(v)
    assert math.isinf(v.max_dtheta)


def test_a_positive_scale_that_diverges_is_overshoot_not_ascent():
    # SGD on 10·L is SGD on L at 10× the learning rate: it overshoots, it does not ascend
    a = run_preset("rosenbrock", "sgd", lr=0.001, steps=50)
    b = run_preset("rosenbrock", "sgd", lr=0.001, steps=50, scale=10.0)
    v = verdicts.compare(a, b, scale=10.0, effective_lr=0.01)
    assert v.kind == verdicts.DIVERGED
    text = verdicts.describe(v)
    assert "overshooting, not ascent" in text and "Ascent" not in text
    assert "a = 10" in text and "a·lr = 0.01" in text and f"step {b.diverged_at}" in text


def test_a_positive_scale_without_a_known_rate_still_names_overshoot():
    a = run_preset("himmelblau", "sgd", lr=0.01, steps=200)
    b = run_preset("himmelblau", "sgd", lr=0.01, steps=200, scale=10.0)
    v = verdicts.compare(a, b, scale=10.0)
    assert v.kind == verdicts.DIVERGED and b.diverged_at is not None
    text = verdicts.describe(v)
    assert "overshooting" in text and "a·lr" not in text


def test_a_negative_scale_is_ascent_with_the_numbers():
    a = run_preset("quadratic", "sgd", lr=0.01, steps=100)
    b = run_preset("quadratic", "sgd", lr=0.01, steps=100, scale=-1.0)
    v = verdicts.compare(a, b, scale=-1.0)
    assert v.kind == verdicts.ASCENT
    assert f"grew from {v.loss_start:.4g}" in verdicts.describe(v)


@pytest.mark.parametrize(
    ("second", "kind"),
    [
        ([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], verdicts.IDENTICAL),
        ([[0.0, 0.0], [1.0, 1.0005], [2.0, 2.0]], verdicts.SAME_PATH),
        ([[0.0, 0.0], [0.5, 1.5], [2.0, 2.0]], verdicts.SAME_END),
        ([[0.0, 0.0], [0.5, 1.5], [3.0, 1.0]], verdicts.DIFFERENT),
    ],
)
def test_kinds_on_hand_made_runs(second, kind):
    first = _run([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], [3.0, 2.0, 1.0])
    other = _run(second, [3.0, 2.0, 1.0])
    assert verdicts.compare(first, other, tolerance=1e-3).kind == kind


def test_a_divergence_after_descending_is_diverged_not_ascent():
    # the transformed run's last finite loss (2.0) is below the start (3.0): not an ascent
    first = _run([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], [3.0, 2.0, 1.0])
    other = _run([[0.0, 0.0], [1.0, 1.0], [np.inf, 2.0]], [3.0, 2.0, np.inf], diverged_at=2)
    v = verdicts.compare(first, other, tolerance=1e-3)
    assert v.kind == verdicts.DIVERGED
    assert (v.diverged_original, v.diverged_transformed) == (None, 2)
    assert "transformed run diverged at step 2" in verdicts.describe(v)


def test_a_climb_then_divergence_is_ascent():
    first = _run([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], [3.0, 2.0, 1.0])
    other = _run([[0.0, 0.0], [-1.0, -1.0], [np.inf, 2.0]], [3.0, 5.0, np.inf], diverged_at=2)
    v = verdicts.compare(first, other, tolerance=1e-3)
    assert v.kind == verdicts.ASCENT
    assert v.loss_end_transformed == 5.0
    assert "climbed until it diverged at step 2" in verdicts.describe(v)


def test_nan_rows_count_as_equal_when_both_runs_diverge_together():
    a = _run([[0.0, 0.0], [np.nan, np.nan]], [1.0, np.nan], diverged_at=1)
    b = _run([[0.0, 0.0], [np.nan, np.nan]], [-5.0, np.nan], diverged_at=1)
    v = verdicts.compare(a, b)
    assert v.kind == verdicts.IDENTICAL
    assert "diverged at step 1" in verdicts.describe(v)


def test_every_kind_has_words():
    assert set(verdicts.KIND_LABELS) == {
        verdicts.IDENTICAL,
        verdicts.SAME_PATH,
        verdicts.SAME_END,
        verdicts.ASCENT,
        verdicts.DIVERGED,
        verdicts.DIFFERENT,
    }
