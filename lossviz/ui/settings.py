"""Validated settings of the explorer, from widgets or from a shared link.

Everything that enters from outside goes through :func:`validate`: a value that
is missing, unparsable, not finite, out of range or unknown falls back to its
default, and a message says so. Nothing is ever ``eval``'d: numbers go through
``float``/``int`` only.

>>> s, notes = validate({"problem": "Rosenbrock", "lr": "abc", "c": "-6.2832"})
>>> s.problem, s.lr, s.shift
('rosenbrock', 0.05, -6.2832)
>>> notes["lr"]
"lr='abc' is not a number; using 0.05."
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from lossviz.datasets import DATASETS
from lossviz.nondifferentiable import parse_logits
from lossviz.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS
from lossviz.problems import DEFAULT_PROBLEM, PROBLEMS
from lossviz.transforms import MONOTONE_MAPS, maps_for

# A log-scale grid (1-2-5 per decade) for the learning rate slider.
LR_CHOICES: tuple[float, ...] = tuple(
    float(f"{m}e{e}") for e in range(-4, 1) for m in (1, 1.5, 2, 3, 4, 5, 7)
) + (10.0,)
"""The learning rates offered (36, log-spaced): the explorer precomputes a run at each."""
DEFAULT_LR_EXPLORER = 0.05
# Temperatures of the smooth surrogates (same log grid, 0.01 ... 5).
TEMPERATURE_CHOICES: tuple[float, ...] = tuple(float(f"{m}e{e}") for e in range(-2, 1) for m in (1, 2, 5))
DEFAULT_TEMPERATURE = 0.5
STEPS_RANGE = (10, 1000)
DEFAULT_STEPS = 200
# The landing view is the forum's own example, L − 2π: the first screen is the answer.
DEFAULT_SHIFT = -2 * math.pi
SCALE_RANGE = (-10.0, 10.0)
SHIFT_RANGE = (-1000.0, 1000.0)

# URL parameter names: the page binds each widget to one of these keys.
PROBLEM, OPTIMIZER, LR, STEPS, X0, Y0, SCALE, G, SHIFT, PLAYBACK_STEP, TEMPERATURE = (
    "problem",
    "opt",
    "lr",
    "steps",
    "x0",
    "y0",
    "a",
    "g",
    "c",
    "step",
    "T",
)
BASINS = "basins"  # the explorer's basin-map toggle (a view option: not part of the settings)
HYPER_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(h.name for preset in OPTIMIZERS.values() for h in preset.hyper)
)
KEYS: tuple[str, ...] = (
    PROBLEM,
    OPTIMIZER,
    LR,
    STEPS,
    X0,
    Y0,
    SCALE,
    G,
    SHIFT,
    PLAYBACK_STEP,
    TEMPERATURE,
    BASINS,
    *HYPER_KEYS,
)


@dataclasses.dataclass(frozen=True)
class ExplorerSettings:
    """What the explorer computes and draws.

    Attributes:
      problem, optimizer, g: registry names.
      lr: learning rate (one of ``LR_CHOICES``).
      hyper: the optimizer's extra hyper-parameters, in its preset's order.
      steps: number of updates.
      start: start point, inside the problem's bounds.
      scale, shift: ``a`` and ``c`` of ``L' = a g(L) + c``.
      step: the playback step, ``0 <= step <= steps``.
      temperature: of the problem's smooth surrogate (used only by problems
        that have one, e.g. ``zero_one_soft``).
    """

    problem: str = DEFAULT_PROBLEM
    optimizer: str = DEFAULT_OPTIMIZER
    lr: float = DEFAULT_LR_EXPLORER
    hyper: tuple[float, ...] = OPTIMIZERS[DEFAULT_OPTIMIZER].defaults()
    steps: int = DEFAULT_STEPS
    start: tuple[float, float] = PROBLEMS[DEFAULT_PROBLEM].start
    scale: float = 1.0
    g: str = "identity"
    shift: float = DEFAULT_SHIFT
    step: int = DEFAULT_STEPS
    temperature: float = DEFAULT_TEMPERATURE


def _first(value: Any) -> Any:
    # Query parameters may repeat (?a=1&a=2): the first one counts.
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _number(key: str, value: Any, default: float, lo: float, hi: float, notes: dict[str, str]) -> float:
    raw = _first(value)
    if raw is None or raw == "":
        return default
    shown = str(raw)[:40]  # a pasted novel is not quoted back in full
    try:
        x = float(raw)  # float() parses numbers only: never eval.
    except (TypeError, ValueError, OverflowError):
        notes[key] = f"{key}={shown!r} is not a number; using {default:g}."
        return default
    if not math.isfinite(x):
        notes[key] = f"{key}={shown!r} is not finite; using {default:g}."
        return default
    if not lo <= x <= hi:
        notes[key] = f"{key}={shown!r} is outside [{lo:g}, {hi:g}]; using {default:g}."
        return default
    return x


def _choice(key: str, value: Any, default: str, labels: Mapping[str, str], notes: dict[str, str]) -> str:
    """Maps a label (what widgets show and links carry) to its registry name."""
    raw = _first(value)
    if raw is None or raw == "":
        return default
    if raw not in labels:
        shown = str(raw)[:40]
        default_label = next(label for label, name in labels.items() if name == default)
        notes[key] = f"{key}={shown!r} is not one of {', '.join(labels)}; using {default_label}."
        return default
    return labels[raw]


# Widgets show (and links carry) these labels; the engine uses registry names.
PROBLEM_LABELS: dict[str, str] = {p.title: name for name, p in PROBLEMS.items()}
OPTIMIZER_LABELS: dict[str, str] = {p.label: name for name, p in OPTIMIZERS.items()}


def map_labels(names: list[str]) -> dict[str, str]:
    """Labels of the given monotone maps, keyed by label."""
    return {MONOTONE_MAPS[n].label: n for n in names}


def label_of(key: str, name: str) -> str:
    """The widget label of a registry name for the choice parameter ``key``."""
    if key == PROBLEM:
        return PROBLEMS[name].title
    if key == OPTIMIZER:
        return OPTIMIZERS[name].label
    return MONOTONE_MAPS[name].label


def _on_log_grid(
    key: str, value: Any, default: float, choices: tuple[float, ...], notes: dict[str, str]
) -> float:
    x = _number(key, value, default, choices[0], choices[-1], notes)
    # Snap to the slider's grid (the nearest choice in log space).
    return min(choices, key=lambda c: abs(math.log(c) - math.log(x)))


def validate(raw: Mapping[str, Any]) -> tuple[ExplorerSettings, dict[str, str]]:
    """Parses and checks raw settings (strings from a URL or widget values).

    Choices (problem, optimizer, g) come as their labels, e.g. ``"Rosenbrock"``,
    ``"Adam"``, ``"log(1 + L)"``: what the widgets show and a link carries.

    Returns:
      The settings, every invalid entry replaced by its default, and a message
      per rejected key. Unknown keys are not an error here (see
      :func:`unknown_keys`).
    """
    notes: dict[str, str] = {}
    problem = _choice(PROBLEM, raw.get(PROBLEM), DEFAULT_PROBLEM, PROBLEM_LABELS, notes)
    optimizer = _choice(OPTIMIZER, raw.get(OPTIMIZER), DEFAULT_OPTIMIZER, OPTIMIZER_LABELS, notes)
    p, preset = PROBLEMS[problem], OPTIMIZERS[optimizer]
    hyper = tuple(_number(h.name, raw.get(h.name), h.default, h.min, h.max, notes) for h in preset.hyper)
    steps = int(_number(STEPS, raw.get(STEPS), DEFAULT_STEPS, *STEPS_RANGE, notes))
    (lo1, hi1), (lo2, hi2) = p.bounds
    start = (
        _number(X0, raw.get(X0), p.start[0], lo1, hi1, notes),
        _number(Y0, raw.get(Y0), p.start[1], lo2, hi2, notes),
    )
    step = int(_number(PLAYBACK_STEP, raw.get(PLAYBACK_STEP), steps, 0, steps, notes))
    settings = ExplorerSettings(
        problem=problem,
        optimizer=optimizer,
        lr=_on_log_grid(LR, raw.get(LR), DEFAULT_LR_EXPLORER, LR_CHOICES, notes),
        hyper=hyper,
        steps=steps,
        start=start,
        scale=_number(SCALE, raw.get(SCALE), 1.0, *SCALE_RANGE, notes),
        g=_choice(G, raw.get(G), "identity", map_labels(maps_for(p.lower_bound)), notes),
        shift=_number(SHIFT, raw.get(SHIFT), DEFAULT_SHIFT, *SHIFT_RANGE, notes),
        step=step,
        temperature=_on_log_grid(
            TEMPERATURE, raw.get(TEMPERATURE), DEFAULT_TEMPERATURE, TEMPERATURE_CHOICES, notes
        ),
    )
    return settings, notes


def unknown_keys(raw: Mapping[str, Any], known: tuple[str, ...] = KEYS) -> dict[str, str]:
    """A message per query parameter the explorer does not know."""
    return {k: f"Unknown parameter {str(k)[:40]!r} ignored." for k in raw if k not in known}


# --- the "Non-differentiable losses" page ----------------------------------------

LOGITS, SURROGATE = "z", "surrogate"
DEFAULT_LOGITS = "2, 1, 0.5"
# The surrogate drawn beside the 0-1 error, by label (what the selector shows and links carry).
SURROGATE_LABELS: dict[str, str] = {
    "sigmoid surrogate": "zero_one_soft",
    "logistic": "logistic",
    "hinge": "hinge",
}
NONDIFF_KEYS: tuple[str, ...] = (TEMPERATURE, LOGITS, LR, STEPS, X0, Y0, SURROGATE)
DEFAULT_LR_NONDIFF = 0.5


@dataclasses.dataclass(frozen=True)
class NondiffSettings:
    """What the non-differentiable-losses page computes and draws."""

    temperature: float = DEFAULT_TEMPERATURE
    logits: tuple[float, ...] = (2.0, 1.0, 0.5)
    lr: float = DEFAULT_LR_NONDIFF
    steps: int = DEFAULT_STEPS
    start: tuple[float, float] = PROBLEMS["zero_one"].start
    surrogate: str = "zero_one_soft"


def validate_nondiff(raw: Mapping[str, Any]) -> tuple[NondiffSettings, dict[str, str]]:
    """Like :func:`validate`, for the non-differentiable-losses page."""
    notes: dict[str, str] = {}
    text = _first(raw.get(LOGITS))
    logits = NondiffSettings.logits
    if text not in (None, ""):
        parsed, error = parse_logits(str(text)[:200])
        if parsed is None:
            notes[LOGITS] = f"{LOGITS}: {error} Using {DEFAULT_LOGITS}."
        else:
            logits = tuple(parsed)
    (lo1, hi1), (lo2, hi2) = PROBLEMS["zero_one"].bounds
    default_start = PROBLEMS["zero_one"].start
    settings = NondiffSettings(
        temperature=_on_log_grid(
            TEMPERATURE, raw.get(TEMPERATURE), DEFAULT_TEMPERATURE, TEMPERATURE_CHOICES, notes
        ),
        logits=logits,
        lr=_on_log_grid(LR, raw.get(LR), DEFAULT_LR_NONDIFF, LR_CHOICES, notes),
        steps=int(_number(STEPS, raw.get(STEPS), DEFAULT_STEPS, *STEPS_RANGE, notes)),
        start=(
            _number(X0, raw.get(X0), default_start[0], lo1, hi1, notes),
            _number(Y0, raw.get(Y0), default_start[1], lo2, hi2, notes),
        ),
        surrogate=_choice(SURROGATE, raw.get(SURROGATE), "zero_one_soft", SURROGATE_LABELS, notes),
    )
    return settings, notes


# --- the "Train a network" page --------------------------------------------------

DATA, NOISE, WIDTH, EPOCHS, BATCH, SEED = "data", "noise", "width", "epochs", "batch", "seed"
TRAINING_KEYS: tuple[str, ...] = (DATA, NOISE, WIDTH, OPTIMIZER, LR, EPOCHS, BATCH, SHIFT, SEED)
NOISE_RANGE = (0.0, 1.0)
WIDTH_RANGE = (2, 64)
DEFAULT_WIDTH = 16
EPOCHS_RANGE = (10, 500)
DEFAULT_EPOCHS = 200
SEED_RANGE = (0, 9999)
# SGD's rate on the network (training.TRAINING_LR["sgd"]): a fixed default, whatever the optimizer.
DEFAULT_LR_TRAINING = 0.1
TRAINING_DEFAULT_SHIFT = -2 * math.pi
TRAINING_SHIFT_RANGE = SHIFT_RANGE
# Minibatch sizes by label ("full": one batch of the whole training set, i.e. plain gradient descent).
BATCH_LABELS: dict[str, int] = {"full": 0, "16": 16, "32": 32, "64": 64, "128": 128}
DEFAULT_BATCH = "32"


def _dataset_labels() -> dict[str, str]:
    return {spec.title: name for name, spec in DATASETS.items()}


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """What the "Train a network" page trains and draws.

    Attributes:
      dataset: a key of :data:`lossviz.datasets.DATASETS`.
      noise: noise of a synthetic set, or ``None`` for the set's default.
      width: units in each of the two hidden layers.
      optimizer: a key of :data:`lossviz.optimizers.OPTIMIZERS`.
      lr: learning rate (one of ``LR_CHOICES``).
      epochs: passes over the training set.
      batch_size: minibatch size; 0 means the full batch.
      shift: the constant ``c`` of the shifted run ``L + c``.
      seed: seeds the data, the initial weights and the minibatch order.
    """

    dataset: str = "moons"
    noise: float | None = None
    width: int = DEFAULT_WIDTH
    optimizer: str = DEFAULT_OPTIMIZER
    lr: float = DEFAULT_LR_TRAINING
    epochs: int = DEFAULT_EPOCHS
    batch_size: int = BATCH_LABELS[DEFAULT_BATCH]
    shift: float = TRAINING_DEFAULT_SHIFT
    seed: int = 0


def validate_training(raw: Mapping[str, Any]) -> tuple[TrainingSettings, dict[str, str]]:
    """Like :func:`validate`, for the "Train a network" page.

    The data set, optimizer and batch size come as their labels (``"Two moons"``,
    ``"Adam"``, ``"full"``); an empty noise means the data set's own default.

    >>> s, notes = validate_training({"data": "Circles", "batch": "full", "width": "300"})
    >>> s.dataset, s.batch_size, s.width
    ('circles', 0, 16)
    >>> notes["width"]
    "width='300' is outside [2, 64]; using 16."
    """
    # a notice quotes the value: cut hostile long strings first (no valid value is this long)
    raw = {k: str(_first(v))[:60] if _first(v) is not None else None for k, v in raw.items()}
    notes: dict[str, str] = {}
    labels = _dataset_labels()
    noise_raw = _first(raw.get(NOISE))
    noise = None
    if noise_raw not in (None, ""):
        noise = _number(NOISE, noise_raw, math.nan, *NOISE_RANGE, notes)
        noise = None if math.isnan(noise) else noise
        if NOISE in notes:
            notes[NOISE] = notes[NOISE].replace("using nan", "using the data set's default")
    batch_label = _first(raw.get(BATCH))
    batch_label = None if batch_label is None else str(batch_label)
    settings = TrainingSettings(
        dataset=_choice(DATA, raw.get(DATA), TrainingSettings.dataset, labels, notes),
        noise=noise,
        width=round(_number(WIDTH, raw.get(WIDTH), DEFAULT_WIDTH, *WIDTH_RANGE, notes)),
        optimizer=_choice(OPTIMIZER, raw.get(OPTIMIZER), DEFAULT_OPTIMIZER, OPTIMIZER_LABELS, notes),
        lr=_on_log_grid(LR, raw.get(LR), DEFAULT_LR_TRAINING, LR_CHOICES, notes),
        epochs=round(_number(EPOCHS, raw.get(EPOCHS), DEFAULT_EPOCHS, *EPOCHS_RANGE, notes)),
        batch_size=BATCH_LABELS[
            _choice(BATCH, batch_label, DEFAULT_BATCH, {k: k for k in BATCH_LABELS}, notes)
        ],
        shift=_number(SHIFT, raw.get(SHIFT), TRAINING_DEFAULT_SHIFT, *TRAINING_SHIFT_RANGE, notes),
        seed=round(_number(SEED, raw.get(SEED), 0, *SEED_RANGE, notes)),
    )
    return settings, notes
