"""Admission control: at most two page runs per CPU core at a time, the others wait their turn.

Every view is CPU-bound (XLA's arithmetic and the page's Python), and Streamlit starts
each session's script run in a thread of its own at once: under many visitors all the
runs share the cores, each slowed by the number of the others, and a long one (a
training run of 500 epochs at width 64) is slowed the most. Letting a few runs in at a
time, in the order they asked, keeps each near full speed; a run waits for the ones
ahead of it instead of sharing the cores with all of them.

Two per core rather than one: a run is part Python, which holds the GIL, and part XLA,
which does not; with two runs per core one's Python overlaps another's XLA. Measured
with ``benchmarks/bench_load.py`` (2 cores, 8 visitors x 10 views, p95 of a view,
several runs each): no limit 2.1-2.5 s, 2 runs at once 1.6-2.1 s, 3: 1.5-1.9 s,
4: 1.5-1.9 s (median 1.6 s, and the most views a second), 6: 1.9-2.2 s; 24 visitors
x 5 views: no limit 4.5-4.7 s, 4 at once 3.4 s, with ~20-35 MB less peak memory
(fewer runs alive at once).

Only whole page runs take a turn (``app.py`` wraps ``page.run()``); the warm-up thread
and a fragment's reruns (the playback) do not. A run holding a turn never waits for a
run without one, so turns cannot deadlock: a run may wait for a value another
run with a turn is computing (:class:`lossviz.lru.LRU`), or for the warm-up thread.
"""

from __future__ import annotations

import collections
import contextlib
import math
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

ENV = "LOSSVIZ_RUNS_AT_ONCE"
"""Environment variable: page runs at once (an integer >= 1), or 0 for no limit; unset:
:data:`RUNS_PER_CORE` x :func:`cores`."""
RUNS_PER_CORE = 2


def cores(cgroup: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The CPU cores this process may use: its CPU affinity, capped by a cgroup v2 quota (a container's
    share of a bigger host, e.g. a hosted app's 2 of the machine's 16).

    >>> cores() >= 1
    True
    """
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        n = os.cpu_count() or 1
    try:
        quota, period = cgroup.read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


def runs_at_once(environ: Mapping[str, str] = os.environ) -> int | None:
    """How many page runs may go at once: :data:`ENV` if it is a valid integer (0: no limit, ``None``),
    otherwise :data:`RUNS_PER_CORE` per core (:func:`cores`)."""
    raw = environ.get(ENV, "").strip()
    if raw.isdigit():
        return int(raw) or None
    return RUNS_PER_CORE * cores()


class Turns:
    """At most ``limit`` holders at a time (``None``: no limit); the waiters get in in the order they came."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self._lock = threading.Lock()
        self._holders = 0
        self._queue: collections.deque[threading.Event] = collections.deque()

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> None:
        if self.limit is None:
            return
        with self._lock:
            if self._holders < self.limit and not self._queue:
                self._holders += 1
                return
            ready = threading.Event()
            self._queue.append(ready)
        ready.wait()  # release() hands its place over: _holders already counts this caller

    def release(self) -> None:
        if self.limit is None:
            return
        with self._lock:
            if self._queue:
                self._queue.popleft().set()  # the earliest waiter takes the place over
            else:
                self._holders -= 1

    def waiting(self) -> int:
        """How many callers are waiting for a turn."""
        with self._lock:
            return len(self._queue)

    def holding(self) -> int:
        """How many callers hold a turn."""
        with self._lock:
            return self._holders


PAGE_RUNS = Turns(runs_at_once())
"""The process's turns for page runs (``app.py``)."""
