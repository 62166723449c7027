"""Every jitted entry point keeps a bounded number of programs, whatever the pages are asked for,
and one page's traffic never evicts another page's programs."""

import gc
import weakref

import pytest
import streamlit as st
from page_runs import run_page

from lossviz import landscapes, nondifferentiable, training, trajectories
from lossviz.datasets import DATASETS
from lossviz.problems import PROBLEMS
from lossviz.programs import REGISTRY

EXPLORER_PROBLEMS = ("Rosenbrock", "Himmelblau", "Beale", "Saddle", "Rastrigin")
TRAINING_VIEWS = ({"width": "3"}, {"width": "5"}, {"width": "7"}, {"data": DATASETS["circles"].title})


def test_every_jitted_entry_point_of_the_app_is_bounded():
    # the app's programs all live in a Programs: a plain jax.jit would grow without bound
    assert {"run_preset", "views", "training", "training_init", "decision_grid", "descents"} <= set(REGISTRY)
    assert all(p.maxsize >= 1 for p in REGISTRY.values())


@pytest.fixture(autouse=True)
def computed_afresh():
    """Earlier tests' cached results would spare these pages their programs."""
    st.cache_data.clear()


def test_explorer_stays_within_its_bound_and_spares_the_training_page(monkeypatch):
    run_page("training", width="4", epochs="10")
    kept = [weakref.ref(j) for j in training._train_chunk.programs.values()]
    assert kept
    monkeypatch.setattr(trajectories.RUNS, "maxsize", 2)
    monkeypatch.setattr(landscapes.VIEWS, "maxsize", 2)
    for problem in EXPLORER_PROBLEMS:  # each needs a new run and a new landscape program
        at = run_page("explorer", problem=problem, steps="30")
        assert not at.exception
        assert trajectories.RUNS.live() <= 2 and landscapes.VIEWS.live() <= 2
        name = next(n for n, p in PROBLEMS.items() if p.title == problem)
        assert trajectories.RUNS.has(problem=name, optimizer="sgd", g="identity", steps=100)
    gc.collect()
    assert all(ref() is not None for ref in kept)  # the training page's programs survived


def test_training_stays_within_its_bound_and_spares_the_explorer(monkeypatch):
    bound = 2
    run_page("explorer", steps="40")
    kept = [weakref.ref(j) for j in trajectories.RUNS.programs.values()]
    assert kept
    monkeypatch.setattr(training._train_chunk, "maxsize", bound)
    monkeypatch.setattr(training._init_state, "maxsize", bound)
    for query in TRAINING_VIEWS:  # widths and data sets change the shapes: new programs
        at = run_page("training", epochs="10", **query)
        assert not at.exception
        assert training._train_chunk.live() <= bound and training._init_state.live() <= bound
    gc.collect()
    assert all(ref() is not None for ref in kept)


def test_nondifferentiable_page_stays_within_its_bound(monkeypatch):
    monkeypatch.setattr(nondifferentiable._DESCENTS, "maxsize", 1)
    for steps in ("50", "150", "250"):  # three step buckets: three programs asked for
        at = run_page("nondifferentiable", steps=steps)
        assert not at.exception
        assert nondifferentiable._DESCENTS.live() == 1
