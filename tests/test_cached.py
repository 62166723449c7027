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
