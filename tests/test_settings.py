"""Validation of everything that enters the explorer from a URL or a widget."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lossviz.optimizers import OPTIMIZERS
from lossviz.problems import PROBLEMS
from lossviz.ui import settings
from lossviz.ui.settings import ExplorerSettings, validate


def test_defaults_without_input():
    s, notes = validate({})
    assert s == ExplorerSettings()
    assert notes == {}


def test_a_shared_link_is_read_back_exactly():
    raw = {
        "problem": "Rosenbrock",
        "opt": "Adam",
        "lr": "0.02",
        "steps": "300",
        "x0": "-1.2",
        "y0": "2.5",
        "a": "-1",
        "g": "log(1 + L)",
        "c": "-6.2832",
        "step": "17",
        "b1": "0.8",
        "b2": "0.99",
    }
    s, notes = validate(raw)
    assert notes == {}
    assert s == ExplorerSettings(
        problem="rosenbrock",
        optimizer="adam",
        lr=0.02,
        hyper=(0.8, 0.99),
        steps=300,
        start=(-1.2, 2.5),
        scale=-1.0,
        g="log1p",
        shift=-6.2832,
        step=17,
    )


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("lr", "abc", "slider's values"),
        ("lr", "nan", "slider's values"),
        ("lr", "1e999", "slider's values"),
        ("lr", "100", "slider's values"),
        ("lr", "-0.1", "slider's values"),
        ("c", "inf", "not finite"),
        ("c", "1e6", "outside"),
        ("a", "__import__('os').system('echo pwned')", "not a number"),
        ("steps", "0", "outside"),
        ("steps", "1e9", "outside"),
        ("x0", "99", "outside"),
        ("y0", "-inf", "not finite"),
        ("problem", "<script>alert(1)</script>", "not one of"),
        ("opt", "../../etc/passwd", "not one of"),
        ("g", "exp", "not one of"),
        ("problem", "rosenbrock", "not one of"),  # links carry labels, as the widgets do
        ("step", "-1", "outside"),
        ("lr", "0.013", "slider's values"),  # off the grid: the slider cannot show it
        ("lr", "1e-4", "slider's values"),  # the slider's label is 0.0001
        ("steps", "15.5", "whole number"),
        ("steps", "1" + "0" * 400, "outside"),
        ("c", "1e308", "outside"),
        ("x0", "٣", "not a number"),  # float() would read Arabic-Indic digits
        ("c", "1_000", "not a number"),
        ("a", " 2", "not a number"),
        ("a", "-Infinity", "not finite"),
        ("opt", "", None),
        ("b2", "0.5", "not a setting of SGD"),  # another optimizer's hyper-parameter
        ("T", "0.1", "not a setting of Linear regression"),  # no surrogate here
    ],
)
def test_bad_values_fall_back_with_a_message(key, value, fragment):
    s, notes = validate({key: value})
    if fragment is None:  # empty means the default, silently
        assert notes == {}
    else:
        assert fragment in notes[key]
    assert s == ExplorerSettings()


def test_negative_zero_is_zero():
    s, notes = validate({"c": "-0", "a": "-0.0"})
    assert notes == {} and s.shift == 0.0 and math.copysign(1.0, s.shift) == 1.0
    assert math.copysign(1.0, s.scale) == 1.0


def test_problem_dependent_checks():
    # sqrt is not defined for a loss that is unbounded below.
    s, notes = validate({"problem": "Saddle", "g": "√L"})
    assert s.g == "identity" and "g" in notes
    # the start must lie inside the problem's window, checked with that problem's bounds.
    s, notes = validate({"problem": "Rosenbrock", "x0": "4.0"})
    assert s.start == PROBLEMS["rosenbrock"].start and "x0" in notes
    # the playback step cannot pass the number of steps.
    s, notes = validate({"steps": "50", "step": "60"})
    assert s.step == 50 and "step" in notes


def test_hyper_parameters_follow_the_chosen_optimizer():
    s, notes = validate({"opt": "Momentum", "momentum": "0.5"})
    assert s.hyper == (0.5,) and notes == {}
    s, notes = validate({"opt": "Momentum", "momentum": "1.5"})
    assert s.hyper == (OPTIMIZERS["momentum"].hyper[0].default,) and "momentum" in notes


def test_repeated_parameters_take_the_first():
    s, _ = validate({"lr": ["0.1", "0.2"]})
    assert s.lr == 0.1


def test_unknown_keys_are_reported():
    assert set(settings.unknown_keys({"lr": "0.1", "evil": "1", "x" * 500: "2"})) == {"evil", "x" * 500}


@given(st.sampled_from(settings.LR_CHOICES))
def test_lr_takes_exactly_the_sliders_values(lr):
    # what a link carries (the slider's label) and what the widget returns (the number)
    for value in (settings.grid_label(lr), lr):
        s, notes = validate({"lr": value})
        assert notes == {} and s.lr == lr


def test_a_problem_brings_its_own_learning_rate():
    s, notes = validate({"problem": "Rosenbrock"})
    assert notes == {} and s.lr == PROBLEMS["rosenbrock"].lr != settings.DEFAULT_LR_EXPLORER
    s, _ = validate({"problem": "Rosenbrock", "lr": "0.05"})
    assert s.lr == 0.05
    assert settings.explorer_link(s) == {"problem": "Rosenbrock", "lr": "0.05"}


@given(st.dictionaries(st.sampled_from(settings.KEYS + ("junk",)), st.text(max_size=30), max_size=8))
def test_any_text_gives_valid_settings(raw):
    s, notes = validate(raw)
    assert s.problem in PROBLEMS and s.optimizer in OPTIMIZERS
    assert s.lr in settings.LR_CHOICES
    assert len(s.hyper) == len(OPTIMIZERS[s.optimizer].hyper)
    (lo1, hi1), (lo2, hi2) = PROBLEMS[s.problem].bounds
    assert lo1 <= s.start[0] <= hi1 and lo2 <= s.start[1] <= hi2
    assert 0 <= s.step <= s.steps
    assert all(math.isfinite(x) for x in (s.lr, s.scale, s.shift, *s.hyper, *s.start))


def test_temperature_takes_its_grid_and_rejects_garbage():
    surrogate = "0-1 error, sigmoid surrogate"
    s, notes = validate({"problem": surrogate, "T": "0.1"})
    assert s.temperature == 0.1 and notes == {}
    for bad in ("0.11", "0", "abc"):
        s, notes = validate({"problem": surrogate, "T": bad})
        assert s.temperature == settings.DEFAULT_TEMPERATURE and "slider's values" in notes["T"]


def test_nondiff_settings_read_a_link_and_reject_garbage():
    s, notes = settings.validate_nondiff(
        {
            "temp": "0.1",
            "z": "3, -1, 0",
            "eta": "1",
            "iters": "100",
            "w1": "1",
            "w2": "-2",
            "surrogate": "hinge",
        }
    )
    assert notes == {}
    assert s == settings.NondiffSettings(
        temperature=0.1, logits=(3.0, -1.0, 0.0), lr=1.0, steps=100, start=(1.0, -2.0), surrogate="hinge"
    )
    s, notes = settings.validate_nondiff(
        {"z": "__import__('os')", "surrogate": "step", "w1": "inf", "iters": "1e2x"}
    )
    assert s == settings.NondiffSettings()
    assert set(notes) == {"z", "surrogate", "w1", "iters"}
    s, notes = settings.validate_nondiff({"z": "1, 2" + " " * 300})  # longer than the text box takes
    assert s == settings.NondiffSettings() and "Longer than 200" in notes["z"]


def test_long_values_are_not_quoted_in_full():
    _, notes = validate({"lr": "9" * 5000})
    assert len(notes["lr"]) < 120
