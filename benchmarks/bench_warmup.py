"""Cold start of the server: from ``streamlit run app.py`` to every program warm, no visitor.

Budget (issue 8): a cold server (JAX's persistent compilation cache empty) has every program
warm within 30 s of its start. The warm-up thread, started by ``app.py``'s lifespan hook when the
server starts, prints ``lossviz: every program is warm`` to the server's log when it has compiled
the last program (:data:`lossviz.ui.warmup.WARM_MESSAGE`); this script starts the real server with
a fresh, empty cache folder (``LOSSVIZ_JAX_CACHE``), asks for no page, and times that line. It also
prints the server's CPU seconds by then (user + system, ``/proc``) and its peak RSS.

Baseline in the same run: a restart on the cache the cold run filled (what a hosted app's restart
costs when its cache folder survives), with the ratio cold / restart.

``bench_load.py --warm`` prints the same line's time too, but its visitors' first pages compete
with the warm-up for the two cores: this one measures the warm-up alone.

Run from the repo root: ``python benchmarks/bench_warmup.py [--runs N]`` (~35 s a run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _server import Server, vm_rss_mb  # noqa: E402
from bench_load import cpu_seconds  # noqa: E402

from lossviz.ui.warmup import WARM_MESSAGE  # noqa: E402

BUDGET_S = 30.0
TIMEOUT_S = 300.0


def start_to_warm(cache: str, name: str) -> tuple[float | None, float, float]:
    """``(seconds to WARM_MESSAGE or None, server CPU seconds then, peak RSS MB)`` of one server."""
    server = Server(extra_env={"LOSSVIZ_JAX_CACHE": cache}, name=name)
    try:
        server.wait_healthy()
        seconds = server.wait_for_log(WARM_MESSAGE, timeout=TIMEOUT_S)
        return seconds, cpu_seconds(server.proc.pid), vm_rss_mb(server.proc.pid)[1]
    finally:
        server.stop()


def _files(folder: str) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts, each with a fresh empty cache (3)")
    args = parser.parse_args()
    if args.runs < 1:
        sys.exit("--runs must be >= 1")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {args.runs} cold starts")
    cold: list[float] = []
    restart: float | None = None
    for k in range(args.runs):
        cache = tempfile.mkdtemp(prefix="bench_warmup_jax_")
        try:
            seconds, cpu, rss = start_to_warm(cache, "bench_warmup")
            if seconds is None:
                print(f"  cold {k + 1}: '{WARM_MESSAGE}' not in the log within {TIMEOUT_S:g} s")
                continue
            cold.append(seconds)
            print(
                f"  cold {k + 1}: every program warm {seconds:5.1f} s after the start, server CPU {cpu:5.1f} s, "
                f"peak RSS {rss:.0f} MB ({_files(cache)} files cached)",
                flush=True,
            )
            if k == 0:  # the baseline: a restart that finds the programs in the cache
                seconds, cpu, rss = start_to_warm(cache, "bench_warmup_restart")
                restart = seconds
                print(
                    f"  restart on that cache: every program warm {seconds:5.1f} s, server CPU {cpu:5.1f} s, "
                    f"peak RSS {rss:.0f} MB"
                    if seconds is not None
                    else f"  restart: '{WARM_MESSAGE}' not in the log within {TIMEOUT_S:g} s",
                    flush=True,
                )
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"\nSUMMARY (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    if not cold:
        print(f"  FAIL  cold start to every program warm: never seen (budget <= {BUDGET_S:g} s)")
        return
    median = statistics.median(cold)
    within = sum(s <= BUDGET_S for s in cold)
    ratio = f"; cold / restart {median / restart:.1f}x ({restart:.1f} s)" if restart else ""
    print(
        f"  {'PASS' if median <= BUDGET_S else 'FAIL'}  cold start to every program warm: median {median:.1f} s "
        f"of {len(cold)} (min {min(cold):.1f}, max {max(cold):.1f}; {within} of {len(cold)} within; "
        f"budget <= {BUDGET_S:g} s){ratio}"
    )


if __name__ == "__main__":
    main()
