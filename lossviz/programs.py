"""A bounded, per-function cache of compiled XLA programs.

``jax.jit`` keeps every program it compiles for as long as the process lives, and
the only way JAX offers to free them, ``jax.clear_caches()``, throws away every
other function's programs too (every other visitor's). A :class:`Programs`
instead wraps one function: each *static key* (the static arguments, and the
shapes and dtypes of the traced ones) is compiled ahead of time
(``jax.jit(partial(fun, **static)).lower(...).compile()``) and the compiled
executable alone is held in an :class:`~lossviz.lru.LRU`. Nothing else keeps the
program: the jit wrapper, its traces and jaxprs are garbage once it is compiled
(measured on the app's 14 programs: 43 MB less RSS than keeping the jitted
functions), and when the LRU drops a program, only that one is freed. A compiled
program runs only on arguments of the shapes and dtypes it was compiled for,
which is what its key says: it can never recompile behind the cache's back.

>>> import jax.numpy as jnp
>>> double = Programs(lambda x, *, k: k * x, static=("k",), maxsize=2, name="doctest_double")
>>> [float(double(jnp.float32(1.0), k=k)) for k in (1, 2, 3)]
[1.0, 2.0, 3.0]
>>> double.live()  # k=1 was evicted with its program
2
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import jax
import numpy as np

from lossviz.lru import LRU

# every Programs of the process, by name (for counting and for the tests)
REGISTRY: dict[str, Programs] = {}
COMPILE_LOCK = threading.RLock()

COMPILER_OPTIONS: dict[str, Any] = {"xla_backend_optimization_level": 1}
"""XLA options every program is compiled with: LLVM's optimisation level 1 instead of XLA's default 2.

The app's programs spend their time in XLA's library calls (matrix products, Eigen) and in the
overhead of many small operations, not in the loops LLVM generates, so the extra passes of level 2
cost compile time and buy nothing. Measured on this 2-core machine (same process, alternating):
a training program compiles in 2.2-3.2 s instead of 2.9-4.8 s, the engine's pair of programs in
2.8-3.4 s instead of 4.5-4.8 s, the whole warm-up from an empty cache in 26.6 and 29.6 s instead of
31.0 and 36.0 s; the programs' run times are unchanged (training 0.13 vs 0.11-0.14 s, a family of
32 x 32 runs 28-35 vs 33-37 ms, a view's surfaces 3.7-3.9 vs 4.2-5.1 ms). Level 0 compiles in a
third of the time but runs 2-4x slower. Results agree with level 2's to float32 rounding (the
bit-for-bit checks compare runs of one program, so they are unaffected).
"""


def _signature(tree: Any) -> Hashable:
    """The tree structure and each leaf's shape and dtype: what a traced argument compiles for."""
    leaves, treedef = jax.tree.flatten(tree)
    return treedef, tuple(_leaf(x) for x in leaves)


def _leaf(x: Any) -> Hashable:
    dtype = getattr(x, "dtype", None)
    # a Python scalar is weakly typed (it compiles unlike an array of the same dtype)
    python = isinstance(x, (bool, int, float, complex))
    return np.shape(x), np.dtype(dtype if dtype is not None else np.result_type(x)).str, python


class Programs:
    """The compiled programs of one function, at most ``maxsize`` alive, least recently used evicted.

    Args:
      fun: a pure JAX function; its static arguments are keyword arguments.
      static: names of the static (compile-time) keyword arguments; they must be hashable.
      maxsize: how many programs (static keys) to keep.
      name: a unique name (the key in :data:`REGISTRY`).
    """

    def __init__(self, fun: Callable[..., Any], *, static: Sequence[str] = (), maxsize: int, name: str):
        self.fun = fun
        self.static = tuple(static)
        self.name = name
        self.programs: LRU[Hashable, Any] = LRU(maxsize, on_evict=lambda key, compiled: release_memory())
        REGISTRY[name] = self

    @property
    def maxsize(self) -> int:
        return self.programs.maxsize

    @maxsize.setter
    def maxsize(self, value: int) -> None:
        self.programs.maxsize = value

    def key(self, args: tuple, kwargs: dict[str, Any]) -> tuple[Hashable, dict[str, Any], dict[str, Any]]:
        static = {k: kwargs[k] for k in self.static}
        traced = {k: v for k, v in kwargs.items() if k not in static}
        return (tuple(static.items()), _signature((args, traced))), static, traced

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key, static, traced = self.key(args, kwargs)
        compiled = self.programs.lookup(key)
        if compiled is not None:
            return compiled(*args, **traced)
        # A new program: one compile at a time in the process. Compiling takes hundreds of MB
        # for a moment, and both cores are better spent on one compile than shared by several.
        with COMPILE_LOCK:
            compiled = self.programs.get(
                key,
                lambda: (
                    jax.jit(functools.partial(self.fun, **static))
                    .lower(*args, **traced)
                    .compile(compiler_options=COMPILER_OPTIONS)
                ),
            )
            out = compiled(*args, **traced)
        release_memory()
        return out

    def _keys_of(self, static: dict[str, Any]) -> list[Hashable]:
        """The keys of the programs alive for these static arguments (any traced shapes)."""
        wanted = tuple((k, static[k]) for k in self.static)
        return [key for key in self.programs.keys() if key[0] == wanted]

    def has(self, **static: Any) -> bool:
        """Whether a program for these static arguments is alive (for any traced shapes)."""
        return bool(self._keys_of(static))

    def drop(self, **static: Any) -> None:
        """Frees the programs of these static arguments (for any traced shapes)."""
        for key in self._keys_of(static):
            self.programs.pop(key)

    def live(self) -> int:
        """The number of compiled programs alive (one per key: static arguments, traced shapes)."""
        return len(self.programs)

    def clear(self) -> None:
        self.programs.clear()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None


M_ARENA_MAX = -8  # glibc's mallopt parameter number


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Lets at most ``arenas`` glibc malloc arenas serve the threads that allocate from now on.

    glibc gives each new thread that allocates its own arena (up to 8 per core),
    and every arena keeps its own freed memory: a server whose script threads run
    XLA programs for many visitors at once holds that much more. Measured with
    ``bench_load.py`` (8 visitors x 10 views): peak RSS 744 MB with 2 arenas, 800 MB
    without. Returns whether the limit was set (only glibc has it).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, int(arenas)))
    except (OSError, AttributeError):
        return False


def release_memory() -> None:
    """Hands the heap that XLA's compiler freed back to the operating system.

    Compiling a program allocates hundreds of MB that are freed at once, but
    glibc keeps freed heap mapped: without this, a server's RSS grows by that
    much after its first compile and stays there (measured: ~290 MB for the
    engine's run program). ``malloc_trim`` returns it; elsewhere this does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
