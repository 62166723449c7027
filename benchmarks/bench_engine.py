"""Engine work of one explorer view vs a NumPy reference doing the same work the obvious way.

Budget (DESIGN.md, "Performance budgets"): the engine work of one explorer
view is >= 10x faster than a NumPy reference.

One explorer view's engine work is what ``lossviz.ui.cached`` asks for on a
cache miss with the sidebar at SGD, g = identity:

* ``lossviz.engine.surfaces(problem, scale=a, shift=c)``: L and L' on a
  200x200 grid, grad L and grad L' on a 25x25 grid (the one landscape program);
* ``lossviz.engine.run_lanes`` of two lanes, SGD, 200 steps: the run on L
  and the run on L' = a L + c (params, L' and L along each path), in the one
  run program (every choice is data; unused lanes cost nothing).

The reference computes the same numbers the obvious NumPy way (float64, the
NumPy default): the loss on a broadcast 200x200 meshgrid, a hand-derived
gradient on a broadcast 25x25 meshgrid, and a Python ``for`` loop of 200 SGD
steps with the hand-derived gradient, for both runs. The script checks that
both compute the same numbers (``np.allclose``), then times both alternately
(``time.perf_counter``) with the JIT caches warm, varying the learning rate,
a, c and the start point at every repetition so nothing is cached by value,
and prints medians and the ratio. It also counts JIT compiles during the timed
loop (expect 0).

Run from the repo root: ``python benchmarks/bench_engine.py [--reps N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402

from lossviz import problems as P  # noqa: E402
from lossviz.engine import FIELD_RESOLUTION, RESOLUTION, Lane, run_lanes, surfaces  # noqa: E402

BUDGET_RATIO = 10.0
STEPS = 200
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"

# --- hand-derived NumPy losses and gradients (broadcast over any shape of w1, w2) ---

LX, LY = P.LINEAR_X.astype(np.float64), P.LINEAR_Y.astype(np.float64)
GX, GY = P.LOGISTIC_X.astype(np.float64), P.LOGISTIC_Y.astype(np.float64)


def linreg_loss(w, b):
    r = np.asarray(w)[..., None] * LX + np.asarray(b)[..., None] - LY
    return np.mean(r**2, axis=-1)


def linreg_grad(w, b):
    r = np.asarray(w)[..., None] * LX + np.asarray(b)[..., None] - LY
    return 2.0 * np.mean(r * LX, axis=-1), 2.0 * np.mean(r, axis=-1)


def logreg_loss(w1, w2):
    m = GY * (np.asarray(w1)[..., None] * GX[:, 0] + np.asarray(w2)[..., None] * GX[:, 1])
    return np.mean(np.logaddexp(0.0, -m), axis=-1)


def logreg_grad(w1, w2):
    m = GY * (np.asarray(w1)[..., None] * GX[:, 0] + np.asarray(w2)[..., None] * GX[:, 1])
    s = -GY / (1.0 + np.exp(m))  # d softplus(-m) / d m * dm/d(w.x)
    return np.mean(s * GX[:, 0], axis=-1), np.mean(s * GX[:, 1], axis=-1)


def rosen_loss(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def rosen_grad(x, y):
    return -2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2)


def himmel_loss(x, y):
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def himmel_grad(x, y):
    u, v = x**2 + y - 11.0, x + y**2 - 7.0
    return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v


@dataclass(frozen=True)
class Case:
    """A problem, its NumPy oracle and ranges of settings that keep SGD finite."""

    problem: str
    loss: Callable
    grad: Callable
    lr: tuple[float, float]
    scale: tuple[float, float]
    start_box: tuple[tuple[float, float], tuple[float, float]]


CASES = (
    Case("linear_regression", linreg_loss, linreg_grad, (0.01, 0.2), (0.5, 2.0), ((-1.5, 4.5), (-3.5, 2.5))),
    Case(
        "logistic_regression", logreg_loss, logreg_grad, (0.05, 1.0), (0.5, 2.0), ((-3.0, 4.0), (-3.5, 3.5))
    ),
    Case("rosenbrock", rosen_loss, rosen_grad, (1e-4, 3e-4), (0.5, 2.0), ((-1.5, 1.5), (-0.5, 2.5))),
    Case("himmelblau", himmel_loss, himmel_grad, (5e-4, 2e-3), (0.5, 2.0), ((-4.0, 4.0), (-4.0, 4.0))),
)

# --- the two implementations of one view ------------------------------------


def engine_view(problem: str, lr: float, a: float, c: float, start: tuple[float, float]):
    v = surfaces(problem, scale=a, g="identity", shift=c)
    original, transformed = run_lanes(
        [
            Lane(problem, "sgd", lr, steps=STEPS, start=start),
            Lane(problem, "sgd", lr, steps=STEPS, start=start, scale=a, shift=c),
        ]
    )
    return v, original, transformed


def _sgd_loop(case: Case, lr: float, a: float, c: float, start: tuple[float, float]):
    """200 SGD steps on a L + c: a Python loop; returns params (T+1, 2), L' (T+1,), L (T+1,)."""
    params = np.empty((STEPS + 1, 2))
    objective = np.empty(STEPS + 1)
    loss = np.empty(STEPS + 1)
    theta = np.array(start, dtype=np.float64)
    for k in range(STEPS + 1):
        value = case.loss(theta[0], theta[1])
        params[k], loss[k], objective[k] = theta, value, a * value + c
        if k < STEPS:
            g1, g2 = case.grad(theta[0], theta[1])
            theta = theta - lr * a * np.array([g1, g2])
    return params, objective, loss


def reference_view(case: Case, lr: float, a: float, c: float, start: tuple[float, float]):
    (lo1, hi1), (lo2, hi2) = P.PROBLEMS[case.problem].bounds
    w1, w2 = np.meshgrid(np.linspace(lo1, hi1, RESOLUTION), np.linspace(lo2, hi2, RESOLUTION))
    values = case.loss(w1, w2)
    tvalues = a * case.loss(w1, w2) + c  # "the same work": L' evaluated on its own grid
    f1, f2 = np.meshgrid(np.linspace(lo1, hi1, FIELD_RESOLUTION), np.linspace(lo2, hi2, FIELD_RESOLUTION))
    grads = np.stack(case.grad(f1, f2), axis=-1)
    tgrads = a * np.stack(case.grad(f1, f2), axis=-1)
    original = _sgd_loop(case, lr, 1.0, 0.0, start)
    transformed = _sgd_loop(case, lr, a, c, start)
    return (values, tvalues, grads, tgrads), original, transformed


def _close(x: np.ndarray, ref: np.ndarray, rtol: float = 2e-3) -> tuple[bool, float]:
    """allclose relative to the array's magnitude (float32 engine vs float64 reference)."""
    scale = float(np.max(np.abs(ref))) or 1.0
    err = float(np.max(np.abs(np.asarray(x, np.float64) - ref))) / scale
    return bool(np.allclose(x, ref, rtol=rtol, atol=rtol * scale)), err


def check_same_numbers(case: Case, settings: list[tuple]) -> bool:
    ok_all = True
    worst: dict[str, float] = {}
    for lr, a, c, start in settings:
        v, o, t = engine_view(case.problem, lr, a, c, start)
        (values, tvalues, grads, tgrads), ro, rt = reference_view(case, lr, a, c, start)
        pairs = {
            "L grid": (v.original.values, values),
            "L' grid": (v.transformed.values, tvalues),
            "grad L": (v.original_field.grad, grads),
            "grad L'": (v.transformed_field.grad, tgrads),
            "run on L: params": (o.params, ro[0]),
            "run on L: L": (o.loss, ro[2]),
            "run on L': params": (t.params, rt[0]),
            "run on L': L'": (t.objective, rt[1]),
            "run on L': L": (t.loss, rt[2]),
        }
        for name, (x, ref) in pairs.items():
            ok, err = _close(x, ref)
            ok_all &= ok
            worst[name] = max(worst.get(name, 0.0), err)
    print(f"  same numbers (np.allclose, rtol=2e-3 of max|ref|, {len(settings)} settings): {ok_all}")
    print("    worst relative error: " + ", ".join(f"{k} {e:.1e}" for k, e in worst.items()))
    return ok_all


def random_settings(case: Case, rng: np.random.Generator, n: int) -> list[tuple]:
    out = []
    for _ in range(n):
        lr = float(np.exp(rng.uniform(*np.log(case.lr))))
        a = float(rng.uniform(*case.scale))
        c = float(rng.uniform(-10.0, 10.0))
        (x_lo, x_hi), (y_lo, y_hi) = case.start_box
        start = (float(rng.uniform(x_lo, x_hi)), float(rng.uniform(y_lo, y_hi)))
        out.append((lr, a, c, start))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=40, help="timed repetitions per problem")
    args = parser.parse_args()

    compiles: list[float] = []

    def on_event(event: str, duration: float, **_: object) -> None:
        if event == COMPILE_EVENT:
            compiles.append(duration)

    jax.monitoring.register_event_duration_secs_listener(on_event)
    print(f"jax {jax.__version__} on {jax.default_backend()}, {os.cpu_count()} CPUs; numpy {np.__version__}")
    print(f"one view = surfaces(200x200 grid, 25x25 field) + run_lanes(2 x sgd, {STEPS} steps)\n")
    rng = np.random.default_rng(0)
    results = []
    for case in CASES:
        print(f"{case.problem}:")
        t0 = time.perf_counter()
        engine_view(case.problem, *random_settings(case, rng, 1)[0])  # compile
        print(f"  first call (compile): {1e3 * (time.perf_counter() - t0):.0f} ms")
        same = check_same_numbers(case, random_settings(case, rng, 5))

        settings = random_settings(case, rng, args.reps)
        n_compiles = len(compiles)
        t_engine, t_ref = [], []
        for lr, a, c, start in settings:
            # Alternate the two so that background noise hits both alike.
            t0 = time.perf_counter()
            engine_view(case.problem, lr, a, c, start)
            t1 = time.perf_counter()
            reference_view(case, lr, a, c, start)
            t2 = time.perf_counter()
            t_engine.append(t1 - t0)
            t_ref.append(t2 - t1)
        new_compiles = len(compiles) - n_compiles
        me, mr = statistics.median(t_engine), statistics.median(t_ref)
        print(f"  engine    median {1e3 * me:7.2f} ms  (min {1e3 * min(t_engine):.2f}, n={len(t_engine)})")
        print(f"  reference median {1e3 * mr:7.2f} ms  (min {1e3 * min(t_ref):.2f})")
        print(f"  ratio reference/engine: {mr / me:.1f}x   compiles during timed loop: {new_compiles}\n")
        results.append((case.problem, me, mr, same, new_compiles))

    print(
        "SUMMARY (budget: one view's engine work >= 10x faster than the NumPy reference, "
        "at the default problem)"
    )
    for problem, me, mr, same, new_compiles in results:
        ok = mr / me >= BUDGET_RATIO and same and new_compiles == 0
        what = "budget (default problem)" if problem == P.DEFAULT_PROBLEM else "same check, other problem"
        print(
            f"  {'PASS' if ok else 'FAIL'}  {problem:20s} ratio {mr / me:5.1f}x (>= {BUDGET_RATIO:g}x): "
            f"engine {1e3 * me:6.2f} ms, reference {1e3 * mr:7.2f} ms; same numbers {same}, "
            f"recompiles {new_compiles}  [{what}]"
        )
    print(
        f"  (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; engine and reference alternate, "
        "so load hits both alike)"
    )


if __name__ == "__main__":
    main()
