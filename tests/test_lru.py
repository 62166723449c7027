"""The one bounded cache of the process (lossviz.lru.LRU)."""

import threading
import time

import pytest

from lossviz.lru import LRU


def test_least_recently_used_goes_first():
    cache = LRU(3)
    for k in "abc":
        cache.get(k, lambda k=k: k.upper())
    cache.get("a", lambda: pytest.fail("a is cached"))  # a is now the most recent
    cache.get("d", lambda: "D")
    assert cache.keys() == ["c", "a", "d"]
    assert "b" not in cache and len(cache) == 3


def test_a_smaller_bound_applies_at_once_and_reports_evictions():
    evicted = []
    cache = LRU(4, on_evict=lambda k, v: evicted.append((k, v)))
    for k in range(4):
        cache.put(k, k * 10)
    cache.maxsize = 2
    assert cache.keys() == [2, 3]
    cache.put(4, 40)
    assert cache.keys() == [3, 4]
    assert evicted == [(0, 0), (1, 10), (2, 20)]
    with pytest.raises(ValueError):
        cache.maxsize = 0


def test_two_callers_of_one_missing_key_compute_it_once():
    cache = LRU(4)
    calls = []
    start = threading.Barrier(4)

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return object()

    results = []

    def visitor():
        start.wait()
        results.append(cache.get("view", compute))

    threads = [threading.Thread(target=visitor) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 4 and all(r is results[0] for r in results)


def test_a_failed_computation_is_not_cached_and_the_next_caller_retries():
    cache = LRU(2)

    def boom():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        cache.get("k", boom)
    assert "k" not in cache
    assert cache.get("k", lambda: 5) == 5


def test_bound_must_be_positive():
    with pytest.raises(ValueError):
        LRU(0)


def test_lookup_counts_as_a_use_and_misses_with_none():
    cache = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.lookup("a") == 1 and cache.lookup("zz") is None
    cache.put("c", 3)  # evicts b: a was used more recently
    assert cache.keys() == ["a", "c"]
