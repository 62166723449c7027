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

A visitor who waits longer than a second is told how many views are ahead of theirs (a
toast, updated while waiting); one who changes a setting meanwhile keeps the place in line
(or the turn) for the newer view, instead of the stale view running and the newer one joining
the end of the line (:func:`page_turn`).

Only whole page runs take a turn (``app_pages.py`` wraps ``page.run()``); the warm-up thread
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
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

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


KEEP_S = 1.0
"""Seconds a turn or a place kept for a key (:meth:`Turns.turn`'s ``keep``) waits to be taken back
before it is given up (the next run of a session that reruns follows in milliseconds)."""


class Superseded(Exception):
    """A waiter's place in line was taken over by a newer caller with the same key."""


class _Place:
    """A place in line: set when it is handed a turn; ``owner`` is the call waiting on it."""

    __slots__ = ("event", "key", "owner")

    def __init__(self, key: Hashable, owner: object) -> None:
        self.event = threading.Event()
        self.key = key
        self.owner = owner


class Turns:
    """At most ``limit`` holders at a time (``None``: no limit); the waiters get in in the order they came.

    A key (a visitor's session) has at most one place in line: a newer call with the key of a
    waiter takes that waiter's place over (Streamlit starts a visitor's newer run at once, in
    a new thread, and stops the older one at its next element), and a holder with the key
    gives its turn to it first. A holder or a waiter that leaves with an exception ``keep``
    accepts (a rerun in the same thread) keeps its turn, or its place, for the key's next call
    for up to :data:`KEEP_S` seconds. Either way a visitor's newer view takes the older one's
    place instead of joining the end of the line.
    """

    def __init__(self, limit: int | None):
        self.limit = limit
        self._lock = threading.Lock()
        self._holders = 0
        self._queue: collections.deque[_Place] = collections.deque()
        self._kept: dict[Hashable, tuple[_Place, float]] = {}  # key -> (turn or place, until when)

    @contextlib.contextmanager
    def turn(
        self,
        key: Hashable = None,
        *,
        on_wait: Callable[[int], None] | None = None,
        every: float = 1.0,
        keep: Callable[[BaseException], bool] = lambda exc: False,
    ) -> Iterator[None]:
        """Holds a turn for the ``with`` block.

        Args:
          key: who asks (a session): a newer call with the key takes over this one's place, and
            with ``keep``, takes a kept turn or place back.
          on_wait: called every ``every`` seconds while waiting, with the number of waiters
            ahead; an exception it raises ends the wait (and is raised).
          keep: which exceptions (out of ``on_wait`` or the block) keep the turn or the place
            for ``key``'s next call.

        Raises:
          Superseded: a newer call with the same key took this one's place over (``on_wait`` is
            called first: it may raise the reason, e.g. Streamlit's stop of the older run).
        """
        self.acquire(key, on_wait=on_wait, every=every, keep=keep)
        try:
            yield
        except BaseException as exc:
            self.release(key, keep=key is not None and keep(exc))
            raise
        self.release(key)

    def acquire(
        self,
        key: Hashable = None,
        *,
        on_wait: Callable[[int], None] | None = None,
        every: float = 1.0,
        keep: Callable[[BaseException], bool] = lambda exc: False,
    ) -> None:
        if self.limit is None:
            return
        me = object()
        with self._lock:
            self._expire()
            kept = self._kept.pop(key, None) if key is not None else None
            place = kept[0] if kept is not None else self._queued(key)
            if place is not None:
                place.owner = me  # a kept turn (set) or place, or an older waiter's place: taken over
            elif self._holders < self.limit and not self._queue:
                self._holders += 1
                return
            else:
                place = _Place(key, me)
                self._queue.append(place)
        # release() hands its turn over by setting the place: _holders already counts this caller
        while True:
            handed = place.event.wait(every)
            with self._lock:
                mine = place.owner is me
            if handed and mine:
                return
            if mine and on_wait is None:
                continue
            try:
                if on_wait is not None:
                    on_wait(self.ahead(place) if mine else 0)
                if not mine:
                    raise Superseded(f"a newer call with the key {key!r} took this one's place")
            except BaseException as exc:
                with self._lock:
                    if place.owner is not me:
                        pass  # the place is the newer caller's now
                    elif key is not None and keep(exc):
                        self._kept[key] = (place, time.monotonic() + KEEP_S)
                    else:
                        self._leave(place)
                raise

    def release(self, key: Hashable = None, *, keep: bool = False) -> None:
        """Gives the turn up: to a waiter with the same ``key`` first, kept for ``key``'s next
        :meth:`acquire` (``keep``), or to the earliest waiter."""
        if self.limit is None:
            return
        with self._lock:
            self._expire()
            same = self._queued(key)
            if same is not None:
                self._queue.remove(same)
                same.event.set()  # the key's newer call gets the turn the older one held
            elif keep and key is not None:
                held = _Place(key, None)
                held.event.set()
                self._kept[key] = (held, time.monotonic() + KEEP_S)
            else:
                self._hand_over()

    def _queued(self, key: Hashable) -> _Place | None:
        if key is None:
            return None
        return next((p for p in self._queue if p.key == key), None)

    def _hand_over(self) -> None:
        if self._queue:
            self._queue.popleft().event.set()  # the earliest waiter takes the place over
        else:
            self._holders -= 1

    def _leave(self, place: _Place) -> None:
        """A waiter gives up its place (or the turn it was handed meanwhile)."""
        if place.event.is_set():
            self._hand_over()
        else:
            self._queue.remove(place)

    def _expire(self) -> None:
        now = time.monotonic()
        for key, (place, until) in list(self._kept.items()):
            if until <= now:
                del self._kept[key]
                self._leave(place)

    def ahead(self, place: _Place) -> int:
        """How many waiters are ahead of ``place`` (0 once it holds a turn)."""
        with self._lock:
            return self._queue.index(place) if place in self._queue else 0

    def kept(self) -> int:
        """How many turns or places are kept for a key's next :meth:`turn`."""
        with self._lock:
            return len(self._kept)

    def waiting(self) -> int:
        """How many callers are waiting for a turn."""
        with self._lock:
            return len(self._queue)

    def holding(self) -> int:
        """How many callers hold a turn (a kept one included)."""
        with self._lock:
            return self._holders


PAGE_RUNS = Turns(runs_at_once())
"""The process's turns for page runs (:func:`page_turn`)."""

BUSY_EVERY_S = 1.0
"""A run that waits longer than this for its turn says so (a toast), and again every as long."""
BUSY_ICON = ":material/hourglass_top:"
YOUR_TURN = "Your turn: drawing your view."
_TOAST_UP = "_lossviz_busy_toast"  # session state: a busy toast is up (until a run gets its turn)


def busy_text(ahead: int) -> str:
    """What a waiting visitor reads: how many views will be drawn before theirs.

    >>> busy_text(0)
    'Many visitors at once: your view is next in line.'
    >>> busy_text(3)
    'Many visitors at once: 3 views are ahead of yours in line.'
    """
    if ahead == 0:
        return "Many visitors at once: your view is next in line."
    return f"Many visitors at once: {ahead} view{'s are' if ahead > 1 else ' is'} ahead of yours in line."


def _rerun(exc: BaseException) -> bool:
    return isinstance(exc, RerunException)


@contextlib.contextmanager
def page_turn() -> Iterator[None]:
    """A page run's turn (``app_pages.py`` wraps ``page.run()``): :data:`PAGE_RUNS`, keyed by the session.

    While the run waits, a toast says how many views are ahead of it (after :data:`BUSY_EVERY_S`,
    then updated as often; it stays until the run's turn comes, then says so and fades). A visitor
    who changes a setting meanwhile keeps the place in line, or the turn: Streamlit starts the
    newer run at once in a thread of its own (its "fast reruns") and stops the older one at its
    next element (the toast's update while it waits), and the newer run, keyed by the same
    session, takes the older one's place over; a page's own ``st.rerun()`` keeps its turn.
    """
    ctx = get_script_run_ctx()
    toast: list[DeltaGenerator] = []

    def busy(ahead: int) -> None:
        st.session_state[_TOAST_UP] = True  # a newer run of the session then says "your turn" too
        if toast:
            toast[0].toast(busy_text(ahead), icon=BUSY_ICON, duration="infinite")
        else:
            toast.append(st.toast(busy_text(ahead), icon=BUSY_ICON, duration="infinite"))

    key = ctx.session_id if ctx is not None else None
    with PAGE_RUNS.turn(key, on_wait=busy, every=BUSY_EVERY_S, keep=_rerun):
        if st.session_state.pop(_TOAST_UP, False):  # this run's toast, or an older run's left up
            # the run's first toast takes the place of the one up (the same element), and fades
            (toast[0] if toast else st).toast(YOUR_TURN, icon=BUSY_ICON, duration=2)
        yield
