"""Warm-up: the app's programs compile once per server, before visitors need them.

When the server starts (``app.py``'s ``st.App`` lifespan hook; or on the first script run, when the
pages run on their own, e.g. in ``AppTest``), :func:`warm` turns on JAX's
persistent compilation cache (a restart then loads the programs instead of
compiling them), compiles editions of the engine's lanes and surfaces programs for the landing
view's problem alone (:func:`lossviz.engine.warm_up_landing`), and compiles the rest in a
background thread: the full lanes and surfaces programs, the families of the live pair (learning
rates and starts), then the other pages' programs (the non-differentiable
page's, then the training page's default view, then every other training
program: :func:`lossviz.training.warm_up`), and last trains every other data set's default view
(:func:`lossviz.ui.cached.keep_default_views`). Every visitor after that finds them warm.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import jax
import streamlit as st

from lossviz import engine, nondifferentiable, programs, training
from lossviz.ui import cached
from lossviz.ui.settings import TrainingSettings

WARM_MESSAGE = "lossviz: every program is warm"
"""Printed to the server's log (stderr) when the warm-up thread has compiled every program."""
VIEWS_MESSAGE = "lossviz: the warm-up is done"
"""Printed after :data:`WARM_MESSAGE` once every data set's default view is kept too (the warm-up
thread's last work)."""
FIRST_VIEW_S = 2.0
"""Seconds the warm-up thread leaves the cores to the first visitor's page, from when that page's
run started or the landing editions were ready, whichever is later: the page runs and draws on the
editions, and the thread's compiles keep both cores busy (a browser on the same machine draws the
first charts with them). Only when a visitor is there: a server that starts with nobody on it
(a restart, a deploy) compiles at once (every program warm ~2 s sooner). The thread looks before
each stage of its work, so a visitor who comes a little later also gets the pause once."""

_first_page_at: float | None = None  # time.perf_counter() of the process's first page run


def page_started() -> None:
    """Notes the start of a page run (``app_pages.py`` calls it first thing); the first one's time is
    kept for :data:`FIRST_VIEW_S` (two first runs racing keep either's: microseconds apart)."""
    global _first_page_at
    if _first_page_at is None:
        _first_page_at = time.perf_counter()


CACHE_ENV = "LOSSVIZ_JAX_CACHE"
"""Folder of the persistent compilation cache; empty to turn it off."""


def cache_dir() -> Path | None:
    """Where compiled programs persist across restarts: ``$LOSSVIZ_JAX_CACHE``, else a writable default."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "":
        return None
    for folder in ([Path(chosen)] if chosen else []) + [
        Path.home() / ".cache" / "lossviz" / "jax",
        Path(tempfile.gettempdir()) / "lossviz-jax",
    ]:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".writable"
            probe.touch()
            probe.unlink()
            return folder
        except OSError:
            continue
    return None


def use_persistent_cache() -> Path | None:
    folder = cache_dir()
    if folder is not None:
        jax.config.update("jax_compilation_cache_dir", str(folder))
        # every program of the app is worth keeping (the smallest compile in ~0.1 s)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder


def settle_heap() -> None:
    """Moves every object alive now (modules, compiled programs, schemas) out of the collector's reach.

    Streamlit runs a full garbage collection after every script run. With the app's modules and
    programs loaded that visits ~280,000 objects: ~125 ms of a core per view, holding the GIL
    (a quarter of the server's CPU under 8 visitors). Frozen objects are never visited again, so
    a collection costs what the visitors' runs have created since. What is frozen lives as long
    as the process: call this only after a warm-up, whose objects would live as long anyway.
    """
    gc.collect()
    gc.freeze()


class WarmUp:
    """What the warm-up did: seconds for the landing programs, and the thread doing the rest."""

    def __init__(self) -> None:
        programs.limit_malloc_arenas()  # before the visitors' script threads first allocate
        self.cache = use_persistent_cache()
        start = time.perf_counter()
        # editions of the landing view's problem alone (~1.1 s from an empty cache, the full
        # programs ~3.5-4 s): the rest compiles in the thread while the first visitor's page draws
        engine.warm_up_landing()
        self.editions_at = time.perf_counter()
        self.landing_seconds = self.editions_at - start
        settle_heap()
        self.rest_seconds: float | None = None
        self.families = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._rest, name="lossviz-warm-up", daemon=True)
        self.thread.start()
        # A process that exits while this thread is inside XLA's compiler crashes (a segmentation
        # fault in the compiler's teardown): at exit the thread stops after the compile under way.
        atexit.register(self.stop)

    def stop(self, timeout: float = 120.0) -> None:
        """Asks the thread to stop after the program it is compiling, and waits for it."""
        self.stopping.set()
        self.thread.join(timeout)

    def _let_first_page_draw(self) -> bool:
        """Waits out :data:`FIRST_VIEW_S` if the first visitor's page started (or the editions were
        ready, if later) less than that ago; nothing if no visitor has come. True if asked to stop."""
        if _first_page_at is None:
            return False
        remaining = max(_first_page_at, self.editions_at) + FIRST_VIEW_S - time.perf_counter()
        return remaining > 0 and self.stopping.wait(remaining)

    def _rest(self) -> None:
        # A moment for the first page to draw, then the full lanes and surfaces programs, then the
        # live pair's families (the landing page draws a still pair on its editions until they are
        # ready; then the editions are dropped), then the rest. Not the families first: tracing
        # them holds the GIL for long while the first visitor's page draws (cold start to first
        # chart 8.1-11.6 s instead of 7.5-9.4 s, in pairs). A visitor who opens another page sooner compiles its programs on
        # demand (one compile at a time, see lossviz.programs).
        if self._let_first_page_draw():
            return
        engine.warm_up(families=engine.FAMILY_SIZES[:2])
        self.families.set()  # the landing page turns live
        start = time.perf_counter()
        stages = (
            nondifferentiable.warm_up,
            # the training page's default view (which compiles its data set frame's program first)
            lambda: cached.keep_default_views((TrainingSettings().dataset,)),
            # every other data set frame and width bucket (the optimizer and the batch size are data)
            lambda: training.warm_up(should_stop=self.stopping.is_set),
        )
        for stage in stages:
            if self.stopping.is_set() or self._let_first_page_draw():
                return
            stage()
        self.rest_seconds = time.perf_counter() - start
        print(
            f"{WARM_MESSAGE} ({self.rest_seconds:.1f} s after the landing page's)",
            file=sys.stderr,
            flush=True,
        )
        # then every other data set's default view, drawn at once when a visitor picks that set
        # (no program of its own: trained on the warm ones)
        cached.keep_default_views(should_stop=self.stopping.is_set)
        if self.stopping.is_set():
            return
        settle_heap()
        print(
            f"{VIEWS_MESSAGE} ({time.perf_counter() - start:.1f} s after the landing page's)",
            file=sys.stderr,
            flush=True,
        )


@st.cache_resource(show_spinner="Preparing the computations (once per server)…")
def warm() -> WarmUp:
    """The process's one warm-up (started by the first script run)."""
    return WarmUp()


def families_ready(wait: float = 0.0) -> bool:
    """Whether the live pair's family programs are compiled (always, after a server's first seconds),
    waiting up to ``wait`` seconds for them."""
    return warm().families.wait(wait) if wait > 0 else warm().families.is_set()
