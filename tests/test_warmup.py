"""The server's warm-up and its persistent compilation cache."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from lossviz.ui import warmup


def test_cache_folder_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(warmup.CACHE_ENV, str(tmp_path / "c"))
    assert warmup.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()
    monkeypatch.setenv(warmup.CACHE_ENV, "")
    assert warmup.cache_dir() is None


def test_an_unwritable_folder_falls_back_to_a_writable_one(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(warmup.CACHE_ENV, str(blocker / "sub"))
    folder = warmup.cache_dir()
    assert folder is not None and folder != blocker / "sub" and os.access(folder, os.W_OK)


WARM = """
from jax import monitoring
events = []
monitoring.register_event_listener(lambda event, **kw: events.append(event))
monitoring.register_event_duration_secs_listener(lambda event, duration, **kw: events.append(event))
from lossviz.ui import warmup
warmup.FIRST_VIEW_S = 0.0
w = warmup.WarmUp()
w.thread.join()
from lossviz import engine
misses = events.count("/jax/compilation_cache/cache_misses")  # compiled by XLA
hits = events.count("/jax/compilation_cache/cache_hits")  # loaded from the folder
print(misses, hits, w.rest_seconds is not None, engine._LANES.live(), engine._SURFACES.live())
"""


def test_a_restart_loads_the_programs_from_the_persistent_cache(tmp_path):
    env = {**os.environ, warmup.CACHE_ENV: str(tmp_path)}
    runs = [
        subprocess.run([sys.executable, "-c", WARM], env=env, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    first, second = ([int(v) if v.isdigit() else v for v in r.stdout.split()] for r in runs)
    assert (
        first[0] >= 5 and first[1] == 0 and first[2:] == ["True", 1, 1]
    )  # all compiled: engine, pages, training
    assert any(name.startswith("jit__lanes_program") for name in os.listdir(tmp_path))
    assert second[0] == 0 and second[1] >= 5  # the restart compiled nothing: every program was loaded
    assert second[2:] == ["True", 1, 1]


def test_the_warm_up_thread_stops_between_programs_when_asked(monkeypatch):
    # at exit (atexit) the thread must not be left inside XLA's compiler: stop() waits for the
    # program under way and nothing after it starts
    from lossviz import engine, nondifferentiable, training
    from lossviz.ui import cached

    calls, release = [], threading.Event()

    def families(families=()):
        calls.append(("families", families))
        if families == engine.FAMILY_SIZES[:2]:
            release.wait(10)  # "compiling" while stop() is asked

    monkeypatch.setattr(engine, "warm_up_landing", lambda: calls.append("landing"))
    monkeypatch.setattr(engine, "warm_up", families)
    monkeypatch.setattr(nondifferentiable, "warm_up", lambda: calls.append("nondiff"))
    monkeypatch.setattr(cached, "keep_default_views", lambda *a, **kw: calls.append("training views"))
    monkeypatch.setattr(training, "warm_up", lambda **kw: calls.append("training"))
    monkeypatch.setattr(warmup, "FIRST_VIEW_S", 0.0)
    monkeypatch.setenv(warmup.CACHE_ENV, "")
    w = warmup.WarmUp()
    stopper = threading.Thread(target=w.stop)
    stopper.start()
    assert w.stopping.wait(5)  # stop() was asked while the families were "compiling"
    release.set()
    stopper.join(10)
    assert not w.thread.is_alive()
    assert calls == ["landing", ("families", engine.FAMILY_SIZES[:2])]
    assert w.rest_seconds is None


def _quick_stages(monkeypatch, calls: list):
    """The warm-up's stages replaced by ones that note when they ran."""
    from lossviz import engine, nondifferentiable, training
    from lossviz.ui import cached

    def note(name):
        return lambda *a, **kw: calls.append((name, time.perf_counter()))

    monkeypatch.setattr(engine, "warm_up_landing", lambda: None)
    monkeypatch.setattr(engine, "warm_up", note("engine"))
    monkeypatch.setattr(nondifferentiable, "warm_up", note("nondiff"))
    monkeypatch.setattr(cached, "keep_default_views", note("training views"))
    monkeypatch.setattr(training, "warm_up", note("training"))
    monkeypatch.setattr(warmup, "settle_heap", lambda: None)
    monkeypatch.setenv(warmup.CACHE_ENV, "")


def test_with_no_visitor_yet_the_warm_up_compiles_at_once(monkeypatch):
    calls: list = []
    _quick_stages(monkeypatch, calls)
    monkeypatch.setattr(warmup, "_first_page_at", None)  # no page run has started in this "server"
    monkeypatch.setattr(warmup, "FIRST_VIEW_S", 30.0)
    start = time.perf_counter()
    w = warmup.WarmUp()
    w.thread.join(10)
    assert w.rest_seconds is not None, "the thread paused although no visitor was there"
    assert calls[0][0] == "engine" and calls[0][1] - start < 5


def test_a_visitors_first_page_gets_the_cores_first(monkeypatch):
    calls: list = []
    _quick_stages(monkeypatch, calls)
    monkeypatch.setattr(warmup, "_first_page_at", None)
    monkeypatch.setattr(warmup, "FIRST_VIEW_S", 1.0)
    warmup.page_started()  # a visitor's page run starts (app_pages.py's first line)
    first = warmup._first_page_at
    warmup.page_started()  # a later run does not move it
    assert warmup._first_page_at == first
    w = warmup.WarmUp()
    w.thread.join(10)
    assert w.rest_seconds is not None
    assert calls[0][0] == "engine"
    assert calls[0][1] - max(first, w.editions_at) >= 0.95  # nothing compiled while the page drew


def test_after_the_warm_up_a_full_collection_visits_only_what_visitors_made_since(monkeypatch, capfd):
    # Streamlit collects garbage after every script run: without the freeze each collection
    # visits every module's and program's objects (~125 ms per view in the app)
    import gc

    from lossviz import engine, nondifferentiable, training
    from lossviz.ui import cached

    monkeypatch.setattr(engine, "warm_up_landing", lambda: None)
    monkeypatch.setattr(engine, "warm_up", lambda families=(): None)
    monkeypatch.setattr(nondifferentiable, "warm_up", lambda: None)
    monkeypatch.setattr(cached, "keep_default_views", lambda *a, **kw: None)
    monkeypatch.setattr(training, "warm_up", lambda **kw: None)
    monkeypatch.setattr(warmup, "FIRST_VIEW_S", 0.0)
    monkeypatch.setenv(warmup.CACHE_ENV, "")
    gc.unfreeze()
    try:
        before = len(gc.get_objects())
        w = warmup.WarmUp()
        w.thread.join(10)
        assert w.rest_seconds is not None
        assert gc.get_freeze_count() >= before // 2
        made_since = [[k] for k in range(1000)]
        assert len(gc.get_objects()) < before // 10 + len(made_since)
    finally:
        gc.unfreeze()
    # the load benchmark waits for this line in the server's log ("after warm-up")
    err = capfd.readouterr().err
    assert warmup.WARM_MESSAGE in err and warmup.VIEWS_MESSAGE in err
    assert err.index(warmup.WARM_MESSAGE) < err.index(warmup.VIEWS_MESSAGE)
    bench = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_load.py"
    text = bench.read_text(encoding="utf-8")
    assert f'WARM_MESSAGE = "{warmup.WARM_MESSAGE}"' in text
    assert f'VIEWS_MESSAGE = "{warmup.VIEWS_MESSAGE}"' in text
