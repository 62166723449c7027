"""Cold start to first chart in a real browser, and the server's memory over many page loads.

Budgets (DESIGN.md, "Performance budgets"): cold start to first chart in a
real browser <= 8 s; steady memory <= 600 MB.

* Cold start: a fresh ``streamlit run app.py`` process (t = 0 at its start);
  the browser (Debian's chromium driven by Playwright, launched beforehand)
  opens the page as soon as ``GET /_stcore/health`` answers, and the time of
  the first drawn Vega chart (a ``canvas``/``svg`` inside
  ``[data-testid="stVegaLiteChart"]``) is the figure. The time to all three
  charts of the Explorer is printed too.
* Memory: then ~20 page loads with different links (learning rate, shift,
  scale, problems, optimizers, maps: new sessions, new compiles); the server
  process's RSS (``/proc/<pid>/status`` VmRSS, and VmHWM for the peak) is
  printed after each, with the peak and the final value.
* Baseline in the same run: a process that only imports streamlit + jax +
  the app's modules (no page served), to show what the serving adds.
* Optional comparison (``--cache-compare``, adds ~1 min): cold start with
  JAX's persistent compilation cache empty vs warm (a temporary
  ``LOSSVIZ_JAX_CACHE``: a server restart). The main cold start uses a fresh,
  empty cache too.

The page loads stop early (and say so) when they pass ``--seconds``, so the
script stays under ~2 minutes on a busy machine.

Never runs ``playwright install``: it uses ``/usr/bin/chromium``.
Run from the repo root: ``python benchmarks/bench_browser.py [--loads N] [--cache-compare]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import _server  # noqa: E402  (benchmarks/_server.py, beside this script)
from playwright.sync_api import sync_playwright  # noqa: E402

from lossviz.ui import settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHART = "[data-testid='stVegaLiteChart']"
DRAWN = f"{CHART} canvas, {CHART} svg"
N_CHARTS = 3
FIRST_CHART_BUDGET_S = 8.0
MEMORY_BUDGET_MB = 600.0


def _label(key: str, name: str) -> str:
    return settings.label_of(key, name)


# Links to load, in order: a continuous change and a choice that compiles new programs, alternately,
# so that a run cut short by --seconds has still visited several problems and optimizers.
LINKS: tuple[dict[str, str], ...] = (
    {"lr": "0.1"},
    {"problem": _label("problem", "rosenbrock"), "opt": _label("opt", "adam"), "c": "-6.2832"},
    {"lr": "0.01", "c": "-6.2832"},
    {"problem": _label("problem", "saddle"), "a": "-1"},
    {"c": "3.5"},
    {"problem": _label("problem", "himmelblau"), "opt": _label("opt", "momentum"), "momentum": "0.8"},
    {"a": "-1"},
    {"problem": _label("problem", "beale"), "lr": "1"},
    {"a": "2.5", "c": "-1"},
    {"problem": _label("problem", "rastrigin"), "g": _label("g", "log1p")},
    {"x0": "2.0", "y0": "-1.0"},
    {"problem": _label("problem", "logistic_regression"), "opt": _label("opt", "polyak")},
    {"step": "50"},
    {"problem": _label("problem", "quadratic"), "opt": _label("opt", "lion"), "steps": "1000"},
    {"problem": _label("problem", "rosenbrock"), "lr": "0.001"},
    {"opt": _label("opt", "nesterov"), "g": _label("g", "sqrt")},
    {"opt": _label("opt", "backtracking"), "c": "-100"},
    {"opt": _label("opt", "loss_x_grad"), "a": "-1"},
    {"lr": "abc", "x0": "nan", "problem": "<script>"},
    {},
)


class Server(_server.Server):
    """The app's server with a fresh, empty persistent compilation cache: a cold start."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.cache = tempfile.mkdtemp(prefix="bench_browser_jax_")
        super().__init__(
            extra_env={"LOSSVIZ_JAX_CACHE": self.cache, **(extra_env or {})}, name="bench_browser"
        )


def _wait_charts(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_selector(DRAWN, timeout=timeout_ms)
    page.wait_for_function(
        f'document.querySelectorAll("{CHART}").length >= {N_CHARTS} && '
        f"Array.from(document.querySelectorAll(\"{CHART}\")).every(c => c.querySelector('canvas, svg'))",
        timeout=timeout_ms,
    )


# What the page shows, polled while it loads: (milestone, JavaScript condition).
_MILESTONES = (
    ("sidebar shown (page modules imported)", "q(\"[data-testid='stSidebar']\").length > 0"),
    ("verdict shown (first run computed)", 'q(".st-key-verdict").length > 0'),
    ("first chart element", f'q("{CHART}").length > 0'),
    ("first chart drawn", f'q("{DRAWN}").length > 0'),
    (
        "all charts drawn",
        f"Array.from(q(\"{CHART}\")).filter(c => c.querySelector('canvas, svg')).length >= {N_CHARTS}",
    ),
)
_PROBE = (
    "() => { const q = s => document.querySelectorAll(s); return ["
    + ", ".join(js for _, js in _MILESTONES)
    + "]; }"
)


def load_timeline(page, url: str, t0: float, timeout: float = 120.0) -> dict[str, float]:
    """Opens ``url`` and returns when (s since ``t0``) each milestone was first seen (polled every 50 ms)."""
    t_nav = time.perf_counter()
    page.goto(url, wait_until="commit")
    seen: dict[str, float] = {"navigation": t_nav - t0}
    deadline = time.perf_counter() + timeout
    while len(seen) <= len(_MILESTONES) and time.perf_counter() < deadline:
        for (name, _), hit in zip(_MILESTONES, page.evaluate(_PROBE), strict=True):
            if hit and name not in seen:
                seen[name] = time.perf_counter() - t0
        time.sleep(0.05)
    if len(seen) <= len(_MILESTONES):
        error = page.locator("[data-testid='stException']")
        shown = error.first.inner_text() if error.count() else "(no exception shown)"
        raise RuntimeError(f"the page did not draw its charts within {timeout:g} s: {seen}\n{shown}")
    return seen


def cold_start(browser, extra_env: dict[str, str] | None = None) -> tuple[Server, object, dict[str, float]]:
    """Starts a server, opens the page; returns the server, the page and the timeline (s since start)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    server = Server(extra_env)
    try:
        times = {"server healthy": server.wait_healthy()}
        times.update(load_timeline(page, server.url + "/", server.t0))
    except BaseException:
        context.close()
        server.stop()
        raise
    if page.locator("[data-testid='stException']").count():
        print(
            "  the page shows an exception:\n"
            + page.locator("[data-testid='stException']").first.inner_text()
        )
    return server, page, times


def baseline_import_rss() -> float:
    """RSS (MB) of a process that imports the app's modules and compiles nothing."""
    code = (
        "import streamlit, jax, jax.numpy as jnp, optax, altair, pandas\n"
        "import lossviz, lossviz.charts, lossviz.ui.settings\n"
        "jnp.zeros(2).block_until_ready()\n"
        "print(open('/proc/self/status').read())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", type=int, default=len(LINKS), help="page loads after the cold start")
    parser.add_argument("--seconds", type=float, default=85.0, help="stop the page loads after this long")
    parser.add_argument("--cache-compare", action="store_true", help="cold start with a persistent JAX cache")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} not found: apt-get install -y chromium (never `playwright install`)")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    base_rss = baseline_import_rss()
    print(f"baseline: a process importing streamlit + jax + lossviz (nothing served): RSS {base_rss:.0f} MB")

    results: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            server, page, times = cold_start(browser)
            try:
                print(
                    "\ncold start (fresh server process, no persistent JAX cache), "
                    "seconds since the process started:"
                )
                for name, t in times.items():
                    print(f"  {t:6.2f} s  {name}")
                results.update(times)
                # Baseline: the same page from the now warm server in a fresh browser context
                # (no compiles; the browser still loads the frontend and Vega and draws).
                warm_context = browser.new_context(viewport={"width": 1500, "height": 1100})
                warm = load_timeline(warm_context.new_page(), server.url + "/", time.perf_counter())
                warm_context.close()
                results["warm first chart"] = warm["first chart drawn"]
                print(
                    f"baseline: the same page from the warm server, fresh browser context: first chart "
                    f"{warm['first chart drawn']:.2f} s, all charts {warm['all charts drawn']:.2f} s "
                    "after navigation"
                )
                rss, hwm = _server.vm_rss_mb(server.proc.pid)
                print(f"RSS after the first page: {rss:.0f} MB\n\npage loads (each a new session):")
                samples = [rss]
                t_loads = time.perf_counter()
                done = 0
                for i in range(args.loads):
                    if time.perf_counter() - t_loads > args.seconds:
                        print(f"  stopped after {i} loads: past --seconds {args.seconds:g}")
                        break
                    query = LINKS[i % len(LINKS)]
                    t = time.perf_counter()
                    page.goto(server.url + "/?" + urllib.parse.urlencode(query))
                    _wait_charts(page)
                    dt = time.perf_counter() - t
                    rss, hwm = _server.vm_rss_mb(server.proc.pid)
                    samples.append(rss)
                    done += 1
                    link = urllib.parse.urlencode(query)
                    print(f"  {i + 1:2d} {dt:5.2f} s to {N_CHARTS} charts, RSS {rss:5.0f} MB  ?{link}")
                time.sleep(2.0)
                rss, hwm = _server.vm_rss_mb(server.proc.pid)
                results.update(final=rss, peak=max(hwm, *samples), loads=done)
                print(f"RSS after the loads, 2 s idle: {rss:.0f} MB; peak (VmHWM) {hwm:.0f} MB")
            finally:
                page.context.close()
                server.stop()

            if args.cache_compare:
                with tempfile.TemporaryDirectory(prefix="bench_jax_cache_") as cache:
                    env = {"LOSSVIZ_JAX_CACHE": cache}
                    print("\npersistent JAX compilation cache (LOSSVIZ_JAX_CACHE, a restart):")
                    for label in ("empty (cold)", "warm"):
                        server, page, times = cold_start(browser, env)
                        page.context.close()
                        server.stop()
                        n = sum(len(files) for _, _, files in os.walk(cache))
                        print(
                            f"  cache {label:12s}: first chart {times['first chart drawn']:.2f} s, "
                            f"all charts {times['all charts drawn']:.2f} s ({n} cache files)"
                        )
                        results[f"first chart, cache {label}"] = times["first chart drawn"]
        finally:
            browser.close()

    first = results["first chart drawn"]
    print(f"\nSUMMARY (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    print(
        f"  {'PASS' if first <= FIRST_CHART_BUDGET_S else 'FAIL'}  cold start to first chart: {first:.2f} s "
        f"(budget <= {FIRST_CHART_BUDGET_S:g} s; server healthy at {results['server healthy']:.2f} s, "
        f"all charts at {results['all charts drawn']:.2f} s; "
        f"warm server, fresh browser: {results['warm first chart']:.2f} s)"
    )
    if "first chart, cache warm" in results:
        print(
            f"        with a persistent JAX cache: empty {results['first chart, cache empty (cold)']:.2f} s, "
            f"warm {results['first chart, cache warm']:.2f} s"
        )
    print(
        f"  {'PASS' if results['peak'] <= MEMORY_BUDGET_MB else 'FAIL'}  server memory over "
        f"{results['loads']} loads: "
        f"peak {results['peak']:.0f} MB, final {results['final']:.0f} MB (budget <= {MEMORY_BUDGET_MB:g} MB; "
        f"import-only baseline {base_rss:.0f} MB)"
    )


if __name__ == "__main__":
    main()
