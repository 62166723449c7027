"""JIT compiles and server time of an Explorer rerun when a continuous control changes.

Budgets (DESIGN.md, "Performance budgets"):

* No JIT compile when a continuous control changes (learning rate, momentum,
  shift c, scale a, start point x0/y0, playback step).
* A rerun after a slider change: <= 150 ms median server time.

The script drives the real page headless with
``streamlit.testing.v1.AppTest.from_file("app.py")``: one run at the defaults
(warms the JIT caches), then many changes of each continuous control by its
widget key (``lossviz.ui.settings``), one ``at.run()`` per change. Compiles are
counted with a ``jax.monitoring`` listener on
``/jax/core/compile/backend_compile_duration``; each ``at.run()`` is timed
with ``time.perf_counter`` (the script runs in-process: this is the server's
time for the rerun, without the network and the browser's drawing).
``momentum`` exists only for the momentum optimizer, so the page is switched
to it first (that switch compiles, as a new optimizer must; it is not counted).

As a baseline from the same process it also times a rerun where nothing
changed (every engine call is a cache hit): the floor of Streamlit + charts.

Run from the repo root: ``python benchmarks/bench_compiles.py [--changes N] [--profile]``.
``--profile`` prints the hottest functions (cProfile, script thread) of the
reruns after a learning-rate change.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax  # noqa: E402
import numpy as np  # noqa: E402
from streamlit import logger as _st_logger  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

# AppTest runs the page outside a server: this warning is expected and says nothing.
_st_logger.get_logger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel("ERROR")

from lossviz.problems import PROBLEMS  # noqa: E402
from lossviz.ui import settings  # noqa: E402

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
RERUN_BUDGET_MS = 150.0

_compiles: list[float] = []
_jax_events: dict[str, float] = {}

# Functions timed (wall clock, summed per rerun) to show where a rerun goes.
# (module, attribute); indented names run inside the ones above them.
_TIMED = (
    ("lossviz.ui.pages.explorer", "settings_ui"),
    ("lossviz.ui.pages.explorer", "render_verdict"),
    ("lossviz.ui.cached", "families"),
    ("lossviz.ui.pages.explorer", "step_state"),
    ("lossviz.ui.pages.explorer", "render_landscapes"),
    ("lossviz.ui.cached", "landscape_and_hover"),
    ("lossviz.charts.landscape", "landscape_pair"),
    ("lossviz.ui.pages.explorer", "render_readout"),
    ("lossviz.ui.pages.explorer", "render_loss_chart"),
    ("lossviz.charts.explorer", "loss_path_chart"),
    ("lossviz.ui.pages.explorer", "render_all_optimizers"),
    ("lossviz.ui.cached", "all_optimizers"),
    ("lossviz.charts.explorer", "optimizer_deviation_chart"),
    ("lossviz.ui.pages.explorer", "render_download"),
    ("lossviz.ui.pages.explorer", "render_explanation"),
    ("lossviz.ui.common", "arrow_datasets"),
    ("streamlit", "vega_lite_chart"),
)
_NESTED = {
    "landscape_views",
    "landscape_pair",
    "loss_path_chart",
    "all_optimizers",
    "optimizer_deviation_chart",
}
_spent: dict[str, float] = {}


def _install_timers() -> None:
    """Wraps the page's parts so each rerun's time can be split (in this process only)."""
    import functools
    import importlib

    for module_name, attr in _TIMED:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr)
        if getattr(fn, "_bench_timed", False):
            continue

        def timed(*args, __fn=fn, __name=f"{module_name}.{attr}", **kwargs):
            t0 = time.perf_counter()
            try:
                return __fn(*args, **kwargs)
            finally:
                _spent[__name] = _spent.get(__name, 0.0) + time.perf_counter() - t0

        functools.update_wrapper(timed, fn)
        timed._bench_timed = True
        setattr(module, attr, timed)


def _print_breakdown(n_reruns: int, median_ms: float, what: str = "median rerun") -> None:
    print(f"\nwhere a run goes (mean ms per run over {n_reruns} runs; indented = inside the line above):")
    for module_name, attr in _TIMED:
        name = f"{module_name}.{attr}"
        ms = 1e3 * _spent.get(name, 0.0) / max(n_reruns, 1)
        indent = "    " if attr in _NESTED else "  "
        print(f"{indent}{name:42s} {ms:8.1f} ms")
    print(f"  ({what} {median_ms:.0f} ms; st.vega_lite_chart: the spec's JSON and its Arrow datasets)")


def _on_event(event: str, duration: float, **_: object) -> None:
    if event == COMPILE_EVENT:
        _compiles.append(duration)
    if event.startswith("/jax/core/compile/"):
        _jax_events[event] = _jax_events.get(event, 0.0) + duration


def _values(control: str, n: int, rng: np.random.Generator) -> list:
    """``n`` successive values of a control, each different from the one before."""
    p = PROBLEMS[settings.DEFAULT_PROBLEM]
    (lo1, hi1), (lo2, hi2) = p.bounds
    if control == settings.LR:
        choices = [c for c in settings.LR_CHOICES if 1e-3 <= c <= 0.2 and c != settings.DEFAULT_LR_EXPLORER]
        return [choices[i % len(choices)] for i in range(n)]
    if control == "momentum":
        return [round(0.5 + 0.01 * ((7 * i) % 49), 2) for i in range(n)]
    if control == settings.SHIFT:
        return [round(float(x), 4) for x in rng.uniform(-10.0, 10.0, n)]
    if control == settings.SCALE:
        return [round(float(x), 3) for x in rng.uniform(0.2, 3.0, n)]
    if control == settings.X0:
        return [round(float(x), 3) for x in rng.uniform(lo1, hi1, n)]
    if control == settings.Y0:
        return [round(float(x), 3) for x in rng.uniform(lo2, hi2, n)]
    if control == settings.PLAYBACK_STEP:
        return [int((37 * (i + 1)) % settings.DEFAULT_STEPS) for i in range(n)]
    raise ValueError(control)


def _widget(at: AppTest, control: str):
    kind = {
        settings.LR: at.select_slider,
        "momentum": at.slider,
        settings.PLAYBACK_STEP: at.slider,
    }.get(control, at.number_input)
    return kind(key=control)


def _timed_run(at: AppTest) -> tuple[float, int]:
    before = len(_compiles)
    t0 = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"the page raised:\n{at.exception}")
    return elapsed, len(_compiles) - before


class _ScriptThreadProfiler:
    """cProfile of the AppTest script thread (cProfile sees only its own thread)."""

    def __init__(self) -> None:
        from streamlit.testing.v1 import local_script_runner

        self.cls = local_script_runner.LocalScriptRunner
        self.original = self.cls._run_script_thread
        self.profile = cProfile.Profile()

    def __enter__(self) -> cProfile.Profile:
        profile, original = self.profile, self.original

        def wrapped(runner) -> None:
            profile.enable()
            try:
                original(runner)
            finally:
                profile.disable()

        self.cls._run_script_thread = wrapped
        return profile

    def __exit__(self, *exc: object) -> None:
        self.cls._run_script_thread = self.original


def _print_profile(profile: cProfile.Profile, n: int = 25) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(n)
    print(out.getvalue())


def _report(control: str, times: list[float], compiles: list[int]) -> None:
    print(
        f"{control:14s} {len(times):3d} changes, {sum(compiles)} compiles {compiles}; rerun median "
        f"{1e3 * statistics.median(times):.0f} ms (min {1e3 * min(times):.0f}, max {1e3 * max(times):.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=12, help="at most this many changes per control")
    parser.add_argument(
        "--seconds", type=float, default=75.0, help="time for the changes: fewer changes if reruns are slow"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the reruns after a lr change")
    args = parser.parse_args()
    jax.monitoring.register_event_duration_secs_listener(_on_event)
    rng = np.random.default_rng(0)
    print(f"jax {jax.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")

    # Cold start, split: the page's imports, then its first run (compiles, charts).
    t0 = time.perf_counter()
    _install_timers()  # imports the page's modules (the explorer, its charts...)
    t_import = time.perf_counter() - t0
    at = AppTest.from_file(os.path.join(ROOT, "app_pages.py"), default_timeout=300)
    t, n = _timed_run(at)
    spent = ", ".join(
        f"{k.rsplit('/', 1)[-1].removesuffix('_duration')} {v:.2f} s" for k, v in _jax_events.items()
    )
    print(f"cold: importing the page's modules {t_import:.2f} s (jax, streamlit already imported)")
    print(f"cold: first run at defaults {t:.2f} s, {n} compiles; JAX compile time: {spent}")
    _print_breakdown(1, 1e3 * t, "first run")
    # the budget is for a warm server: let the warm-up thread finish its compiles first (they
    # would be counted against the controls, and they take the CPUs the reruns are timed on)
    t0 = time.perf_counter()
    for thread in threading.enumerate():
        if thread.name == "lossviz-warm-up":  # lossviz.ui.warmup's, started by the first run
            thread.join()
    print(f"waited {time.perf_counter() - t0:.1f} s for the server's warm-up thread")
    _spent.clear()
    same = [_timed_run(at)[0] for _ in range(5)]
    floor = 1e3 * statistics.median(same)
    print(f"baseline: rerun with nothing changed: median {floor:.0f} ms (n={len(same)})")
    changes = max(3, min(args.changes, int(args.seconds / (8 * 1.5 * statistics.median(same)))))
    _spent.clear()
    print(f"{changes} changes per control\n")

    controls = [settings.LR, settings.SHIFT, settings.SCALE, settings.X0, settings.Y0, settings.PLAYBACK_STEP]
    results: dict[str, tuple[list[float], list[int]]] = {}
    for control in controls:
        times, compiles = [], []
        for value in _values(control, changes, rng):
            _widget(at, control).set_value(value)
            t, n = _timed_run(at)
            times.append(t)
            compiles.append(n)
        results[control] = (times, compiles)
        _report(control, times, compiles)
    # Back to the defaults of the transform, then the momentum optimizer.
    for control, value in (
        (settings.SHIFT, 0.0),
        (settings.SCALE, 1.0),
        (settings.LR, settings.DEFAULT_LR_EXPLORER),
    ):
        _widget(at, control).set_value(value)
    at.selectbox(key=settings.OPTIMIZER).set_value(settings.label_of(settings.OPTIMIZER, "momentum"))
    t, n = _timed_run(at)
    print(f"switch to the momentum optimizer (may compile): {1e3 * t:.0f} ms, {n} compiles")
    for control in ("momentum", settings.LR):
        times, compiles = [], []
        for value in _values(control, changes, rng):
            _widget(at, control).set_value(value)
            t, n = _timed_run(at)
            times.append(t)
            compiles.append(n)
        name = control if control == "momentum" else "lr (momentum)"
        results[name] = (times, compiles)
        _report(name, times, compiles)
    all_times = [t for times, _ in results.values() for t in times]
    total_compiles = sum(sum(c) for _, c in results.values())
    median = 1e3 * statistics.median(all_times)
    _print_breakdown(len(all_times) + 1, median)  # + 1: the switch to momentum

    if args.profile:
        print("\ncProfile of the script thread over reruns after a learning-rate change:")
        with _ScriptThreadProfiler() as profile:
            for value in _values(settings.LR, 3, rng):
                _widget(at, settings.LR).set_value(value)
                _timed_run(at)
        _print_profile(profile)

    print(f"\nSUMMARY (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    print(
        f"  {'PASS' if total_compiles == 0 else 'FAIL'}  no JIT compile on a continuous control change: "
        f"{total_compiles} compiles over {len(all_times)} changes of {', '.join(results)}"
    )
    print(
        f"  {'PASS' if median <= RERUN_BUDGET_MS else 'FAIL'}  rerun after a control change: median "
        f"{median:.0f} ms (budget <= {RERUN_BUDGET_MS:g} ms; n={len(all_times)}); "
        f"nothing-changed rerun {floor:.0f} ms = {median / floor:.1f}x of that floor"
    )


if __name__ == "__main__":
    main()
