"""Families of runs: what a drag could ask for next, computed ahead in one vmapped program.

Budgets (issue "Live", on this 2-core CPU, warm):

* a family of 32 x 32 starts x 200 steps on the default problem (linear
  regression, SGD at its own rate) in <= 50 ms, and >= 20x faster than a
  Python loop calling the single-trajectory jitted function
  (``lossviz.trajectory``) once per start; the app's family
  (``lossviz.engine.family``) runs *two* runs per start (on L and on L'), the
  generic ``lossviz.trajectories_from`` one, both are timed;
* a basin map of 64 x 64 starts x 200 steps on Himmelblau in <= 150 ms
  (``engine.family`` of 4096 members + ``families.basin_labels``);
* no compile in the timed loops (``jax.monitoring``).

Also printed: the learning-rate family (the slider's 36 rates) and what one
explorer view pays for its families on a cache miss.

Run from the repo root: ``python benchmarks/bench_families.py [--reps N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from lossviz import engine, families  # noqa: E402
from lossviz.problems import PROBLEMS  # noqa: E402
from lossviz.trajectories import trajectory  # noqa: E402
from lossviz.ui.settings import LR_CHOICES  # noqa: E402

FAMILY_BUDGET_S = 0.050
BASIN_BUDGET_S = 0.150
RATIO_BUDGET = 20.0
STEPS = 200
COMPILES: list[str] = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **kw: (
        COMPILES.append(event) if event == "/jax/core/compile/backend_compile_duration" else None
    )
)


def timed(fn, reps: int) -> tuple[float, int]:
    """Median seconds of ``fn(k)`` over ``reps`` calls (``k`` varies the inputs) and compiles during them."""
    fn(-1)  # warm
    before = len(COMPILES)
    times = []
    for k in range(reps):
        t0 = time.perf_counter()
        fn(k)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(COMPILES) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    print(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.reps} repetitions, medians"
    )

    name = "linear_regression"
    p = PROBLEMS[name]
    _, _, starts = families.grid_starts(p.bounds, 32)

    def app_family(k):
        out = engine.family(name, "sgd", lr=p.lr * (1 + 0.01 * k), starts=starts, steps=STEPS, shift=-6.2832)
        return out.final

    tx = optax.sgd(p.lr)  # one optimizer object: a new one is a new static key (a new program)

    def generic_family(k):
        return families.trajectories_from(p.loss, starts + 1e-3 * k, tx, STEPS).params

    def python_loop(k):
        return [trajectory(p.loss, s + 1e-3 * k, tx, STEPS).params for s in starts]

    def app_loop(k):  # what the app would do without families: its pair of lanes, once per start
        lr = p.lr * (1 + 0.01 * k)
        return [
            engine.run_lanes(
                [
                    engine.Lane(name, "sgd", lr=lr, steps=STEPS, start=tuple(map(float, s))),
                    engine.Lane(name, "sgd", lr=lr, steps=STEPS, start=tuple(map(float, s)), shift=-6.2832),
                ]
            )
            for s in starts
        ]

    t_app, c_app = timed(app_family, args.reps)
    t_app_loop, c_app_loop = timed(app_loop, 3)
    t_gen, c_gen = timed(generic_family, args.reps)
    t_loop, c_loop = timed(python_loop, max(3, args.reps // 5))
    print(f"\n32 x 32 starts x {STEPS} steps, {p.title}, SGD at {p.lr}:")
    print(f"  engine.family (runs on L and L'):     {1e3 * t_app:8.1f} ms   compiles {c_app}")
    print(f"  trajectories_from (runs on L):        {1e3 * t_gen:8.1f} ms   compiles {c_gen}")
    print(f"  Python loop of trajectory() x 1024:   {1e3 * t_loop:8.1f} ms   compiles {c_loop}")
    print(f"  Python loop of the app's lane pair x 1024:  {1e3 * t_app_loop:8.1f} ms   compiles {c_app_loop}")
    ratios = {
        "trajectories_from vs a loop of trajectory()": t_loop / t_gen,
        "engine.family vs a loop of the app's lane pair": t_app_loop / t_app,
    }
    for label, ratio in ratios.items():
        print(f"  {label}: {ratio:.1f}x")

    h = PROBLEMS["himmelblau"]
    b1, b2, grid = families.grid_starts(h.bounds, 64)

    def basin_map(k):
        fam = engine.family("himmelblau", "sgd", lr=h.lr * (1 + 0.01 * k), starts=grid, steps=STEPS)
        return families.basin_labels(fam.final[0], fam.diverged_at[0] >= 0, h.minima, 0.2)

    t_basin, c_basin = timed(basin_map, args.reps)
    labels = basin_map(0)
    counts = {int(v): int(n) for v, n in zip(*np.unique(labels, return_counts=True), strict=True)}
    print(
        f"\nbasin map 64 x 64 x {STEPS} steps, Himmelblau, SGD at {h.lr}: {1e3 * t_basin:.1f} ms, compiles {c_basin}"
    )
    print(f"  labels (minimum index: starts): {counts}")

    rates = np.asarray(LR_CHOICES, np.float32)

    def lr_family(k):
        return engine.family(name, "adam", lr=rates * (1 + 1e-3 * k), steps=STEPS).final

    t_lr, c_lr = timed(lr_family, args.reps)
    print(
        f"\nlearning-rate family ({len(rates)} rates x {STEPS} steps, Adam): {1e3 * t_lr:.1f} ms, compiles {c_lr}"
    )
    print(f"one explorer view's families on a cache miss: ~{1e3 * (t_app + t_lr):.0f} ms")

    print()
    for label, seconds in (("engine.family", t_app), ("trajectories_from", t_gen)):
        print(f"  {'PASS' if seconds <= FAMILY_BUDGET_S else 'FAIL'}  {label} 32x32x200 <= 50 ms")
    for label, ratio in ratios.items():
        print(f"  {'PASS' if ratio >= RATIO_BUDGET else 'FAIL'}  >= {RATIO_BUDGET:.0f}x: {label}")
    print(
        f"  {'PASS' if t_basin <= BASIN_BUDGET_S else 'FAIL'}  basin map 64x64x200 <= {1e3 * BASIN_BUDGET_S:.0f} ms"
    )
    compiles = c_app + c_gen + c_basin + c_lr + c_loop + c_app_loop
    print(f"  {'PASS' if compiles == 0 else 'FAIL'}  no compile in the timed loops ({compiles})")


if __name__ == "__main__":
    main()
