"""Validated settings of the explorer, from widgets or from a shared link.

Everything that enters from outside goes through :func:`validate`: a value that
is missing, unparsable, not finite, out of range or unknown falls back to its
default, and a message says so. Nothing is ever ``eval``'d: numbers go through
``float``/``int`` only.

>>> s, notes = validate({"problem": "Rosenbrock", "steps": "abc", "c": "-6.2832"})
>>> s.problem, s.lr, s.steps, s.shift
('rosenbrock', 0.002, 200, -6.2832)
>>> notes["steps"]
"steps='abc' is not a number; using 200."

A link is written back from settings, defaults left out (:func:`explorer_link`):

>>> explorer_link(s)
{'problem': 'Rosenbrock', 'c': '-6.2832'}
"""

from __future__ import annotations

import dataclasses
import math
import re
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
# The explorer's learning rate defaults to the chosen problem's own (Problem.lr): a link that names a
# problem and no rate gets that problem's rate, as choosing it in the menu does.
DEFAULT_LR_EXPLORER = PROBLEMS[DEFAULT_PROBLEM].lr
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
      lr: learning rate (one of ``LR_CHOICES``); by default the problem's own.
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
    lr: float = PROBLEMS[DEFAULT_PROBLEM].lr
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


# A number in a link: ASCII digits, an optional sign, point and exponent. float() alone would also
# take "١٢", "1_000", " 7 " or "0x1p3"-like spellings that Streamlit's own widgets read differently.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_SPECIAL = re.compile(r"[+-]?(?:nan|inf|infinity)", re.ASCII | re.IGNORECASE)


def _number(
    key: str,
    value: Any,
    default: float,
    lo: float,
    hi: float,
    notes: dict[str, str],
    *,
    integer: bool = False,
) -> float:
    raw = _first(value)
    if raw is None or raw == "":
        return default
    shown = str(raw)[:40]  # a pasted novel is not quoted back in full
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        notes[key] = f"{key}={shown!r} is not a number; using {default:g}."
        return default
    if isinstance(raw, str) and _SPECIAL.fullmatch(raw):
        notes[key] = f"{key}={shown!r} is not finite; using {default:g}."
        return default
    if isinstance(raw, str) and not _NUMBER.fullmatch(raw):
        notes[key] = f"{key}={shown!r} is not a number; using {default:g}."
        return default
    x = float(raw) + 0.0  # float() parses numbers only: never eval. (+ 0.0 turns -0 into 0)
    if math.isnan(x):
        notes[key] = f"{key}={shown!r} is not finite; using {default:g}."
        return default
    if not lo <= x <= hi:  # huge digit strings parse to ±inf: out of range too
        notes[key] = f"{key}={shown!r} is outside [{lo:g}, {hi:g}]; using {default:g}."
        return default
    if integer and x != int(x):
        notes[key] = f"{key}={shown!r} is not a whole number; using {default:g}."
        return default
    return x


def _choice(key: str, value: Any, default: str, labels: Mapping[str, str], notes: dict[str, str]) -> str:
    """Maps a label (what widgets show and links carry) to its registry name."""
    raw = _first(value)
    if raw is None or raw == "":
        return default
    if not isinstance(raw, str) or raw not in labels:
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


def grid_label(value: float) -> str:
    """How a log-grid slider shows a value, and how a link carries it: ``0.0001``, ``0.05``, ``10``."""
    return f"{value:g}"


def _on_log_grid(
    key: str, value: Any, default: float, choices: tuple[float, ...], notes: dict[str, str]
) -> float:
    """One of the slider's values: a link carries its label (``lr=0.05``), a widget the number."""
    raw = _first(value)
    if raw is None or raw == "":
        return default
    if isinstance(raw, str):
        by_label = {grid_label(c): c for c in choices}
        if raw in by_label:
            return by_label[raw]
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw) in choices:
        return float(raw)
    shown = str(raw)[:40]
    values = f"{grid_label(choices[0])}, {grid_label(choices[1])} … {grid_label(choices[-1])}"
    notes[key] = f"{key}={shown!r} is not one of the slider's values ({values}); using {default:g}."
    return default


def _not_used(key: str, why: str, notes: dict[str, str]) -> None:
    notes[key] = f"{key} is not a setting of {why}; ignored."


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
    for key in HYPER_KEYS:  # another optimizer's hyper-parameter: no control reads it
        if key not in {h.name for h in preset.hyper} and _first(raw.get(key)) not in (None, ""):
            _not_used(key, preset.label, notes)
    if p.temperature is None and _first(raw.get(TEMPERATURE)) not in (None, ""):
        _not_used(TEMPERATURE, p.title, notes)
    steps = int(_number(STEPS, raw.get(STEPS), DEFAULT_STEPS, *STEPS_RANGE, notes, integer=True))
    (lo1, hi1), (lo2, hi2) = p.bounds
    start = (
        _number(X0, raw.get(X0), p.start[0], lo1, hi1, notes),
        _number(Y0, raw.get(Y0), p.start[1], lo2, hi2, notes),
    )
    step = int(_number(PLAYBACK_STEP, raw.get(PLAYBACK_STEP), steps, 0, steps, notes, integer=True))
    settings = ExplorerSettings(
        problem=problem,
        optimizer=optimizer,
        lr=_on_log_grid(LR, raw.get(LR), p.lr, LR_CHOICES, notes),
        hyper=hyper,
        steps=steps,
        start=start,
        scale=_number(SCALE, raw.get(SCALE), 1.0, *SCALE_RANGE, notes),
        g=_choice(G, raw.get(G), "identity", map_labels(maps_for(p.lower_bound)), notes),
        shift=_number(SHIFT, raw.get(SHIFT), DEFAULT_SHIFT, *SHIFT_RANGE, notes),
        step=step,
        temperature=DEFAULT_TEMPERATURE
        if p.temperature is None
        else _on_log_grid(TEMPERATURE, raw.get(TEMPERATURE), DEFAULT_TEMPERATURE, TEMPERATURE_CHOICES, notes),
    )
    basins = _first(raw.get(BASINS))
    if basins not in (None, True, False) and str(basins).lower() not in ("true", "false"):
        notes[BASINS] = f"{BASINS}={str(basins)[:40]!r} is neither true nor false; the basin map stays off."
    return settings, notes


def _number_text(x: float) -> str:
    """The shortest text that reads back as exactly ``x`` (``0.1``, ``-6.2832``, ``3``)."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _written(pairs: list[tuple[str, Any, Any, str]]) -> dict[str, str]:
    """``(key, value, default, text)`` -> the query parameters of the values that are not defaults."""
    return {key: text for key, value, default, text in pairs if value != default}


def explorer_link(s: ExplorerSettings) -> dict[str, str]:
    """The query parameters of an explorer view: what its widgets write, defaults left out.

    The playback step is left to the page (it is not part of a shared view yet).
    """
    p, preset = PROBLEMS[s.problem], OPTIMIZERS[s.optimizer]
    pairs = [
        (PROBLEM, s.problem, DEFAULT_PROBLEM, p.title),
        (OPTIMIZER, s.optimizer, DEFAULT_OPTIMIZER, preset.label),
        (LR, s.lr, p.lr, grid_label(s.lr)),
        *[(h.name, v, h.default, _number_text(v)) for h, v in zip(preset.hyper, s.hyper, strict=True)],
        (STEPS, s.steps, DEFAULT_STEPS, str(s.steps)),
        (X0, s.start[0], p.start[0], _number_text(s.start[0])),
        (Y0, s.start[1], p.start[1], _number_text(s.start[1])),
        (SCALE, s.scale, 1.0, _number_text(s.scale)),
        (G, s.g, "identity", MONOTONE_MAPS[s.g].label),
        (SHIFT, s.shift, DEFAULT_SHIFT, _number_text(s.shift)),
    ]
    if p.temperature is not None:
        pairs.append((TEMPERATURE, s.temperature, DEFAULT_TEMPERATURE, grid_label(s.temperature)))
    return _written(pairs)


def unknown_keys(raw: Mapping[str, Any], known: tuple[str, ...] = KEYS) -> dict[str, str]:
    """A message per query parameter the explorer does not know."""
    return {k: f"Unknown parameter {str(k)[:40]!r} ignored." for k in raw if k not in known}


# --- the "Non-differentiable losses" page ----------------------------------------

# Every page has URL keys of its own: Streamlit binds a key to one page's widget, and on going back
# or forward between pages it drops from the URL the keys bound to another page's widgets.
ND_TEMPERATURE, LOGITS, ND_LR, ND_STEPS, ND_X0, ND_Y0, SURROGATE = (
    "temp",
    "z",
    "eta",
    "iters",
    "w1",
    "w2",
    "surrogate",
)
LOGITS_MAX_CHARS = 200
DEFAULT_LOGITS = "2, 1, 0.5"
# The surrogate drawn beside the 0-1 error, by label (what the selector shows and links carry).
SURROGATE_LABELS: dict[str, str] = {
    "sigmoid surrogate": "zero_one_soft",
    "logistic": "logistic",
    "hinge": "hinge",
}
NONDIFF_KEYS: tuple[str, ...] = (ND_TEMPERATURE, LOGITS, ND_LR, ND_STEPS, ND_X0, ND_Y0, SURROGATE)
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
        # the text box takes at most LOGITS_MAX_CHARS characters: a longer link cannot be its value
        parsed, error = (
            parse_logits(str(text))
            if len(str(text)) <= LOGITS_MAX_CHARS
            else (None, f"Longer than {LOGITS_MAX_CHARS} characters.")
        )
        if parsed is None:
            notes[LOGITS] = f"{LOGITS}: {error} Using {DEFAULT_LOGITS}."
        else:
            logits = tuple(parsed)
    (lo1, hi1), (lo2, hi2) = PROBLEMS["zero_one"].bounds
    default_start = PROBLEMS["zero_one"].start
    settings = NondiffSettings(
        temperature=_on_log_grid(
            ND_TEMPERATURE, raw.get(ND_TEMPERATURE), DEFAULT_TEMPERATURE, TEMPERATURE_CHOICES, notes
        ),
        logits=logits,
        lr=_on_log_grid(ND_LR, raw.get(ND_LR), DEFAULT_LR_NONDIFF, LR_CHOICES, notes),
        steps=int(_number(ND_STEPS, raw.get(ND_STEPS), DEFAULT_STEPS, *STEPS_RANGE, notes, integer=True)),
        start=(
            _number(ND_X0, raw.get(ND_X0), default_start[0], lo1, hi1, notes),
            _number(ND_Y0, raw.get(ND_Y0), default_start[1], lo2, hi2, notes),
        ),
        surrogate=_choice(SURROGATE, raw.get(SURROGATE), "zero_one_soft", SURROGATE_LABELS, notes),
    )
    return settings, notes


def nondiff_link(s: NondiffSettings) -> dict[str, str]:
    """The query parameters of a non-differentiable-page view, defaults left out."""
    start = PROBLEMS["zero_one"].start
    return _written(
        [
            (ND_TEMPERATURE, s.temperature, DEFAULT_TEMPERATURE, grid_label(s.temperature)),
            (LOGITS, s.logits, NondiffSettings.logits, ", ".join(_number_text(z) for z in s.logits)),
            (SURROGATE, s.surrogate, "zero_one_soft", label_for(SURROGATE_LABELS, s.surrogate)),
            (ND_X0, s.start[0], start[0], _number_text(s.start[0])),
            (ND_Y0, s.start[1], start[1], _number_text(s.start[1])),
            (ND_LR, s.lr, DEFAULT_LR_NONDIFF, grid_label(s.lr)),
            (ND_STEPS, s.steps, DEFAULT_STEPS, str(s.steps)),
        ]
    )


def label_for(labels: Mapping[str, Any], name: Any) -> str:
    """The label that maps to ``name``."""
    return next(label for label, n in labels.items() if n == name)


# --- the "Train a network" page --------------------------------------------------

DATA, NOISE, WIDTH, EPOCHS, BATCH, SEED = "data", "noise", "width", "epochs", "batch", "seed"
TR_OPTIMIZER, TR_LR, TR_SHIFT = "optimizer", "rate", "shift"  # keys of its own (see NONDIFF_KEYS)
TRAINING_KEYS: tuple[str, ...] = (DATA, NOISE, WIDTH, TR_OPTIMIZER, TR_LR, EPOCHS, BATCH, TR_SHIFT, SEED)
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
    notes: dict[str, str] = {}
    labels = _dataset_labels()
    noise_raw = _first(raw.get(NOISE))
    noise = None
    if noise_raw not in (None, ""):
        noise = _number(NOISE, noise_raw, math.nan, *NOISE_RANGE, notes)
        noise = None if math.isnan(noise) else noise
        if NOISE in notes:
            notes[NOISE] = notes[NOISE].replace("using nan", "using the data set's default")
    settings = TrainingSettings(
        dataset=_choice(DATA, raw.get(DATA), TrainingSettings.dataset, labels, notes),
        noise=noise,
        width=int(_number(WIDTH, raw.get(WIDTH), DEFAULT_WIDTH, *WIDTH_RANGE, notes, integer=True)),
        optimizer=_choice(TR_OPTIMIZER, raw.get(TR_OPTIMIZER), DEFAULT_OPTIMIZER, OPTIMIZER_LABELS, notes),
        lr=_on_log_grid(TR_LR, raw.get(TR_LR), DEFAULT_LR_TRAINING, LR_CHOICES, notes),
        epochs=int(_number(EPOCHS, raw.get(EPOCHS), DEFAULT_EPOCHS, *EPOCHS_RANGE, notes, integer=True)),
        batch_size=BATCH_LABELS[
            _choice(BATCH, raw.get(BATCH), DEFAULT_BATCH, {k: k for k in BATCH_LABELS}, notes)
        ],
        shift=_number(TR_SHIFT, raw.get(TR_SHIFT), TRAINING_DEFAULT_SHIFT, *TRAINING_SHIFT_RANGE, notes),
        seed=int(_number(SEED, raw.get(SEED), 0, *SEED_RANGE, notes, integer=True)),
    )
    return settings, notes


def training_link(s: TrainingSettings) -> dict[str, str]:
    """The query parameters of a training-page view, defaults left out."""
    d = TrainingSettings()
    return _written(
        [
            (DATA, s.dataset, d.dataset, DATASETS[s.dataset].title),
            (NOISE, s.noise, None, "" if s.noise is None else _number_text(s.noise)),
            (WIDTH, s.width, d.width, str(s.width)),
            (TR_OPTIMIZER, s.optimizer, d.optimizer, OPTIMIZERS[s.optimizer].label),
            (TR_LR, s.lr, d.lr, grid_label(s.lr)),
            (EPOCHS, s.epochs, d.epochs, str(s.epochs)),
            (BATCH, s.batch_size, d.batch_size, label_for(BATCH_LABELS, s.batch_size)),
            (TR_SHIFT, s.shift, d.shift, _number_text(s.shift)),
            (SEED, s.seed, d.seed, str(s.seed)),
        ]
    )


# Every URL key of the app (no two pages share one: see NONDIFF_KEYS).
ALL_KEYS: tuple[str, ...] = (*KEYS, *NONDIFF_KEYS, *TRAINING_KEYS)
