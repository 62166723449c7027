"""The app's few compiled programs (lossviz.engine): every choice is data, nothing recompiles."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax import monitoring

from lossviz import engine, landscapes
from lossviz.engine import LANES, MAX_STEPS, Lane, run_lanes, run_preset
from lossviz.optimizers import OPTIMIZERS
from lossviz.problems import PROBLEMS
from lossviz.trajectories import f32, trajectory
from lossviz.transforms import maps_for

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_compiles: list[str] = []
monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: _compiles.append(event) if event == COMPILE_EVENT else None
)


@pytest.fixture(scope="module", autouse=True)
def warm():
    engine.warm_up()


def compiles_during(fn) -> int:
    before = len(_compiles)
    fn()
    return len(_compiles) - before


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_every_lane_equals_its_own_compiled_program_to_float32_rounding(problem, optimizer):
    # the reference: the public trajectory(), one XLA program per (loss, optimizer, steps)
    p, preset = PROBLEMS[problem], OPTIMIZERS[optimizer]
    lr = 0.25 * min(p.lr, preset.lr)  # a stable run: a chaotic or diverging one amplifies any rounding
    if optimizer == "loss_x_grad":  # its step is lr·L·∇L: scale by the loss
        lr /= 1.0 + abs(float(p.loss(np.asarray(p.start, np.float32))))
    run = run_preset(problem, optimizer, lr=lr, steps=60)
    ref = trajectory(p.loss, p.start, preset.build(f32(lr), f32(preset.defaults())), 60)
    assert run.params.shape == ref.params.shape == (61, 2)
    assert run.diverged_at == ref.diverged_at
    end = len(run.params) if run.diverged_at is None else run.diverged_at
    np.testing.assert_allclose(run.params[:end], ref.params[:end], rtol=2e-5, atol=2e-6)
    # near a minimum L is a difference of terms as large as the run's first losses (Himmelblau's
    # x² + y − 11): its float32 rounding is absolute, a few ulps of the largest loss along the run
    scale = np.abs(ref.loss[:end]).max(initial=0.0)
    np.testing.assert_allclose(
        run.objective[:end], ref.loss[:end], rtol=2e-5, atol=max(2e-6, 4 * np.finfo(np.float32).eps * scale)
    )


def test_a_short_run_is_the_start_of_a_long_one():
    long, short = run_lanes(
        [Lane("rosenbrock", "adam", 0.01, steps=300), Lane("rosenbrock", "adam", 0.01, steps=7)]
    )
    assert short.params.shape == (8, 2) and long.params.shape == (301, 2)
    np.testing.assert_array_equal(short.params, long.params[:8])
    assert np.abs(long.params[-1] - long.params[0]).max() > 0.1  # it moved: not a trivial match


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from(sorted(PROBLEMS)),
    st.sampled_from([k for k, p in OPTIMIZERS.items() if not p.reads_value]),
    st.floats(-1000, 1000, allow_nan=False, width=32),
    st.floats(0.25, 0.75),
)
def test_the_shifted_lane_is_the_original_bit_for_bit(problem, optimizer, c, frac):
    p = PROBLEMS[problem]
    (lo1, hi1), (lo2, hi2) = p.bounds
    start = (lo1 + frac * (hi1 - lo1), hi2 - frac * (hi2 - lo2))
    lr = 0.5 * min(p.lr, OPTIMIZERS[optimizer].lr)
    base, shifted = run_lanes(
        [
            Lane(problem, optimizer, lr, 80, start=start),
            Lane(problem, optimizer, lr, 80, start=start, shift=c),
        ]
    )
    np.testing.assert_array_equal(base.params, shifted.params)
    assert base.diverged_at == shifted.diverged_at


def test_every_choice_is_data_no_recompile():
    lanes = [
        Lane(problem, optimizer, lr=0.003, steps=steps, g=g, scale=scale, shift=shift)
        for problem in PROBLEMS
        for optimizer, steps, scale, shift in zip(
            OPTIMIZERS,
            (10, 250, 1000, 0, 33, 400, 5, 999, 120, 60),
            (1, -1, 2.5, 0.5) * 3,
            (0, -6.28, 3) * 4,
            strict=False,
        )
        for g in maps_for(PROBLEMS[problem].lower_bound)[:2]
    ]

    def run_everything():
        for k in range(0, len(lanes), LANES):
            run_lanes(lanes[k : k + LANES])
        for problem in PROBLEMS:
            for g in maps_for(PROBLEMS[problem].lower_bound):
                engine.surfaces(problem, g=g, scale=-1.0, shift=2.0, temperature=0.1)

    assert compiles_during(run_everything) == 0
    assert engine._LANES.live() == 1 and engine._SURFACES.live() == 1


def test_a_landing_edition_serves_its_problem_until_the_full_programs_are_compiled(monkeypatch):
    """A server's first view runs on editions of the lanes and surfaces programs that know the
    landing problem alone (compiled in ~1.1 s, the full ones in ~3.5-4 s); they agree with the
    full programs to float32 rounding, and the full programs' warm-up drops them."""
    landing = ("linear_regression",)
    lanes = [
        Lane("linear_regression", name, lr=0.05, steps=150, scale=a, g=g, shift=c)
        for name in OPTIMIZERS
        for a, g, c in ((1.0, "identity", -6.28), (2.0, "log1p", 3.0))
    ]
    full_runs = run_lanes(lanes)
    full_views, full_hover = engine.surfaces("linear_regression", scale=2.0, g="sqrt", shift=1.0, hover=True)

    engine.warm_up_landing()  # while the full programs compile, a cold server has only the editions
    monkeypatch.setattr(engine._LANES, "has", lambda **static: static["names"] == landing)
    monkeypatch.setattr(engine._SURFACES, "has", lambda **static: static["names"] == landing)
    assert engine._names(engine._LANES, {"linear_regression"}) == landing
    assert engine._names(engine._LANES, {"linear_regression", "rosenbrock"}) == engine.PROBLEM_NAMES
    assert engine._names(engine._SURFACES, {"rosenbrock"}) == engine.PROBLEM_NAMES
    runs = run_lanes(lanes)
    views, hover = engine.surfaces("linear_regression", scale=2.0, g="sqrt", shift=1.0, hover=True)
    for run, full in zip(runs, full_runs, strict=True):
        for field in ("params", "objective", "loss"):
            np.testing.assert_allclose(getattr(run, field), getattr(full, field), rtol=1e-6, atol=0)
    # the shift verdict compares runs of one call: SGD on L - 6.28 and on L the same bit for bit
    (shifted,) = run_lanes([Lane("linear_regression", "sgd", lr=0.05, steps=150, shift=-6.28)])
    (plain,) = run_lanes([Lane("linear_regression", "sgd", lr=0.05, steps=150)])
    np.testing.assert_array_equal(shifted.params, plain.params)
    got, want = jax.tree.leaves((views, hover)), jax.tree.leaves((full_views, full_hover))
    assert len(got) == len(want) == 14
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=0)
    monkeypatch.undo()
    assert engine._LANES.has(names=landing) and engine._SURFACES.has(names=landing)

    engine.warm_up(families=())
    assert engine._LANDING == ()
    assert not engine._LANES.has(names=landing) and not engine._SURFACES.has(names=landing)
    assert engine._LANES.live() == 1 and engine._SURFACES.live() == 1
    assert engine._names(engine._LANES, {"linear_regression"}) == engine.PROBLEM_NAMES


def test_surfaces_equal_the_public_landscape_to_rounding():
    v = engine.surfaces("himmelblau", scale=2.0, shift=-1.0)
    ref = landscapes.views("himmelblau", scale=2.0, shift=-1.0, resolution=engine.RESOLUTION)
    # two programs: float32 rounding of the terms (up to ~|L|max), cancelling near the minima
    scale = float(np.abs(ref.original.values).max())
    np.testing.assert_allclose(v.original.values, ref.original.values, rtol=1e-6, atol=1e-7 * scale)
    np.testing.assert_allclose(v.transformed.values, ref.transformed.values, rtol=1e-6, atol=2e-7 * scale)
    grads = ref.transformed_field.grad
    np.testing.assert_allclose(v.transformed_field.grad, grads, rtol=1e-5, atol=1e-6 * np.abs(grads).max())
    np.testing.assert_array_equal(v.original.w1, ref.original.w1)


def test_bad_lanes_are_refused():
    with pytest.raises(ValueError):
        run_lanes([])
    with pytest.raises(ValueError):
        run_lanes([Lane("quadratic", "sgd", 0.1)] * (LANES + 1))
    with pytest.raises(ValueError):
        run_lanes([Lane("quadratic", "sgd", 0.1, steps=MAX_STEPS + 1)])
    with pytest.raises(ValueError):
        run_lanes([Lane("quadratic", "adam", 0.1, hyper=(0.9,))])
