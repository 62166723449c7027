"""One bounded, thread-safe cache for the whole process (plain Python: no JAX, no Streamlit).

Every cache of lossviz that lives outside ``st.cache_data`` is an :class:`LRU`:
the landscape surfaces of the charts, the trained views and their chart specs of
the training page, and (through :mod:`lossviz.programs`) the compiled XLA
programs. Values are shared by all sessions, so they must never be mutated.

Two callers asking for the same missing key at the same moment compute it once:
the second waits for the first.

>>> cache = LRU(2)
>>> cache.get("a", lambda: 1), cache.get("b", lambda: 2), cache.get("a", lambda: 99)
(1, 2, 1)
>>> cache.get("c", lambda: 3)  # evicts "b", the least recently used
3
>>> sorted(cache.keys())
['a', 'c']
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``maxsize`` values, the least recently used evicted first.

    Args:
      maxsize: the bound (>= 1); may be changed later (tests shrink it): a smaller
        bound evicts at once.
      on_evict: called with ``(key, value)`` of each evicted entry, outside the lock.
    """

    def __init__(self, maxsize: int, on_evict: Callable[[K, V], None] | None = None):
        self._on_evict = on_evict
        self._data: OrderedDict[K, V] = OrderedDict()
        self._pending: dict[K, threading.Event] = {}
        self._lock = threading.Lock()
        self.maxsize = maxsize

    @property
    def maxsize(self) -> int:
        return self._maxsize

    @maxsize.setter
    def maxsize(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"maxsize must be >= 1, got {value}")
        with self._lock:
            self._maxsize = value
            evicted = self._trim()
        self._evicted(evicted)

    def _trim(self) -> list[tuple[K, V]]:
        evicted = []
        while len(self._data) > self._maxsize:
            evicted.append(self._data.popitem(last=False))
        return evicted

    def _evicted(self, evicted: list[tuple[K, V]]) -> None:
        if self._on_evict is not None:
            for k, v in evicted:
                self._on_evict(k, v)

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value of ``key``, computing (once) and storing it if missing."""
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    return self._data[key]
                waiting = self._pending.get(key)
                if waiting is None:
                    self._pending[key] = threading.Event()
                    break
            waiting.wait()  # another caller computes it; then look again (it may have failed)
        try:
            value = compute()
        except BaseException:
            with self._lock:
                self._pending.pop(key).set()
            raise
        self.put(key, value)
        with self._lock:
            self._pending.pop(key).set()
        return value

    def put(self, key: K, value: V) -> None:
        """Stores ``value`` under ``key`` as the most recently used; evicts past the bound."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            evicted = self._trim()
        self._evicted(evicted)

    def lookup(self, key: K) -> V | None:
        """The value of ``key`` if present (a use: it becomes the most recent), else ``None``."""
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def pop(self, key: K) -> None:
        """Removes ``key`` (if present), as an eviction (``on_evict`` is called)."""
        with self._lock:
            evicted = [(key, self._data.pop(key))] if key in self._data else []
        self._evicted(evicted)

    def keys(self) -> list[K]:
        """The keys, least recently used first."""
        with self._lock:
            return list(self._data)

    def values(self) -> list[V]:
        """The values, least recently used first."""
        with self._lock:
            return list(self._data.values())

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)
