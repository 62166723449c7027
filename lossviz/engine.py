"""The app's few compiled programs: every problem, optimizer, map and length is data.

A visitor's choice must not create a new XLA program: each costs seconds of both
CPUs and megabytes that stay. So the explorer and the non-differentiable page run
on two programs, compiled once per process (and warm from JAX's persistent cache
after a restart):

- :func:`run_lanes`: up to :data:`LANES` optimizer runs ("lanes"), each with its
  own problem, optimizer preset, monotone map ``g``, scale, shift,
  hyper-parameters and length (at most :data:`MAX_STEPS`), all traced. The
  problem, the optimizer and ``g`` are selected by ``lax.switch`` on an index;
  each lane keeps the states of every preset and updates the selected one; a
  ``while_loop`` stops at the lane's length. Lanes run one after another
  (``lax.map``) through the *same* compiled body, so two lanes whose gradients
  agree give the same path bit for bit: the shift verdict compares runs of one
  program. Unused lanes have length 0 and cost nothing.
- :func:`surfaces`: a problem's landscape and gradient field, and its transform's,
  on fixed grids over its bounds (all traced).

>>> run = run_lanes([Lane("quadratic", "sgd", lr=0.1, steps=3)])[0]
>>> run.params.shape, run.diverged_at
((4, 2), None)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lossviz.landscapes import GradientField, Landscape, Views, grid_axes, on_grid
from lossviz.optimizers import MAX_HYPER, OPTIMIZERS, PRESET_NAMES, selected
from lossviz.problems import PROBLEMS
from lossviz.programs import Programs
from lossviz.trajectories import Run, f32, first_nonfinite
from lossviz.transforms import MONOTONE_MAPS

PROBLEM_NAMES: tuple[str, ...] = tuple(PROBLEMS)
MAP_NAMES: tuple[str, ...] = tuple(MONOTONE_MAPS)
MAX_STEPS = 1000
"""The longest run; a lane of ``steps`` updates stops there (its buffers have ``MAX_STEPS + 1`` rows)."""
LANES = 2 * len(OPTIMIZERS)
"""Lanes per call: the all-optimizers table needs 2 per preset (on L and on L')."""
RESOLUTION = 200
FIELD_RESOLUTION = 25
HOVER_RESOLUTION = 41
"""The click grid of a landscape panel: L and L' at its points are the hover readout."""


@dataclasses.dataclass(frozen=True)
class Lane:
    """One run: ``optimizer`` on ``scale * g(L) + shift`` of ``problem`` from ``start``.

    ``hyper`` empty means the preset's defaults; ``start`` ``None`` the problem's;
    ``temperature`` ``None`` the problem's own (problems without one ignore it).
    """

    problem: str
    optimizer: str
    lr: float
    steps: int = 100
    hyper: tuple[float, ...] = ()
    start: tuple[float, float] | None = None
    scale: float = 1.0
    g: str = "identity"
    shift: float = 0.0
    temperature: float | None = None


# --- selection by index (inside the program) -----------------------------------------


def _problem_loss(index: jax.Array, temperature: jax.Array, names: tuple[str, ...] = PROBLEM_NAMES):
    """``theta -> L(theta)`` of the problem at ``index`` of ``names`` (a ``lax.switch``)."""
    branches = [PROBLEMS[name].at_temperature(temperature) for name in names]
    return lambda theta: jax.lax.switch(index, branches, theta)


def _mapped(index: jax.Array, values: jax.Array) -> jax.Array:
    return jax.lax.switch(index, [MONOTONE_MAPS[name].fn for name in MAP_NAMES], values)


def _lane(lane, temperature, names: tuple[str, ...]):
    """One run of up to ``MAX_STEPS`` updates; rows past the lane's length are left NaN.

    The problem and the map are two switches (13 + 4 branches), not one over their 52
    pairs: a pair switch saves ~2 µs a step but doubles the compile time of the program.
    """
    problem, optimizer, g, steps, lr, hyper, scale, shift, start = lane
    base = _problem_loss(problem, temperature, names)
    base_value_and_grad = _problem_value_and_grad(problem, temperature, names)

    def with_loss(theta):
        loss = base(theta)
        return scale * _mapped(g, loss) + shift, loss

    def evaluate(theta):
        """``L'``, ``L`` and ``grad L' = (dL'/dL) grad L``: the problem's own gradient (see
        :func:`_problem_value_and_grad`) times the map's slope, exactly 1 for ``a = 1`` and
        ``g = identity``, so a shift leaves the gradient the same bit for bit."""
        loss, grad = base_value_and_grad(theta)
        value, slope = jax.jvp(lambda v: scale * _mapped(g, v) + shift, (loss,), (jnp.ones_like(loss),))
        return value, loss, slope * grad

    def objective(theta):  # values only, for the line search's trials
        return with_loss(theta)[0]

    tx = selected(optimizer, lr, hyper, packed=True)

    def body(i, carry):
        params, state, rows, values, losses = carry
        value, loss, grad = evaluate(params)
        updates, state = tx.update(grad, state, params, value=value, grad=grad, value_fn=objective)
        return (
            optax.apply_updates(params, updates),
            state,
            rows.at[i].set(params),
            values.at[i].set(value),
            losses.at[i].set(loss),
        )

    rows = jnp.full((MAX_STEPS + 1, 2), jnp.nan, jnp.float32)
    values = jnp.full((MAX_STEPS + 1,), jnp.nan, jnp.float32)
    carry = (start, tx.init(start), rows, values, values)
    final, _, rows, values, losses = jax.lax.fori_loop(0, steps, body, carry)
    value, loss = with_loss(final)
    return rows.at[steps].set(final), values.at[steps].set(value), losses.at[steps].set(loss)


def _lanes_program(problem, optimizer, g, steps, lr, hyper, scale, shift, start, temperature, *, names):
    lanes = (problem, optimizer, g, steps, lr, hyper, scale, shift, start)
    return jax.lax.map(lambda lane: _lane(lane[:-1], lane[-1], names), (*lanes, temperature))


# one program (its arguments' shapes never change), and for a moment at a server's start a
# landing edition (see warm_up_landing)
_LANES = Programs(_lanes_program, static=("names",), maxsize=2, name="lanes")

_LANDING: tuple[str, ...] = ()
"""Problems served by an edition of their own while the full programs compile (:func:`warm_up_landing`)."""


def _names(programs: Programs, problems: set[str]) -> tuple[str, ...]:
    """The problems of the program to call for ``problems``: every problem's, unless a landing
    edition holds them all and the full program is not compiled yet."""
    if _LANDING and problems <= set(_LANDING) and not programs.has(names=PROBLEM_NAMES):
        return _LANDING
    return PROBLEM_NAMES


def _lane_arrays(lanes: Sequence[Lane], names: tuple[str, ...] = PROBLEM_NAMES) -> tuple[np.ndarray, ...]:
    """The lanes as the program's arguments, padded to :data:`LANES` with empty (0-step) lanes."""
    if not 1 <= len(lanes) <= LANES:
        raise ValueError(f"between 1 and {LANES} lanes, got {len(lanes)}")
    columns: dict[str, list] = {k: [] for k in ("p", "o", "g", "n", "lr", "h", "a", "c", "x", "t")}
    for lane in [*lanes, *[lanes[0]] * (LANES - len(lanes))]:
        p, preset = PROBLEMS[lane.problem], OPTIMIZERS[lane.optimizer]
        hyper = tuple(lane.hyper) if len(lane.hyper) else preset.defaults()
        if len(hyper) != len(preset.hyper):
            raise ValueError(f"{lane.optimizer} takes {len(preset.hyper)} hyper-parameters, got {len(hyper)}")
        if not 0 <= int(lane.steps) <= MAX_STEPS:
            raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {lane.steps}")
        columns["p"].append(names.index(lane.problem))
        columns["o"].append(PRESET_NAMES.index(lane.optimizer))
        columns["g"].append(MAP_NAMES.index(lane.g))
        columns["n"].append(int(lane.steps))
        columns["lr"].append(lane.lr)
        columns["h"].append((*hyper, *[0.0] * (MAX_HYPER - len(hyper))))
        columns["a"].append(lane.scale)
        columns["c"].append(lane.shift)
        columns["x"].append(p.start if lane.start is None else lane.start)
        columns["t"].append(p.temperature_or(lane.temperature))
    columns["n"][len(lanes) :] = [0] * (LANES - len(lanes))
    ints = [np.asarray(columns[k], np.int32) for k in ("p", "o", "g", "n")]
    floats = [f32(columns[k]) for k in ("lr", "h", "a", "c", "x", "t")]
    return (*ints, *floats)


def run_lanes(lanes: Sequence[Lane]) -> list[Run]:
    """Runs up to :data:`LANES` lanes in the one compiled program; a :class:`Run` per lane.

    Each run has ``lane.steps + 1`` rows: ``objective`` is ``L'`` (what the
    optimizer saw), ``loss`` the original ``L`` at the same parameters.
    """
    return _run_lanes(lanes, _names(_LANES, {lane.problem for lane in lanes}))


def _run_lanes(lanes: Sequence[Lane], names: tuple[str, ...]) -> list[Run]:
    rows, objective, loss = (np.asarray(a) for a in _LANES(*_lane_arrays(lanes, names), names=names))
    runs = []
    for k, lane in enumerate(lanes):
        n = int(lane.steps) + 1
        params, obj, values = rows[k, :n], objective[k, :n], loss[k, :n]
        runs.append(Run(params, obj, values, first_nonfinite(params, obj, values)))
    return runs


# --- landscapes --------------------------------------------------------------------------


def _surfaces_program(problem, g, scale, shift, temperature, w1, w2, f1, f2, h1, h2, *, names):
    # The problem is selected outside the grids' vmap: a conditional inside a vmap costs ~8x here.
    def branch(name):
        def compute(w1, w2, f1, f2, h1, h2):
            base = PROBLEMS[name].at_temperature(temperature)
            return (
                on_grid(base, w1, w2),
                on_grid(base, f1, f2),
                on_grid(jax.grad(base), f1, f2),
                on_grid(base, h1, h2),
            )

        return compute

    values, field_values, grads, hover = jax.lax.switch(
        problem, [branch(n) for n in names], w1, w2, f1, f2, h1, h2
    )
    maps = [MONOTONE_MAPS[name].fn for name in MAP_NAMES]
    # ∇(a g(L) + c) = a g'(L) ∇L, with g' by autodiff, elementwise
    slopes = [jax.vmap(jax.vmap(jax.grad(fn))) for fn in maps]
    return (
        values,
        scale * jax.lax.switch(g, maps, values) + shift,  # L' from the values already computed
        grads,
        (scale * jax.lax.switch(g, slopes, field_values))[..., None] * grads,
        hover,
        scale * jax.lax.switch(g, maps, hover) + shift,
    )


_SURFACES = Programs(_surfaces_program, static=("names",), maxsize=2, name="surfaces")


def surfaces(
    problem: str,
    *,
    scale: float = 1.0,
    g: str = "identity",
    shift: float = 0.0,
    temperature: float | None = None,
    hover: bool = False,
) -> Views | tuple[Views, tuple[np.ndarray, np.ndarray]]:
    """:func:`lossviz.landscapes.views` at the app's resolutions, from the one compiled program.

    With ``hover``, also ``(L, L')`` on the :data:`HOVER_RESOLUTION` grid (flattened, row-major:
    point ``i * R + j`` is ``(w1[j], w2[i])``).
    """
    return _surfaces(problem, _names(_SURFACES, {problem}), scale, g, shift, temperature, hover)


def _surfaces(problem, names, scale, g, shift, temperature, hover):
    p = PROBLEMS[problem]
    temperature = p.temperature_or(temperature)
    w1, w2 = grid_axes(p.bounds, RESOLUTION)
    f1, f2 = grid_axes(p.bounds, FIELD_RESOLUTION)
    h1, h2 = grid_axes(p.bounds, HOVER_RESOLUTION)
    values, tvalues, grads, tgrads, hvalues, thvalues = (
        np.asarray(a)
        for a in _SURFACES(
            np.int32(names.index(problem)),
            np.int32(MAP_NAMES.index(g)),
            f32(scale),
            f32(shift),
            f32(temperature),
            w1,
            w2,
            f1,
            f2,
            h1,
            h2,
            names=names,
        )
    )
    views = Views(
        Landscape(w1, w2, values),
        Landscape(w1, w2, tvalues),
        GradientField(f1, f2, grads),
        GradientField(f1, f2, tgrads),
    )
    return (views, (hvalues.ravel(), thvalues.ravel())) if hover else views


def run_preset(
    problem: str,
    optimizer: str,
    *,
    lr: float,
    hyper: Sequence[float] = (),
    steps: int = 100,
    start: Sequence[float] | None = None,
    scale: float = 1.0,
    g: str = "identity",
    shift: float = 0.0,
    temperature: float | None = None,
) -> Run:
    """Runs a registered optimizer on ``scale * g(L) + shift`` of a registered problem (one lane).

    Every argument is data of the one compiled program: nothing here compiles
    after the first call. ``hyper`` defaults to the preset's defaults when
    empty; ``temperature`` to the problem's own (ignored by problems without one).
    """
    start = None if start is None else (float(start[0]), float(start[1]))
    lane = Lane(problem, optimizer, lr, int(steps), tuple(hyper), start, scale, g, shift, temperature)
    return run_lanes([lane])[0]


# --- families: many starts or learning rates at once ------------------------------------

FAMILY_SIZES = (64, 1024)
"""Members per family program: a learning-rate family, a 32 x 32 grid of starts.

A family of another size is padded to the next of these (one program each, compiled at start);
a larger one (a 64 x 64 basin map) runs in calls of the largest: a program of its own would hold
~17 MB of a server's memory, and its 4,096 members take as long in four calls."""
MAX_FAMILY = 4096
"""The most members a family may have (a 64 x 64 basin map)."""
RECORD = 48
"""Rows a family records per run: every ``stride``-th step (``stride = ceil(steps / RECORD)``) and the last."""


@dataclasses.dataclass(frozen=True)
class FamilyRuns:
    """Runs of one optimizer on ``L`` and on ``L' = scale * g(L) + shift`` from ``N`` members.

    Variant 0 is the run on ``L``, variant 1 the run on ``L'``; member ``i``
    starts at ``starts[i]`` with learning rate ``lrs[i]``. Both variants run in
    one vmapped program, so where their gradients agree their paths agree bit
    for bit, and ``differs_at`` says so for every member.

    Attributes:
      path: ``(2, N, K, 2)``: the parameters at ``path_steps`` (NaN once diverged).
      path_steps: ``(K,)``: the steps recorded (0, stride, 2 stride, ..., steps).
      final: ``(2, N, 2)``: the parameters after ``steps`` updates.
      final_loss: ``(2, N)``: the original ``L`` there.
      diverged_at: ``(2, N)`` int: first non-finite step, ``-1`` where the run stayed finite.
      differs_at: ``(N,)`` int: first step whose parameters differ in any bit between
        the two variants, ``-1`` where the two runs are identical at every step.
    """

    path: np.ndarray
    path_steps: np.ndarray
    final: np.ndarray
    final_loss: np.ndarray
    diverged_at: np.ndarray
    differs_at: np.ndarray


def _problem_value_and_grad(index: jax.Array, temperature: jax.Array, names: tuple[str, ...] = PROBLEM_NAMES):
    """``theta -> (L(theta), grad L(theta))`` of the problem at ``index``: a switch over each
    problem's own ``value_and_grad``.

    Differentiating *through* the switch instead would hand the backward pass the residuals of
    every branch, the untaken ones as zeros of their shapes: for a family of 1024 members, ~3 MB
    written at every step.
    """
    branches = [jax.value_and_grad(PROBLEMS[name].at_temperature(temperature)) for name in names]
    return lambda theta: jax.lax.switch(index, branches, theta)


def _member(problem, optimizer, steps, stride, hyper, scales, gs, shifts, temperature, lr, start):
    """One member: the runs on ``L`` and on ``L'`` from ``start`` at ``lr``, side by side."""
    base = _problem_loss(problem, temperature)
    base_value_and_grad = _problem_value_and_grad(problem, temperature)

    def with_loss(theta, scale, g, shift):
        loss = base(theta)
        return scale * _mapped(g, loss) + shift, loss

    def evaluate(params):
        """``L'``, ``L`` and ``grad L' = (dL'/dL) grad L`` of both runs (``params (2, 2)``).

        With ``a = 1`` and ``g = identity`` the factor is exactly 1, so a shift leaves the
        gradient the same bit for bit. Each run's map is a switch on its own index, which
        computes the selected map only: a switch vmapped over the two runs' indices computed
        all four maps and selected (``log1p`` of every member at every step: half the
        time of a 64 x 64 basin map).
        """
        loss, grad = jax.vmap(base_value_and_grad)(params)

        def transformed(k):
            fn = lambda v: scales[k] * _mapped(gs[k], v) + shifts[k]  # noqa: E731
            return jax.jvp(fn, (loss[k],), (jnp.ones_like(loss[k]),))

        (value0, slope0), (value1, slope1) = transformed(0), transformed(1)
        return jnp.stack([value0, value1]), loss, jnp.stack([slope0, slope1])[:, None] * grad

    tx = selected(optimizer, lr, hyper, packed=True)

    def update(grad, state, params, value, scale, g, shift):
        objective = lambda theta: with_loss(theta, scale, g, shift)[0]  # noqa: E731
        return tx.update(grad, state, params, value=value, grad=grad, value_fn=objective)

    update = jax.vmap(update)
    bits = lambda p: jax.lax.bitcast_convert_type(p, jnp.int32)  # noqa: E731

    def check(i, params, value, diverged, differs):
        finite = jnp.isfinite(params).all(axis=-1) & jnp.isfinite(value)
        diverged = jnp.where((diverged < 0) & ~finite, i, diverged)
        differs = jnp.where((differs < 0) & jnp.any(bits(params[0]) != bits(params[1])), i, differs)
        return diverged, differs

    def step(i, carry):
        params, state, diverged, differs = carry
        value, _, grad = evaluate(params)
        diverged, differs = check(i, params, value, diverged, differs)
        updates, state = update(grad, state, params, value, scales, gs, shifts)
        return optax.apply_updates(params, updates), state, diverged, differs

    def chunk(k, carry):
        """Records row ``k`` (the parameters at step ``k * stride``), then runs ``stride`` steps:
        the steps themselves record nothing."""
        rows, run = carry
        rows = rows.at[:, k].set(run[0])
        first = k * stride
        return rows, jax.lax.fori_loop(first, jnp.minimum(first + stride, steps), step, run)

    params = jnp.stack([start, start])
    rows = jnp.full((2, RECORD + 1, 2), jnp.nan, jnp.float32)
    minus = jnp.full((2,), -1, jnp.int32)
    run = (params, jax.vmap(tx.init)(params), minus, jnp.int32(-1))
    chunks = (steps + stride - 1) // stride
    rows, (final, _, diverged, differs) = jax.lax.fori_loop(0, chunks, chunk, (rows, run))
    value, loss = jax.vmap(with_loss)(final, scales, gs, shifts)
    diverged, differs = check(steps, final, value, diverged, differs)
    rows = rows.at[:, chunks].set(final)
    return rows, final, loss, diverged, differs


def _family_program(problem, optimizer, steps, stride, hyper, scales, gs, shifts, temperature, lr, start):
    member = functools.partial(
        _member, problem, optimizer, steps, stride, hyper, scales, gs, shifts, temperature
    )
    return jax.vmap(member)(lr, start)


# one program per family size: the problem, optimizer, map, rates, starts and length are data
_FAMILY = Programs(_family_program, maxsize=len(FAMILY_SIZES), name="family")


def family(
    problem: str,
    optimizer: str,
    *,
    lr: float | Sequence[float],
    starts: np.ndarray | Sequence[float] | None = None,
    steps: int = 100,
    hyper: Sequence[float] = (),
    scale: float = 1.0,
    g: str = "identity",
    shift: float = 0.0,
    temperature: float | None = None,
) -> FamilyRuns:
    """Runs on ``L`` and on ``scale * g(L) + shift`` for a family of starts or learning rates.

    Args:
      lr: one rate, or ``(N,)`` rates (one per member).
      starts: ``(N, 2)`` starts, one ``(2,)`` start for every member, or ``None``: the problem's.
      steps: updates per run (at most :data:`MAX_STEPS`).

    The family has ``N`` members (from ``lr`` or ``starts``; both given must agree, at most
    :data:`MAX_FAMILY`); it runs in the program of the next size in :data:`FAMILY_SIZES`, padded,
    or in calls of the largest.
    """
    p, preset = PROBLEMS[problem], OPTIMIZERS[optimizer]
    lrs = np.atleast_1d(np.asarray(lr, np.float32))
    start_rows = np.asarray(p.start if starts is None else starts, np.float32).reshape(-1, 2)
    n = max(len(lrs), len(start_rows))
    if len(lrs) not in (1, n) or len(start_rows) not in (1, n):
        raise ValueError(f"lr ({len(lrs)}) and starts ({len(start_rows)}) disagree on the family's size")
    if n > MAX_FAMILY:
        raise ValueError(f"a family has at most {MAX_FAMILY} members, got {n}")
    size = next((k for k in FAMILY_SIZES if k >= n), FAMILY_SIZES[-1])
    total = -(-n // size) * size  # whole calls of the program
    if not 0 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be in [0, {MAX_STEPS}], got {steps}")
    hyper = tuple(hyper) if len(hyper) else preset.defaults()
    if len(hyper) != len(preset.hyper):
        raise ValueError(f"{optimizer} takes {len(preset.hyper)} hyper-parameters, got {len(hyper)}")
    pad = lambda a: np.concatenate([np.broadcast_to(a, (n, *a.shape[1:])), np.repeat(a[:1], total - n, 0)])  # noqa: E731
    steps = int(steps)
    stride = max(1, -(-steps // RECORD))
    shared = (
        np.int32(PROBLEM_NAMES.index(problem)),
        np.int32(PRESET_NAMES.index(optimizer)),
        np.int32(steps),
        np.int32(stride),
        f32((*hyper, *[0.0] * (MAX_HYPER - len(hyper)))),
        f32([1.0, scale]),
        np.asarray([MAP_NAMES.index("identity"), MAP_NAMES.index(g)], np.int32),
        f32([0.0, shift]),
        f32(p.temperature_or(temperature)),
    )
    lrs, start_rows = pad(lrs), pad(start_rows)
    calls = [_FAMILY(*shared, lrs[k : k + size], start_rows[k : k + size]) for k in range(0, total, size)]
    rows, final, loss, diverged, differs = (
        np.concatenate([np.asarray(out[i]) for out in calls]) for i in range(5)
    )
    recorded = -(-steps // stride) + 1
    return FamilyRuns(
        path=np.moveaxis(rows[:n, :, :recorded], 1, 0),
        path_steps=np.minimum(np.arange(recorded) * stride, steps),
        final=np.moveaxis(final[:n], 1, 0),
        final_loss=np.moveaxis(loss[:n], 1, 0),
        diverged_at=np.moveaxis(diverged[:n], 1, 0),
        differs_at=differs[:n],
    )


def warm_up_landing(problem: str = PROBLEM_NAMES[0]) -> None:
    """Compiles editions of the lane and surface programs that know ``problem`` alone (the landing
    view's), which serve it until :func:`warm_up` has compiled the full programs.

    A server's first visitor waits for the programs of the landing view. The full programs switch
    over every problem; compiling them takes ~3.5-4 s from an empty cache, an edition of one
    problem ~1.1 s. Runs of one problem from an edition and from the full program agree to float32
    rounding (the same arithmetic; XLA may fuse it differently); the shift verdict compares runs of
    one call, so of one program, either way.
    """
    global _LANDING
    _LANDING = (problem,)
    run_lanes([Lane(problem, PRESET_NAMES[0], lr=0.01, steps=1)])
    surfaces(problem)


def warm_up(families: tuple[int, ...] = FAMILY_SIZES[:2]) -> None:
    """Compiles (or loads from the persistent cache) the lane and surface programs and the
    family programs of sizes ``families``; then drops the landing editions (:func:`warm_up_landing`)."""
    global _LANDING
    _run_lanes([Lane(PROBLEM_NAMES[0], PRESET_NAMES[0], lr=0.01, steps=1)], PROBLEM_NAMES)
    _surfaces(PROBLEM_NAMES[0], PROBLEM_NAMES, 1.0, "identity", 0.0, None, False)
    for size in families:
        family(PROBLEM_NAMES[0], PRESET_NAMES[0], lr=np.full(size, 0.01, np.float32), steps=1)
    # the editions go last: a call that chose one just before the full program was ready finds it
    landing, _LANDING = _LANDING, ()
    if landing:
        for programs in (_LANES, _SURFACES):
            programs.drop(names=landing)
