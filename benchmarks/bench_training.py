"""Training the three variants (original, shifted, negated) together vs the obvious ways.

Budgets (issue 3): three variants x 200 epochs on two moons (500 points, a
2-16-16-2 network, SGD, minibatches of 32) <= 2 s warm on a 2-core machine;
the real data set's (digits) default run <= 10 s; no recompile when only the
learning rate, the shift or the seed changes.

``lossviz.train_variants`` trains the variants as lanes of one ``jax.vmap``
inside ``jax.lax.scan`` over epochs and minibatches. Baselines, in the same
process, doing the same work (same weights, same minibatches):

* loop: a Python loop over epochs and minibatches calling a jitted single
  SGD step, once per variant, then the same per-epoch metrics (jitted);
* separate: three separate compiled runs (one per variant, no vmap), each a
  ``lax.scan`` over minibatches called once per epoch.

The script checks that the baselines reach the same losses (``np.allclose``),
times everything warm (median of ``--reps``, the learning rate, shift and
seed varied per repetition), counts JIT compiles and prints the ratios.

Run from the repo root: ``python benchmarks/bench_training.py [--reps N]``.
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

from lossviz import datasets, training  # noqa: E402

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
EPOCHS, BATCH, SIZES = 200, 32, (2, 16, 16, 2)
VARIANTS = ((1.0, 0.0), (1.0, 1.0), (-1.0, 0.0))  # (scale, shift): the shift is set per repetition
_compiles = [0]


def _on_event(event: str, duration: float, **kwargs) -> None:
    if event == COMPILE_EVENT:
        _compiles[0] += 1


jax.monitoring.register_event_duration_secs_listener(_on_event)


def _objective(p, x, y, scale, shift):
    return scale * training.cross_entropy(p, x, y) + shift


@jax.jit
def _sgd_step(p, x, y, lr, scale, shift):
    grad = jax.grad(_objective)(p, x, y, scale, shift)
    return jax.tree.map(lambda w, g: w - lr * g, p, grad)


@jax.jit
def _sgd_epoch(p, xs, ys, lr, scale, shift):
    return jax.lax.scan(lambda p, b: (_sgd_step(p, *b, lr, scale, shift), None), p, (xs, ys))[0]


@jax.jit
def _metrics(p, x, y, x_test, y_test):
    return training.cross_entropy(p, x, y), training.accuracy(p, x, y), training.accuracy(p, x_test, y_test)


def baseline(mode: str, lr: float, shift: float, seed: int) -> np.ndarray:
    """Final losses of the three variants, trained one after the other."""
    ds = datasets.load("moons", seed=seed)
    lr32, finals = np.float32(lr), []
    for scale, c in VARIANTS:
        c = np.float32(shift if c else 0.0)
        params = training.init_mlp(np.random.default_rng([seed, 1]), SIZES)
        batch_rng, history = np.random.default_rng([seed, 2]), []
        for _ in range(EPOCHS):
            idx = training.epoch_batches(batch_rng, len(ds.y_train), BATCH)
            if mode == "loop":
                for b in idx:
                    params = _sgd_step(params, ds.x_train[b], ds.y_train[b], lr32, np.float32(scale), c)
            else:
                params = _sgd_epoch(params, ds.x_train[idx], ds.y_train[idx], lr32, np.float32(scale), c)
            history.append(_metrics(params, ds.x_train, ds.y_train, ds.x_test, ds.y_test))
        finals.append(float(jax.device_get(history[-1][0])))
    return np.asarray(finals)


def engine(lr: float, shift: float, seed: int) -> np.ndarray:
    runs = training.train_variants("moons", lr=lr, shift=shift, seed=seed, epochs=EPOCHS, batch_size=BATCH)
    return np.asarray([runs[name].loss[-1] for name in training.VARIANTS])


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    reps = parser.parse_args().reps
    print(
        f"load average: {os.getloadavg()}  cpus: {os.cpu_count()}  jax {jax.__version__} on {jax.devices()}"
    )

    before = _compiles[0]
    cold, _ = timed(engine, 0.1, -2 * np.pi, 0)
    print(f"engine cold (first call, compiles included): {cold:.2f} s, {_compiles[0] - before} compiles")
    for mode in ("loop", "separate"):  # warm the baselines' caches
        baseline(mode, 0.1, -2 * np.pi, 0)

    times: dict[str, list[float]] = {"engine": [], "loop": [], "separate": []}
    compiles_in_engine = 0
    for rep in range(reps):
        lr, shift, seed = 0.05 + 0.02 * rep, -2 * np.pi + rep, rep + 1
        before = _compiles[0]
        t, ours = timed(engine, lr, shift, seed)
        compiles_in_engine += _compiles[0] - before
        times["engine"].append(t)
        for mode in ("loop", "separate"):
            t, theirs = timed(baseline, mode, lr, shift, seed)
            times[mode].append(t)
            # the negated run is an unbounded ascent: rounding differences grow, so compare it loosely
            if not (
                np.allclose(ours[:2], theirs[:2], rtol=1e-4) and np.allclose(ours[2], theirs[2], rtol=0.25)
            ):
                print(f"  MISMATCH {mode}: final losses {ours} vs {theirs}")

    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nthree variants x {EPOCHS} epochs, two moons (500 points), {SIZES}, SGD, batch {BATCH}:")
    for name, label in [
        ("engine", "train_variants (vmap + scan)"),
        ("loop", "Python loop of a jitted step"),
        ("separate", "3 separate jitted runs (scan per epoch)"),
    ]:
        ratio = "" if name == "engine" else f"   engine is {med[name] / med['engine']:.1f}x faster"
        print(f"  {label:42s} median {med[name]:.3f} s{ratio}")
    print(f"  compiles while lr, shift and seed changed: {compiles_in_engine}")

    before = _compiles[0]
    cold_digits, _ = timed(training.train_variants, "digits")
    digits_compiles = _compiles[0] - before
    warm_digits = statistics.median(timed(training.train_variants, "digits", seed=s)[0] for s in range(3))
    print(
        f"\ndigits default run (3 variants x 200 epochs, 64-16-16-10, batch 32): warm {warm_digits:.2f} s,"
        f" cold {cold_digits:.2f} s ({digits_compiles} compiles)"
    )

    print()
    print(f"{'PASS' if med['engine'] <= 2.0 else 'FAIL'}: moons warm {med['engine']:.3f} s <= 2 s")
    print(f"{'PASS' if warm_digits <= 10.0 else 'FAIL'}: digits warm {warm_digits:.2f} s <= 10 s")
    ok = "PASS" if compiles_in_engine == 0 else "FAIL"
    print(f"{ok}: {compiles_in_engine} recompiles when lr/shift/seed change")


if __name__ == "__main__":
    main()
