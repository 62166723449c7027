"""Test configuration shared by the whole suite.

* Strict JAX (as in equinox's conftest): implicit rank promotion raises, so a
  ``(n,)`` array silently broadcast against a ``(n, 1)`` one is an error here.
  (pyproject's pytest config already turns warnings into errors.)
* Hypothesis profiles: no deadline (the first call of a jitted function
  compiles), a moderate number of examples so the whole suite stays well under
  10 minutes on a 2-core CPU, and derandomized runs when ``CI`` is set.
  ``HYPOTHESIS_PROFILE=thorough`` runs many more examples locally.
* ``lossviz`` is imported first, so the tests compile with the app's XLA flags.
* :func:`count_compiles`: XLA compiles observed through ``jax.monitoring``.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator

import jax
import pytest
from hypothesis import HealthCheck, settings

import lossviz  # noqa: F401  (its XLA flags, before JAX starts its backend: the app's programs)

jax.config.update("jax_numpy_rank_promotion", "raise")

settings.register_profile(
    "lossviz",
    deadline=None,
    max_examples=25,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", settings.get_profile("lossviz"), max_examples=500, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "lossviz"))

# When a property fails, Hypothesis's pytest plugin imports its patch writer,
# which imports libcst, which uses a deprecated mypy_extensions.TypedDict: with
# warnings as errors, the failure report becomes an INTERNALERROR that hides
# the falsifying example. Import it now, with that warning silenced.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst is optional
        pass


# --- counting XLA compiles ----------------------------------------------------

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_compiles = [0]


def _on_event_duration(event: str, duration: float, **kwargs) -> None:
    del duration, kwargs
    if event == COMPILE_EVENT:
        _compiles[0] += 1


jax.monitoring.register_event_duration_secs_listener(_on_event_duration)


class CompileCount:
    """How many backend compiles happened inside a :func:`count_compiles` block."""

    def __init__(self) -> None:
        self._start = _compiles[0]
        self._end: int | None = None

    @property
    def n(self) -> int:
        return (_compiles[0] if self._end is None else self._end) - self._start


@contextlib.contextmanager
def _count() -> Iterator[CompileCount]:
    counter = CompileCount()
    try:
        yield counter
    finally:
        counter._end = _compiles[0]


@pytest.fixture
def count_compiles():
    """``with count_compiles() as c: ...`` then ``c.n`` is the number of XLA compiles."""
    return _count


# Files whose tests run the pages in this process (AppTest): the server's warm-up must be done before
# them, as it is before a visitor arrives: the explorer draws a still landscape pair until the live
# pair's family programs are compiled, and a compile counted by a test must not be the warm-up's.
_PAGE_TESTS = {
    "test_app.py",
    "test_app_nondiff.py",
    "test_app_training.py",
    "test_cached.py",
    "test_compile_budget.py",
    "test_links.py",
}


@pytest.fixture(autouse=True, scope="session")
def _server_warm_up(request):
    if {os.path.basename(str(item.fspath)) for item in request.session.items} & _PAGE_TESTS:
        from lossviz.ui import warmup

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # st.cache_resource outside a script run
            state = warmup.warm()
        state.thread.join(timeout=900)
    yield
