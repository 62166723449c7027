"""Switching a structural choice (optimizer, problem, map, length) after warm-up: time and compiles.

Budget (issue "Compile once"): after the warm-up that starts with the server, no
visitor action compiles anything, and switching optimizer, problem, map or data
set is fast. This script drives the real Explorer and Non-differentiable pages
headless (``AppTest.from_file("app.py")``, in-process: the server's time for a
rerun, without network and drawing), counts XLA compiles with ``jax.monitoring``
(``/jax/compile/backend_compile_duration``) and prints per switch the median rerun time.

Baselines measured in the same process:

* a rerun where nothing changed (every cached call hits): the floor;
* what a switch cost before: compiling one per-(problem, optimizer) program, as
  the public :func:`lossviz.trajectory` still does for a loss it has not seen.

Run from the repo root: ``python benchmarks/bench_switch.py [--rounds N]``.
The training page still compiles per (data set, width, batch, optimizer): not measured here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax  # noqa: E402
import optax  # noqa: E402
from streamlit import logger as _st_logger  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from lossviz.ui import settings, warmup  # noqa: E402

_st_logger.get_logger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel("ERROR")
_compiles: list[float] = []


def _on_event(event: str, duration: float, **_: object) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        _compiles.append(duration)


def _timed(at: AppTest) -> tuple[float, int]:
    before = len(_compiles)
    t0 = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"the page raised:\n{at.exception}")
    return elapsed, len(_compiles) - before


SWITCHES = {
    "optimizer": (settings.OPTIMIZER, ["Adam", "Momentum", "Line search", "Lion", "Polyak", "SGD"]),
    "problem": (
        settings.PROBLEM,
        ["Rosenbrock", "Himmelblau", "Beale", "Saddle", "Rastrigin", "Hinge loss (linear classifier)"],
    ),
    "map g": (settings.G, ["log(1 + L)", "√L", "L²", "L"]),
    "steps": (settings.STEPS, [50, 730, 1000, 120, 10, 200]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes over each list of choices")
    parser.add_argument(
        "--reuse-cache", action="store_true", help="keep JAX's persistent cache (default: a fresh, cold one)"
    )
    args = parser.parse_args()
    if not args.reuse_cache:
        os.environ[warmup.CACHE_ENV] = tempfile.mkdtemp(prefix="lossviz-bench-")
    jax.monitoring.register_event_duration_secs_listener(_on_event)
    print(f"jax {jax.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")

    at = AppTest.from_file(os.path.join(ROOT, "app_pages.py"), default_timeout=300)
    t, n = _timed(at)  # the first run of a server: app.py's warm-up compiles the programs
    print(f"first run (warm-up included): {t:.2f} s, {n} compiles ({sum(_compiles):.2f} s of XLA)")
    warmup.warm().thread.join()
    print(
        f"  warm-up: landing programs {warmup.warm().landing_seconds:.2f} s, the rest {warmup.warm().rest_seconds:.2f} s"
    )
    floor = statistics.median(_timed(at)[0] for _ in range(5))
    print(f"baseline: rerun with nothing changed, median {1e3 * floor:.0f} ms")

    # what a switch cost before: a program per (problem, optimizer), compiled on first use
    from lossviz.problems import PROBLEMS
    from lossviz.trajectories import trajectory

    t0 = time.perf_counter()
    trajectory(PROBLEMS["beale"].loss, (1.0, 1.0), optax.adamw(0.01), steps=200)
    old = time.perf_counter() - t0
    print(f"baseline: compiling one per-(problem, optimizer) program (the old switch) {old:.2f} s\n")

    total = 0
    for name, (key, values) in SWITCHES.items():
        times = []
        for _ in range(args.rounds):
            for value in values:
                widget = at.selectbox(key=key) if key != settings.STEPS else at.slider(key=key)
                widget.set_value(value)
                t, n = _timed(at)
                total += n
                times.append(t)
        med = statistics.median(times)
        print(
            f"switch {name:9s}: median {1e3 * med:6.0f} ms, max {1e3 * max(times):6.0f} ms over {len(times)}"
            f" switches; {med / floor:4.1f}x the floor, {old / med:5.1f}x faster than one old compile"
        )
    print(f"\ncompiles during all switches: {total} (budget: 0)")
    print(f"SUMMARY {'PASS' if total == 0 else 'FAIL'}: after warm-up no switch compiles ({total})")


if __name__ == "__main__":
    main()
