"""Compiled programs bounded per function (lossviz.programs.Programs)."""

import gc
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lossviz.programs import REGISTRY, Programs


def _poly(x, y, *, power):
    return jnp.sum(x**power) + y


@pytest.fixture
def poly():
    p = Programs(_poly, static=("power",), maxsize=2, name="test_poly")
    yield p
    REGISTRY.pop("test_poly", None)


def test_results_equal_a_plain_jit(poly):
    x = jnp.arange(4.0, dtype=jnp.float32)
    plain = jax.jit(_poly, static_argnames="power")
    for power in (1, 2, 3):
        assert float(poly(x, jnp.float32(1.0), power=power)) == float(plain(x, jnp.float32(1.0), power=power))


def test_the_least_recently_used_program_of_this_function_is_freed(poly):
    x, y = jnp.ones(3, jnp.float32), jnp.float32(0.0)
    poly(x, y, power=1)
    first = weakref.ref(poly.programs.values()[0])
    poly(x, y, power=2)
    poly(x, y, power=1)  # power=1 is now the most recent
    poly(x, y, power=3)  # evicts power=2
    assert poly.live() == 2
    assert poly.has(power=1) and poly.has(power=3) and not poly.has(power=2)
    gc.collect()
    assert first() is not None  # power=1's program survived
    poly.maxsize = 1
    poly(x, y, power=4)
    gc.collect()
    assert first() is None  # evicted: nothing holds its program any more
    assert poly.live() == 1


def _equations_of(primitive: str) -> int:
    return sum(
        1 for o in gc.get_objects() if type(o).__name__ == "JaxprEqn" and o.primitive.name == primitive
    )


def test_only_the_compiled_executable_is_kept_not_the_trace():
    """The jit wrapper of a static key and what tracing built for it (its jaxpr) are garbage
    once compiled: the cache holds the executable alone."""

    def traced(x, *, axis):
        return jax.lax.cumlogsumexp(x, axis=axis)  # a primitive no other test here traces

    p = Programs(traced, static=("axis",), maxsize=2, name="test_traced")
    try:
        x = jnp.zeros((2, 3), jnp.float32)
        np.testing.assert_allclose(p(x, axis=1)[0], np.log([1.0, 2.0, 3.0]), rtol=1e-6)
        gc.collect()
        assert isinstance(p.programs.values()[0], jax.stages.Compiled)
        assert _equations_of("cumlogsumexp") == 0  # no jaxpr of it survives
        np.testing.assert_allclose(p(x + 1.0, axis=1)[0], 1.0 + np.log([1.0, 2.0, 3.0]), rtol=1e-6)
        assert p.live() == 1
    finally:
        REGISTRY.pop("test_traced", None)


def test_another_function_keeps_its_programs(poly):
    other = Programs(_poly, static=("power",), maxsize=4, name="test_other")
    try:
        x, y = jnp.ones(3, jnp.float32), jnp.float32(0.0)
        other(x, y, power=7)
        for power in range(1, 6):
            poly(x, y, power=power)
        assert poly.live() == 2 and other.live() == 1 and other.has(power=7)
        assert REGISTRY["test_other"].live() == 1
    finally:
        REGISTRY.pop("test_other", None)


def test_shapes_are_part_of_the_key_and_values_are_not(poly):
    y = jnp.float32(0.0)
    for value in (1.0, 2.0, 3.0):
        poly(jnp.full(3, value, jnp.float32), y, power=2)
    assert poly.live() == 1  # new values, same program
    poly(jnp.ones(5, jnp.float32), y, power=2)
    assert len(poly.programs) == 2 and poly.live() == 2  # a new shape is a new program


def test_a_python_float_is_not_a_float32_array(poly):
    x = jnp.ones(2, jnp.float32)
    a = poly(x, 1.0, power=1)
    b = poly(x, np.float32(1.0), power=1)
    assert float(a) == float(b) == 3.0
    assert len(poly.programs) == 2


def test_memory_is_handed_back_after_a_compile_and_after_an_eviction(poly, monkeypatch):
    import lossviz.programs as programs

    calls = []
    monkeypatch.setattr(programs, "release_memory", lambda: calls.append(1))
    x, y = jnp.ones(3, jnp.float32), jnp.float32(0.0)
    poly(x, y, power=1)
    assert len(calls) == 1  # compiled
    poly(x, y, power=1)
    assert len(calls) == 1  # a warm call releases nothing
    poly(x, y, power=2)
    poly(x, y, power=3)  # compiles and evicts power=1
    assert len(calls) == 4


def test_every_program_is_compiled_with_the_documented_xla_options(poly, monkeypatch):
    """COMPILER_OPTIONS reach XLA's compiler: an option XLA does not know fails the compile."""
    import lossviz.programs as programs

    assert programs.COMPILER_OPTIONS == {"xla_backend_optimization_level": 1}
    x, y = jnp.ones(3, jnp.float32), jnp.float32(0.0)
    monkeypatch.setattr(programs, "COMPILER_OPTIONS", {"xla_no_such_option_lossviz": 1})
    with pytest.raises(Exception, match="xla_no_such_option_lossviz"):
        poly(x, y, power=1)
    monkeypatch.undo()
    assert float(poly(x, y, power=1)) == 3.0


def test_malloc_trim_is_found_on_glibc():
    import platform

    import lossviz.programs as programs

    if platform.libc_ver()[0] == "glibc":
        assert programs._malloc_trim() is not None
    programs.release_memory()  # never raises, whatever the C library


_ARENAS = """
import ctypes, sys, threading
from lossviz import programs
if sys.argv[1] != "none":
    assert programs.limit_malloc_arenas(int(sys.argv[1]))
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
start = threading.Barrier(6)
def work():
    start.wait()  # all threads alive at once, so that each asks for an arena
    for _ in range(200):
        libc.malloc(4096)
threads = [threading.Thread(target=work) for _ in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
libc.malloc_stats()  # one "Arena k:" block per arena, on stderr
"""


@pytest.mark.parametrize("limit", ["none", "1", "2"])
def test_malloc_arenas_are_limited(limit):
    import platform
    import subprocess
    import sys
    from pathlib import Path

    if platform.libc_ver()[0] != "glibc":
        pytest.fail("this machine's Python is not linked with glibc (the hosting and CI images are)")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", _ARENAS, limit], capture_output=True, text=True, check=True, cwd=root
    )
    arenas = out.stderr.count("Arena ")
    if limit == "none":
        assert arenas > 2  # a thread that allocates gets an arena of its own
    else:
        assert arenas == int(limit)


_FLAGS = """
import os
import lossviz, jax.numpy as jnp
print(os.environ["XLA_FLAGS"])
print(float(jnp.sum(jnp.arange(4.0))))  # the backend starts with these flags
"""


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "--xla_cpu_use_fusion_emitters=false"),
        ("--xla_cpu_use_fusion_emitters=true", "--xla_cpu_use_fusion_emitters=true"),
        (
            "--xla_cpu_enable_fast_math=false",
            "--xla_cpu_enable_fast_math=false --xla_cpu_use_fusion_emitters=false",
        ),
    ],
)
def test_importing_lossviz_sets_its_xla_flags_unless_the_environment_does(given, expected):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    if given is not None:
        env["XLA_FLAGS"] = given
    out = subprocess.run(
        [sys.executable, "-c", _FLAGS], env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert out == [expected, "6.0"]
