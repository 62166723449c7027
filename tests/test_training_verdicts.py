"""The training page's verdict sentences, on hand-built histories (no training)."""

from __future__ import annotations

import numpy as np
import pytest

from lossviz.training import History
from lossviz.ui.cached import TrainingView
from lossviz.ui.pages.training import negated_verdict, shifted_verdict
from lossviz.ui.settings import TrainingSettings

MINUS = "−"  # the page writes negative numbers with a real minus sign


def _history(
    objective,
    loss,
    accuracy,
    *,
    test_accuracy=None,
    equal=None,
    diff=None,
    scale: float = 1.0,
    shift: float = 0.0,
    diverged_at: int | None = None,
) -> History:
    n = len(loss)
    return History(
        objective=np.asarray(objective, np.float32),
        loss=np.asarray(loss, np.float32),
        accuracy=np.asarray(accuracy, np.float32),
        test_accuracy=np.asarray(accuracy if test_accuracy is None else test_accuracy, np.float32),
        weights_equal_original=np.asarray([True] * n if equal is None else equal, bool),
        max_weight_diff=np.asarray([0.0] * n if diff is None else diff, np.float32),
        params=(),
        scale=scale,
        shift=shift,
        activation="tanh",
        diverged_at=diverged_at,
    )


# The original run: L falls 0.75 -> 0.25 over 3 epochs (values exact in float32).
LOSS = [0.75, 0.5, 0.25]
ACC = [0.625, 0.75, 0.875]
TEST_ACC = [0.5, 0.625, 0.75]
ORIGINAL = _history(LOSS, LOSS, ACC, test_accuracy=TEST_ACC)


def _view(
    *, shifted: History | None = None, negated: History | None = None, n_classes: int = 2
) -> TrainingView:
    same = _history(LOSS, LOSS, ACC, test_accuracy=TEST_ACC)
    return TrainingView(
        runs={"original": ORIGINAL, "shifted": shifted or same, "negated": negated or same},
        grids={},
        x_train=np.zeros((0, 2), np.float32),
        y_train=np.zeros(0, np.int32),
        n_classes=n_classes,
        seconds=0.0,
    )


# --- the shifted run ------------------------------------------------------------


def test_shifted_identical_is_bit_for_bit_with_its_numbers():
    s = TrainingSettings(optimizer="sgd", shift=-2.5)
    shifted = _history(
        [v - 2.5 for v in LOSS], LOSS, ACC, test_accuracy=TEST_ACC, shift=-2.5
    )  # objective = L + c, exactly
    identical, text = shifted_verdict(s, _view(shifted=shifted))
    assert identical is True
    assert "bit for bit" in text
    assert f"c = {MINUS}2.5" in text
    assert "every one of the 3 epochs" in text
    assert "largest |Δw| = 0)" in text
    assert "final 87.5% and 75.0%" in text  # training and test accuracy at the last epoch
    assert "to within 0.0e+00" in text  # objective − c − L is exactly 0 here
    assert f"ending at {MINUS}2.25 instead of 0.25" in text


def test_a_zero_shift_does_not_claim_the_number_moved():
    # issue: c = 0 wrote "ending at 0.02697 instead of 0.02697"
    s = TrainingSettings(optimizer="sgd", shift=0.0)
    identical, text = shifted_verdict(
        s, _view(shifted=_history(LOSS, LOSS, ACC, test_accuracy=TEST_ACC, shift=0.0))
    )
    assert identical is True and "instead of" not in text
    assert "c = 0" in text and "same function" in text


@pytest.mark.parametrize(
    ("optimizer", "why"),
    [
        ("sgd", "This optimizer reads only the gradient"),
        ("polyak", "Polyak reads the loss value, not only its gradient, so adding c changes its steps."),
    ],
)
def test_shifted_different_names_the_first_differing_epoch(optimizer, why):
    s = TrainingSettings(optimizer=optimizer, shift=-2.5)
    shifted = _history(
        [-1.75, -2.125, -2.375],
        [0.75, 0.375, 0.125],
        [0.625, 0.625, 0.5],  # differs from the original at epochs 2 and 3
        test_accuracy=TEST_ACC,
        equal=[True, False, False],
        diff=[0.0, 0.125, 0.5],
        shift=-2.5,
    )
    identical, text = shifted_verdict(s, _view(shifted=shifted))
    assert identical is False
    assert "a different training" in text
    assert "first differ from the original's at epoch 2 " in text
    assert "largest |Δw| = 0.5" in text
    assert "differs at 2 of 3 epochs" in text
    assert "final 50.0% vs 87.5%" in text
    assert why in text
    other = "reads only the gradient" if optimizer == "polyak" else "reads the loss value"
    assert other not in text


def test_shifted_with_equal_weights_but_other_accuracy_is_not_identical():
    # identical weights are not enough: the accuracies must agree too
    s = TrainingSettings(optimizer="sgd", shift=-2.5)
    shifted = _history(
        [v - 2.5 for v in LOSS], LOSS, ACC, test_accuracy=[0.5, 0.625, 0.625], equal=[True, True, True]
    )
    identical, text = shifted_verdict(s, _view(shifted=shifted))
    assert identical is False
    assert "a different training" in text


# --- the negated run ------------------------------------------------------------


def test_negated_identical_for_an_optimizer_whose_signs_cancel():
    s = TrainingSettings(optimizer="loss_x_grad")
    negated = _history([-v for v in LOSS], LOSS, ACC, test_accuracy=TEST_ACC, scale=-1.0)
    kind, text = negated_verdict(s, _view(negated=negated))
    assert kind == "identical"
    assert "**Negated: identical to the original.**" in text
    assert "Loss × grad steps by lr · L · ∇L" in text


def test_negated_ascent_says_the_objective_falls_while_the_loss_rises():
    s = TrainingSettings(optimizer="sgd")
    negated = _history(
        [-0.75, -1.5, -3.25],  # the plotted −L falls ...
        [0.75, 1.5, 3.25],  # ... while the real L rises
        [0.625, 0.375, 0.125],
        equal=[False, False, False],
        diff=[0.25, 0.5, 1.0],
        scale=-1.0,
    )
    kind, text = negated_verdict(s, _view(negated=negated))
    assert kind == "ascent"
    assert "gradient ascent on the real loss" in text
    assert f"fell from {MINUS}0.75 to {MINUS}3.25" in text
    assert "L rose from 0.75 to 3.25" in text
    # 12.5% is below both 87.5% − 20 points and halfway to chance (50%)
    assert "training accuracy collapsed to 12.5% (original: 87.5%; chance: 50.0%)" in text
    assert "stopped being finite" not in text


def test_negated_ascent_until_a_divergence_stops_at_the_last_finite_epoch():
    s = TrainingSettings(optimizer="sgd")
    negated = _history(
        [-0.75, -1.5, np.nan],
        [0.75, 1.5, np.nan],
        [0.625, 0.75, np.nan],
        equal=[False, False, False],
        diff=[0.25, 0.5, np.nan],
        scale=-1.0,
        diverged_at=2,
    )
    kind, text = negated_verdict(s, _view(negated=negated))
    assert kind == "ascent"
    assert f"fell from {MINUS}0.75 to {MINUS}1.5" in text
    assert "L rose from 0.75 to 1.5" in text
    assert "training accuracy ended at 75.0%" in text  # not a collapse
    assert text.endswith("The run stopped being finite at epoch 3.")


def test_negated_other_when_the_loss_does_not_rise():
    s = TrainingSettings(optimizer="sgd")
    negated = _history(
        [-0.75, -0.625, -0.5],  # −L rises, so L falls: no ascent
        [0.75, 0.625, 0.5],
        [0.625, 0.75, 0.75],
        equal=[False, False, False],
        diff=[0.25, 0.25, 0.25],
        scale=-1.0,
    )
    kind, text = negated_verdict(s, _view(negated=negated))
    assert kind == "other"
    assert text == (
        f"**Negated:** the objective went from {MINUS}0.75 to {MINUS}0.5, the true loss from "
        "0.75 to 0.5, training accuracy ended at 75.0% (original: 87.5%)."
    )


def test_negated_diverged_at_once():
    s = TrainingSettings(optimizer="sgd")
    negated = _history(
        [-0.75, np.inf, np.nan],
        [0.75, np.inf, np.nan],
        [0.625, np.nan, np.nan],
        equal=[False, False, False],
        diff=[0.25, np.inf, np.nan],
        scale=-1.0,
        diverged_at=1,
    )
    kind, text = negated_verdict(s, _view(negated=negated))
    assert kind == "other"
    assert text == "**Negated:** the run diverged at once. The run stopped being finite at epoch 2."
