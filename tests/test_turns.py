"""Page runs take turns (lossviz.ui.turns): at most a limit at once, the others in the order they came."""

import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lossviz.ui import turns

APP = str(Path(__file__).resolve().parent.parent / "app.py")


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
