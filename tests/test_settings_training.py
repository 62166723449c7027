"""Settings of the "Train a network" page: every bad value falls back to its default, with a note."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossviz.datasets import DATASETS
from lossviz.optimizers import OPTIMIZERS
from lossviz.ui import settings
from lossviz.ui.settings import TrainingSettings, validate_training


def test_defaults():
    s, notes = validate_training({})
    assert s == TrainingSettings()
    assert notes == {}
    assert (s.dataset, s.optimizer, s.width, s.epochs, s.batch_size, s.seed) == (
        "moons",
        "sgd",
        16,
        200,
        32,
        0,
    )
    assert s.shift == -2 * math.pi
    assert s.noise is None
    assert s.lr in settings.LR_CHOICES


def test_a_link_is_read_by_labels():
    raw = {
        "data": "Spiral (3 classes)",
        "noise": "0.2",
        "width": "32",
        "optimizer": "Adam",
        "rate": "0.01",
        "epochs": "100",
        "batch": "full",
        "shift": "-100",
        "seed": "7",
    }
    s, notes = validate_training(raw)
    assert notes == {}
    assert s == TrainingSettings("spiral", 0.2, 32, "adam", 0.01, 100, 0, -100.0, 7)


@pytest.mark.parametrize("title", [spec.title for spec in DATASETS.values()])
def test_every_data_set_by_title(title):
    s, notes = validate_training({"data": title})
    assert not notes and DATASETS[s.dataset].title == title


@pytest.mark.parametrize("label", [p.label for p in OPTIMIZERS.values()])
def test_every_optimizer_by_label(label):
    s, notes = validate_training({"optimizer": label})
    assert not notes and OPTIMIZERS[s.optimizer].label == label


@pytest.mark.parametrize(
    ("key", "value", "field", "message"),
    [
        ("data", "moons", "dataset", "is not one of"),  # a registry name is not a label
        ("noise", "nan", "noise", "not finite"),
        ("noise", "2", "noise", "outside"),
        ("noise", "-0.1", "noise", "outside"),
        ("width", "1", "width", "outside"),
        ("width", "abc", "width", "not a number"),
        ("optimizer", "<script>", "optimizer", "is not one of"),
        ("rate", "0", "lr", "slider's values"),
        ("rate", "1e999", "lr", "slider's values"),
        ("epochs", "100000", "epochs", "outside"),
        ("batch", "7", "batch_size", "is not one of"),
        ("shift", "inf", "shift", "not finite"),
        ("shift", "1e6", "shift", "outside"),
        ("seed", "-1", "seed", "outside"),
        ("seed", "x" * 5000, "seed", "not a number"),
        ("seed", "inf", "seed", "not finite"),  # crashed Streamlit's integer input (issue 11)
        ("seed", "1" + "0" * 400, "seed", "outside"),
        ("seed", "1.5", "seed", "whole number"),
        ("seed", "١٢", "seed", "not a number"),
        ("noise", "1e308", "noise", "outside"),
        ("width", "8.5", "width", "whole number"),
    ],
)
def test_bad_values_fall_back_with_a_note(key, value, field, message):
    s, notes = validate_training({key: value})
    assert getattr(s, field) == getattr(TrainingSettings(), field)
    assert message in notes[key]
    assert len(notes[key]) < 300


def test_repeated_parameters_take_the_first():
    s, notes = validate_training({"width": ["8", "32"], "batch": ["64", "x"]})
    assert (s.width, s.batch_size) == (8, 64) and not notes


def test_learning_rate_takes_only_the_grid():
    s, notes = validate_training({"rate": "0.013"})
    assert s.lr == settings.DEFAULT_LR_TRAINING and "slider's values" in notes["rate"]
    s, notes = validate_training({"rate": "0.01"})
    assert s.lr == 0.01 and not notes


def test_negative_zero_noise_is_zero():
    # numpy refuses a scale of -0.0: the page crashed on noise=-0 (issue 11)
    s, notes = validate_training({"noise": "-0"})
    assert not notes and s.noise == 0.0 and math.copysign(1.0, s.noise) == 1.0


def test_unknown_keys_are_named():
    notes = settings.unknown_keys({"bogus": "1", "data": "Circles"}, settings.TRAINING_KEYS)
    assert list(notes) == ["bogus"]


@given(
    st.dictionaries(
        st.sampled_from(settings.TRAINING_KEYS), st.text(max_size=30) | st.lists(st.text(), max_size=2)
    )
)
def test_anything_validates_to_usable_settings(raw):
    s, notes = validate_training(raw)
    assert s.dataset in DATASETS and s.optimizer in OPTIMIZERS
    assert settings.WIDTH_RANGE[0] <= s.width <= settings.WIDTH_RANGE[1]
    assert settings.EPOCHS_RANGE[0] <= s.epochs <= settings.EPOCHS_RANGE[1]
    assert s.batch_size in settings.BATCH_LABELS.values()
    assert s.noise is None or 0.0 <= s.noise <= 1.0
    assert math.isfinite(s.shift) and s.lr in settings.LR_CHOICES
    assert settings.SEED_RANGE[0] <= s.seed <= settings.SEED_RANGE[1]
    assert all(isinstance(m, str) for m in notes.values())
