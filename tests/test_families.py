"""Families of runs (many starts or learning rates in one program) and basin maps."""

import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossviz import engine
from lossviz.families import DIVERGED, ELSEWHERE, basin_labels, basins, grid_starts, trajectories_from
from lossviz.problems import PROBLEMS
from lossviz.trajectories import trajectory

F32 = {"rtol": 1e-5, "atol": 1e-5}  # another program: float32 rounding


def test_every_row_of_a_family_is_the_single_trajectory():
    loss = PROBLEMS["rosenbrock"].loss
    starts = np.array([[-1.5, 2.0], [0.0, 0.0], [1.2, 1.0], [30.0, 30.0]], np.float32)  # the last diverges
    tx = optax.sgd(0.002)
    fam = trajectories_from(loss, starts, tx, steps=60)
    assert fam.params.shape == (4, 61, 2) and fam.loss.shape == (4, 61)
    for i, start in enumerate(starts):
        single = trajectory(loss, start, tx, steps=60)
        assert fam.diverged_at[i] == (-1 if single.diverged_at is None else single.diverged_at)
        end = single.diverged_at or 61
        np.testing.assert_allclose(fam.params[i, :end], single.params[:end], **F32)
        np.testing.assert_allclose(fam.loss[i, :end], single.loss[:end], rtol=1e-5)
    assert fam.diverged_at[-1] > 0 and (fam.diverged_at[:-1] == -1).all()


def test_a_family_of_several_blocks_keeps_every_row_in_its_place():
    p = PROBLEMS["himmelblau"]
    _, _, starts = grid_starts(p.bounds, 32)  # 1024 starts: run as blocks of families.BLOCK
    tx = optax.sgd(p.lr)
    fam = trajectories_from(p.loss, starts, tx, steps=30)
    assert fam.params.shape == (1024, 31, 2)
    for i in (0, 255, 256, 700, 1023):
        single = trajectory(p.loss, starts[i], tx, steps=30)
        np.testing.assert_allclose(fam.params[i], single.params, **F32)
        np.testing.assert_allclose(fam.loss[i], single.loss, rtol=1e-5)


def test_trajectories_from_refuses_bad_starts():
    with pytest.raises(ValueError, match="shape"):
        trajectories_from(PROBLEMS["quadratic"].loss, np.zeros((3,)), optax.sgd(0.1))


def test_engine_family_members_equal_engine_lanes():
    """Each member of the app's family program is the run of the lane program (float32 rounding)."""
    problem, opt = "himmelblau", "adam"
    _, _, starts = grid_starts(PROBLEMS[problem].bounds, 4)
    fam = engine.family(problem, opt, lr=0.05, starts=starts, steps=130, g="log1p", scale=2.0, shift=-1.0)
    assert fam.path.shape == (2, 16, len(fam.path_steps), 2) and fam.path_steps[-1] == 130
    assert len(fam.path_steps) <= engine.RECORD + 1
    for i in (0, 5, 15):
        for variant, (a, g, c) in enumerate([(1.0, "identity", 0.0), (2.0, "log1p", -1.0)]):
            run = engine.run_preset(problem, opt, lr=0.05, steps=130, start=starts[i], scale=a, g=g, shift=c)
            np.testing.assert_allclose(fam.path[variant, i], run.params[fam.path_steps], **F32)
            np.testing.assert_allclose(fam.final_loss[variant, i], run.loss[-1], rtol=1e-4, atol=1e-6)
    assert (fam.differs_at[[0, 5, 15]] > 0).all()  # log(1 + L) takes another path


def test_a_learning_rate_family_and_padding():
    rates = np.geomspace(1e-3, 0.5, 5).astype(np.float32)  # 5 members, padded to a family of 32
    fam = engine.family("quadratic", "sgd", lr=rates, steps=40)
    for i, lr in enumerate(rates):
        run = engine.run_preset("quadratic", "sgd", lr=float(lr), steps=40)
        np.testing.assert_allclose(fam.final[0, i], run.params[-1], **F32)
        assert fam.diverged_at[0, i] == (-1 if run.diverged_at is None else run.diverged_at)
    assert (fam.diverged_at[0, -1] >= 0) and fam.diverged_at[0, 0] == -1  # 0.5 overshoots the quadratic


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    problem=st.sampled_from(
        ["linear_regression", "rosenbrock", "himmelblau", "beale", "rastrigin", "saddle"]
    ),
    optimizer=st.sampled_from(["sgd", "momentum", "adam", "lion", "rmsprop"]),
    shift=st.floats(-1000, 1000, allow_nan=False, width=32).filter(lambda c: c != 0),
    seed=st.integers(0, 2**16),
)
def test_a_shifted_family_is_the_same_family_bit_for_bit(problem, optimizer, shift, seed):
    (lo1, hi1), (lo2, hi2) = PROBLEMS[problem].bounds
    rng = np.random.default_rng(seed)
    starts = np.stack([rng.uniform(lo1, hi1, 40), rng.uniform(lo2, hi2, 40)], axis=1)
    fam = engine.family(problem, optimizer, lr=PROBLEMS[problem].lr, starts=starts, steps=150, shift=shift)
    assert (fam.differs_at == -1).all()
    assert np.array_equal(fam.path[0], fam.path[1], equal_nan=True)
    assert np.array_equal(fam.final[0], fam.final[1], equal_nan=True)
    assert np.array_equal(fam.diverged_at[0], fam.diverged_at[1])


def test_polyak_reads_the_value_so_a_shift_changes_its_family():
    _, _, starts = grid_starts(PROBLEMS["himmelblau"].bounds, 8)
    fam = engine.family("himmelblau", "polyak", lr=1.0, starts=starts, steps=50, shift=-5.0)
    assert (fam.differs_at >= 0).mean() > 0.9


def test_basin_labels_by_hand():
    final = np.array([[0.0, 0.0], [1.05, 1.0], [5.0, 5.0], [np.nan, 0.0], [1.0, 1.0]])
    diverged = np.array([False, False, False, False, True])
    labels = basin_labels(final, diverged, [(0.0, 0.0), (1.0, 1.0)], tol=0.1)
    assert labels.tolist() == [0, 1, ELSEWHERE, DIVERGED, DIVERGED]
    assert basin_labels(final[:3], diverged[:3], [], tol=0.1).tolist() == [ELSEWHERE] * 3


def test_himmelblau_has_four_sizeable_basins_and_a_shift_keeps_them():
    p = PROBLEMS["himmelblau"]
    b = basins(p.loss, optax.sgd(0.01), p.bounds, 24, 200, p.minima, tol=0.05)
    assert b.labels.shape == b.final_loss.shape == (24, 24)
    values, counts = np.unique(b.labels, return_counts=True)
    assert set(values) == {0, 1, 2, 3} and counts.min() > 0.1 * b.labels.size
    # orientation as landscape(): labels[i, j] is the start (w1[j], w2[i]); the minimum (3, 2) is top right
    assert b.labels[-1, -1] == p.minima.index((3.0, 2.0))
    shifted = basins(lambda t: p.loss(t) - 6.2832, optax.sgd(0.01), p.bounds, 24, 200, p.minima, tol=0.05)
    assert np.array_equal(shifted.labels, b.labels)
    # -L is unbounded above: every run leaves for infinity or the window's far side
    negated = basins(lambda t: -p.loss(t), optax.sgd(0.01), p.bounds, 24, 200, p.minima, tol=0.05)
    assert set(np.unique(negated.labels)) <= {ELSEWHERE, DIVERGED}


def test_a_family_larger_than_the_largest_program_runs_in_its_calls():
    # a 64 x 64 basin map has no program of its own: it runs as calls of the 1,024-member one, and
    # each member is the member it would be in a family of its own call (one program: bit for bit)
    rng = np.random.default_rng(3)
    starts = rng.uniform(-4.0, 4.0, size=(1500, 2)).astype(np.float32)
    whole = engine.family("himmelblau", "sgd", lr=0.01, starts=starts, steps=40)
    head = engine.family("himmelblau", "sgd", lr=0.01, starts=starts[:1024], steps=40)
    tail = engine.family("himmelblau", "sgd", lr=0.01, starts=starts[1024:], steps=40)
    assert whole.final.shape == (2, 1500, 2) and whole.differs_at.shape == (1500,)
    np.testing.assert_array_equal(whole.final, np.concatenate([head.final, tail.final], axis=1))
    np.testing.assert_array_equal(whole.path, np.concatenate([head.path, tail.path], axis=1))
    assert engine._FAMILY.live() <= len(engine.FAMILY_SIZES)
    with pytest.raises(ValueError, match="at most 4096"):
        engine.family("himmelblau", "sgd", lr=0.01, starts=np.zeros((engine.MAX_FAMILY + 1, 2)), steps=1)
