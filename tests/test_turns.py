"""Page runs take turns (lossviz.ui.turns): at most a limit at once, the others in the order they came."""

import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lossviz.ui import turns

APP = str(Path(__file__).resolve().parent.parent / "app_pages.py")


def _wait_until(condition, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_at_most_the_limit_hold_a_turn_and_the_waiters_get_in_in_the_order_they_came():
    t = turns.Turns(2)
    admitted: list[int] = []
    leave = {i: threading.Event() for i in range(6)}
    most = [0]
    lock = threading.Lock()

    def visitor(i: int) -> None:
        with t.turn():
            with lock:
                admitted.append(i)
                most[0] = max(most[0], t.holding())
            leave[i].wait(10)

    threads = []
    for i in range(6):  # one after another, each in the queue before the next comes
        threads.append(threading.Thread(target=visitor, args=(i,)))
        threads[-1].start()
        _wait_until(lambda i=i: len(admitted) + t.waiting() == i + 1)
    assert admitted == [0, 1] and t.waiting() == 4
    for done, i in enumerate((1, 0, 3, 2, 5, 4), start=1):  # holders leave in any order
        assert i in admitted
        leave[i].set()
        _wait_until(lambda done=done: len(admitted) == min(6, 2 + done))
    for th in threads:
        th.join(10)
    assert admitted == [0, 1, 2, 3, 4, 5]
    assert most[0] <= 2
    assert t.holding() == 0 and t.waiting() == 0


def test_a_run_that_raises_gives_its_turn_back():
    t = turns.Turns(1)
    with pytest.raises(RuntimeError), t.turn():
        raise RuntimeError("a page failed")
    assert t.holding() == 0
    with t.turn():  # the next one gets in at once
        assert t.holding() == 1


def test_no_limit_lets_everyone_in():
    t = turns.Turns(None)
    with t.turn(), t.turn(), t.turn():
        assert t.waiting() == 0


def test_the_limit_comes_from_the_environment_or_the_cores():
    assert turns.runs_at_once({turns.ENV: "3"}) == 3
    assert turns.runs_at_once({turns.ENV: "0"}) is None  # no limit
    for bad in ("", "two", "-1", "1.5"):
        assert turns.runs_at_once({turns.ENV: bad}) == turns.RUNS_PER_CORE * turns.cores()
    assert turns.runs_at_once({}) == turns.RUNS_PER_CORE * turns.cores()


def test_the_cores_are_capped_by_a_containers_cpu_quota(tmp_path):
    quota = tmp_path / "cpu.max"
    quota.write_text("max 100000\n")
    free = turns.cores(quota)
    assert free >= 1
    quota.write_text("150000 100000\n")  # 1.5 CPUs of the host count as 2
    assert turns.cores(quota) == min(free, 2)
    quota.write_text("5000 100000\n")  # a twentieth of a CPU counts as 1
    assert turns.cores(quota) == 1
    assert turns.cores(tmp_path / "missing") == free


def test_the_app_runs_each_page_inside_a_turn(monkeypatch):
    from lossviz.ui.pages import explorer

    page_runs = turns.Turns(1)
    monkeypatch.setattr(turns, "PAGE_RUNS", page_runs)
    seen: list[int] = []
    original = explorer.main

    def main() -> None:
        seen.append(page_runs.holding())  # the page's code runs while its run holds the turn
        original()

    monkeypatch.setattr(explorer, "main", main)
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    at.run()
    assert len(seen) >= 2 and set(seen) == {1}
    assert page_runs.holding() == 0 and page_runs.waiting() == 0  # given back after each run


class _Rerun(BaseException):
    """Stands for Streamlit's RerunException (raised at a yield point when the visitor changed a setting)."""


def _kept(exc: BaseException) -> bool:
    return isinstance(exc, _Rerun)


def _queue_up(t: turns.Turns, name: str, order: list[str], until=None, **kwargs) -> threading.Thread:
    """A thread that waits for a turn, notes it got in, and leaves; returns once it is in line (one more
    waiter, or ``until()``)."""

    def run() -> None:
        with t.turn(name, keep=_kept, **kwargs):
            order.append(name)

    before = t.waiting()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    _wait_until(until or (lambda: t.waiting() == before + 1))
    return thread


def test_a_waiter_hears_how_many_are_ahead_of_it_and_one_let_in_at_once_hears_nothing():
    t = turns.Turns(1)
    heard: list[int] = []
    with t.turn(on_wait=heard.append, every=0.01):  # in at once: nothing to say
        pass
    assert heard == []
    t.acquire()
    order: list[str] = []
    first = _queue_up(t, "first", order)
    second = _queue_up(t, "second", order, on_wait=heard.append, every=0.01)
    _wait_until(lambda: heard and heard[-1] == 1)  # "first" is ahead
    t.release()  # "first" gets in and leaves: "second" was next, then in
    for thread in (first, second):
        thread.join(10)
    assert order == ["first", "second"]
    assert set(heard) <= {0, 1} and heard[0] == 1 and sorted(heard, reverse=True) == heard
    assert t.holding() == 0 and t.waiting() == 0


def test_a_rerun_while_waiting_keeps_the_place_for_the_same_sessions_next_run():
    t = turns.Turns(1)
    t.acquire()
    order: list[str] = []
    rerun = threading.Event()

    def on_wait(ahead: int) -> None:
        if rerun.is_set():
            raise _Rerun

    left: list[BaseException] = []

    def stale() -> None:  # the view the visitor left: in line before "later"
        try:
            with t.turn("visitor", on_wait=on_wait, every=0.01, keep=_kept):
                order.append("stale view")
        except _Rerun as exc:
            left.append(exc)

    thread = threading.Thread(target=stale, daemon=True)
    thread.start()
    _wait_until(lambda: t.waiting() == 1)
    later = _queue_up(t, "later", order)
    rerun.set()
    thread.join(10)
    assert left and order == [] and t.waiting() == 2  # the place stays in line, kept
    assert t.kept() == 1
    newer = _queue_up(t, "visitor", order, until=lambda: t.kept() == 0)  # the next run takes it back
    assert t.waiting() == 2
    t.release()
    for th in (newer, later):
        th.join(10)
    assert order == ["visitor", "later"]  # the newer view where the stale one stood
    assert t.holding() == 0 and t.waiting() == 0


def test_any_other_exception_while_waiting_gives_the_place_up():
    t = turns.Turns(1)
    t.acquire()

    def on_wait(ahead: int) -> None:
        raise KeyboardInterrupt  # e.g. Streamlit's StopException: the visitor closed the tab

    with pytest.raises(KeyboardInterrupt):
        t.acquire("visitor", on_wait=on_wait, every=0.01, keep=_kept)
    assert t.waiting() == 0
    order: list[str] = []
    other = _queue_up(t, "other", order)
    t.release()
    other.join(10)
    assert order == ["other"] and t.holding() == 0


def test_a_turn_left_by_a_rerun_goes_to_the_same_sessions_next_run_before_the_line():
    t = turns.Turns(1)
    order: list[str] = []
    with pytest.raises(_Rerun), t.turn("visitor", keep=_kept):
        waiter = _queue_up(t, "waiter", order)
        raise _Rerun  # st.rerun(), or the visitor's change seen by the page
    assert t.holding() == 1 and t.waiting() == 1 and t.kept() == 1  # kept, not handed to the waiter
    with t.turn("visitor", keep=_kept):
        order.append("visitor")
    waiter.join(10)
    assert order == ["visitor", "waiter"]
    assert t.holding() == 0 and t.waiting() == 0


def test_a_kept_turn_nobody_takes_back_goes_to_the_line_after_a_while(monkeypatch):
    monkeypatch.setattr(turns, "KEEP_S", 0.05)
    t = turns.Turns(1)
    order: list[str] = []
    with pytest.raises(_Rerun), t.turn("visitor", keep=_kept):
        raise _Rerun
    waiter = _queue_up(t, "waiter", order)  # the session never comes back (it was closed)
    time.sleep(0.1)
    assert order == []  # the kept turn is given up lazily, by the next caller...
    late = _queue_up(t, "late", order, until=lambda: t.kept() == 0)  # ...which finds it expired
    for th in (waiter, late):
        th.join(10)
    assert order == ["waiter", "late"]
    assert t.holding() == 0 and t.waiting() == 0


def test_a_page_run_that_waits_for_its_turn_says_so_and_then_draws(monkeypatch):
    page_runs = turns.Turns(1)
    monkeypatch.setattr(turns, "PAGE_RUNS", page_runs)
    monkeypatch.setattr(turns, "BUSY_EVERY_S", 0.2)
    said: list[int] = []
    busy_text = turns.busy_text
    monkeypatch.setattr(turns, "busy_text", lambda ahead: said.append(ahead) or busy_text(ahead))
    page_runs.acquire()  # another visitor's run holds the only turn...

    def leave_later() -> None:  # ...and leaves a second after this visitor's run got in line
        _wait_until(lambda: page_runs.waiting() == 1, timeout=170)
        time.sleep(1.0)
        page_runs.release()

    threading.Thread(target=leave_later, daemon=True).start()
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert said and set(said) == {0}  # "next in line", said while waiting
    assert [t.value for t in at.toast] == [turns.YOUR_TURN]  # the same toast, updated
    assert at.markdown  # then the page drew
    assert page_runs.holding() == 0 and page_runs.waiting() == 0


def test_a_page_that_reruns_keeps_its_turn_ahead_of_the_line(monkeypatch):
    import streamlit as st

    from lossviz.ui.pages import explorer

    page_runs = turns.Turns(1)
    monkeypatch.setattr(turns, "PAGE_RUNS", page_runs)
    waiting_at_start: list[int] = []
    original = explorer.main

    def main() -> None:
        waiting_at_start.append(page_runs.waiting())
        if len(waiting_at_start) == 1:  # another visitor gets in line, then this page reruns itself
            other = threading.Thread(target=lambda: (page_runs.acquire(), page_runs.release()), daemon=True)
            other.start()
            _wait_until(lambda: page_runs.waiting() == 1)
            st.rerun()
        original()

    monkeypatch.setattr(explorer, "main", main)
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert waiting_at_start == [0, 1]  # the rerun ran on the kept turn while the other still waited
    _wait_until(lambda: page_runs.holding() == 0)  # then the other got in (and left)
    assert page_runs.waiting() == 0 and page_runs.kept() == 0


def test_a_newer_call_with_a_waiters_key_takes_its_place_and_the_older_one_is_told():
    t = turns.Turns(1)
    t.acquire()
    order: list[str] = []
    told: list[BaseException] = []

    def older() -> None:  # Streamlit starts a visitor's newer run at once, in a thread of its own
        try:
            with t.turn("visitor", every=0.01):
                order.append("older")
        except turns.Superseded as exc:
            told.append(exc)

    thread = threading.Thread(target=older, daemon=True)
    thread.start()
    _wait_until(lambda: t.waiting() == 1)
    other = _queue_up(t, "other", order)
    newer = _queue_up(t, "visitor", order, until=lambda: bool(told))  # the older one is told at once
    assert t.waiting() == 2  # the newer call in the older one's place, ahead of "other"
    t.release()
    for th in (thread, newer, other):
        th.join(10)
    assert order == ["visitor", "other"]
    assert t.holding() == 0 and t.waiting() == 0


def test_a_holder_gives_its_turn_to_a_newer_call_with_its_key_before_the_line():
    t = turns.Turns(1)
    order: list[str] = []
    t.acquire("visitor")  # the visitor's older run holds the turn (it will stop at its next element)
    other = _queue_up(t, "other", order)
    newer = _queue_up(t, "visitor", order)  # the visitor's newer run, behind "other"
    t.release("visitor")  # the older run stops
    for th in (newer, other):
        th.join(10)
    assert order == ["visitor", "other"]
    assert t.holding() == 0 and t.waiting() == 0


def test_a_run_that_gets_in_at_once_says_your_turn_only_over_a_toast_an_older_run_left_up(monkeypatch):
    monkeypatch.setattr(turns, "PAGE_RUNS", turns.Turns(1))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception and not at.toast  # nobody waited: nothing to say
    at.session_state[turns._TOAST_UP] = True  # an older run of the session waited, said so, and was stopped
    at.run()
    assert not at.exception
    assert [t.value for t in at.toast] == [turns.YOUR_TURN]  # over the older run's toast, which then fades
    assert turns._TOAST_UP not in at.session_state
