"""The cached calls of the pages (lossviz.ui.cached)."""

import dataclasses
import threading
import time

import numpy as np
import streamlit as st

from lossviz import engine
from lossviz.ui import cached
from lossviz.ui.settings import ExplorerSettings


def test_the_playback_step_is_not_part_of_the_key():
    s = ExplorerSettings(steps=120, step=7)
    assert cached.computed(s) == cached.computed(dataclasses.replace(s, step=100))
    assert cached.computed(s) != cached.computed(dataclasses.replace(s, steps=121))


def test_two_visitors_asking_for_the_same_view_at_once_compute_it_once(monkeypatch):
    st.cache_data.clear()
    calls = []
    real = engine.run_lanes

    def slow(lanes):
        calls.append(len(lanes))
        time.sleep(0.3)  # both visitors arrive while the first computes
        return real(lanes)

    monkeypatch.setattr(engine, "run_lanes", slow)
    s = cached.computed(ExplorerSettings(problem="beale", steps=77, shift=-1.5))
    start = threading.Barrier(2)
    results = []

    def visitor():
        start.wait()
        results.append(cached.run_pair(s))

    threads = [threading.Thread(target=visitor) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [2]  # one computation of the two lanes
    assert len(results) == 2
    assert np.array_equal(results[0][0].params, results[1][0].params, equal_nan=True)


def test_the_all_optimizers_table_is_one_call_of_twenty_lanes(monkeypatch):
    st.cache_data.clear()
    calls = []
    real = engine.run_lanes
    monkeypatch.setattr(engine, "run_lanes", lambda lanes: calls.append(len(lanes)) or real(lanes))
    table = cached.all_optimizers(
        ExplorerSettings(problem="himmelblau", steps=90, scale=-1.0, shift=0.0), 1e-3
    )
    assert calls == [engine.LANES] and len(table) == engine.LANES // 2
    # (−L)·(−∇L) = L·∇L: the hypothesis' path never differs, and "never" reads as a dash, not None
    (row,) = [r for r in table if r["optimizer"] == "Loss × grad"]
    assert row["kind"] == "identical" and row["first difference at step"] == "—"
    assert all(isinstance(r["first difference at step"], str) for r in table)


def test_a_playback_step_reuses_the_families_and_the_basin_map(monkeypatch):
    st.cache_data.clear()
    calls = []
    real = engine.family
    monkeypatch.setattr(engine, "family", lambda *a, **k: calls.append(1) or real(*a, **k))
    s = ExplorerSettings(problem="himmelblau", steps=30, step=5)
    cached.families(s), cached.basin_maps(s)
    computed = len(calls)  # the starts, the learning rates, the basin map
    cached.families(dataclasses.replace(s, step=20)), cached.basin_maps(dataclasses.replace(s, step=20))
    assert computed == 3 and len(calls) == computed


def test_each_data_sets_default_view_is_trained_once_and_kept_apart_from_the_bounded_cache(monkeypatch):
    from lossviz import datasets
    from lossviz.lru import LRU
    from lossviz.ui.settings import TrainingSettings

    trained = []
    monkeypatch.setattr(cached, "_train", lambda s, on_progress=None: trained.append(s) or object())
    monkeypatch.setattr(cached, "DEFAULT_VIEWS", {})
    monkeypatch.setattr(cached, "TRAINED", LRU(2))
    cached.keep_default_views()
    assert [s.dataset for s in trained] == list(datasets.DATASETS)
    assert all(s == TrainingSettings(dataset=s.dataset) for s in trained)
    kept = dict(cached.DEFAULT_VIEWS)
    cached.keep_default_views()  # again: nothing is trained twice
    assert len(trained) == len(datasets.DATASETS)
    for k in range(5):  # visitors' views fill the bounded cache over and over
        cached.training_view(TrainingSettings(width=3 + k))
    assert len(trained) == len(datasets.DATASETS) + 5
    for s, view in kept.items():
        assert cached.training_view(s) is view  # served without training
    assert len(trained) == len(datasets.DATASETS) + 5
    assert cached.training_view(TrainingSettings(dataset="circles", epochs=30)) not in kept.values()


def test_keeping_the_default_views_stops_between_data_sets_when_asked(monkeypatch):
    trained = []
    monkeypatch.setattr(cached, "_train", lambda s, on_progress=None: trained.append(s) or object())
    monkeypatch.setattr(cached, "DEFAULT_VIEWS", {})
    monkeypatch.setattr(cached, "TRAINED", type(cached.TRAINED)(16))
    cached.keep_default_views(("moons", "circles", "blobs"), should_stop=lambda: len(trained) >= 2)
    assert [s.dataset for s in trained] == ["moons", "circles"]
