"""Many visitors at once over Streamlit's own websocket protocol: latency, correct views, server memory.

A fresh ``streamlit run app.py`` serves N simulated visitors, no browser: each
opens a websocket to ``/_stcore/stream`` (subprotocol ``streamlit``), sends
``BackMsg.rerun_script`` requests as the frontend does and reads the
``ForwardMsg`` stream until the run's ``script_finished``.

* Views: each visitor does ``--views`` reruns ("views") in one session on the
  three pages (Explorer, Train a network, Non-differentiable losses: in turn,
  then a seeded third of the views stay on the page before), each named by a query string drawn from a seeded RNG (problem,
  optimizer, map ``g``, shift ``c``, scale ``a``, ``lr`` on the 1-2-5 grid,
  ``steps``; ``T``; data set, ``width``, ``epochs``). A session's first view is
  its page load (``page_name`` from the URL path, the Explorer being the
  default page at ``/``); later views are sent as the browser's back/forward
  navigation (``page_script_hash`` of the page and ``is_history_navigation``),
  the one way a session re-renders another URL: a rerun without that flag
  keeps the session's widget values and only lets the URL set the keys it names.
  With ``--reload`` every view is a page load in a new session instead (a
  visitor following links); problems are grouped by how the session reached
  the view (page load, same page, page switch).
* Check: each view must show what its query string names, with the page's
  defaults for the keys it leaves out, read from the run's deltas: on the
  Explorer the problem selectbox, the verdict box ("<optimizer title>, L′ =
  <transform>: ..."), the "Every optimizer at learning rate ..., N steps" caption
  and the playback step (at the end); on the training page the caption (data
  set, network widths, optimizer, lr, epochs); on the non-differentiable page
  "... at T = <T>:" and the lr and steps sliders. A view is *wrong* when any of
  these is missing or differs (a link notice about a valid value counts too);
  exceptions (exception elements in the deltas) and timeouts (``--timeout``,
  60 s per view) are counted apart.
* Latency: send -> ``script_finished`` of the view's run; p50 / p95 / max.
* Pauses (``--think S``, at once only): each visitor pauses between views for a time drawn from
  an exponential distribution of mean S seconds (seeded apart from the views: the same views as
  without), as a person reading a view before changing a setting. The budgets are for visitors who
  ask back to back (``--think 0``, the default); a run with pauses prints its latency as information.
* Impatience (``--impatient P``, at once only): a share P of the views is asked for ``--patience``
  seconds after another view of the same page (drawn apart), as a visitor who changes a setting
  before the view they asked for has drawn; the views asked for while that one was still running
  get p50 / p95 / max of their own (from their own request).
* CPU: the server's CPU time (user + system, from ``/proc``) per view: alone per page (each
  baseline view's share, one view at a time) and at once (the concurrent phase's total over its
  views), with what it implies: N visitors who ask back to back wait on average at least
  ``N x CPU per view / cores`` (Little's law), so a p95 budget B needs less than
  ``cores x B / N`` of CPU per view.
* Memory: VmRSS of the server process and its children, sampled every 0.5 s in
  a thread, with the peak and a short timeline; with ``--soak`` (more views)
  the mean RSS of each quarter of the concurrent phase, and whether the last
  quarter is within 5% of the third.
* Baseline in the same run: one visitor doing the same kind of views (same
  generator, same page rotation, its own draws) alone, before the concurrent
  phase; ratios "at once / alone" are printed. Its draws are its own so that
  neither phase finds the other's results in the app's caches.

``--warm`` first opens each page once with its defaults (the server's first
run compiles the programs every view needs; the rest warms in a background
thread, and the script then waits until the server's log says every program is
warm, printing when, and then until the warm-up thread has also trained each data set's default
view) and leaves those views out of the figures. Without it the baseline's
first view pays for the warm-up. The app keeps compiled programs in JAX's
persistent cache (``$LOSSVIZ_JAX_CACHE``, by default ``~/.cache/lossviz/jax``):
a restart loads them instead of compiling; the number of cached files at the
start is printed.

Budgets: steady memory <= 600 MB (DESIGN.md, "Performance budgets", as in
bench_browser.py); at once, every view right, no exception, no timeout; with
``--warm``, p95 latency at once <= 1 s for 8 visitors and <= 3 s for 24
(issue 8; other visitor counts print it without a verdict). The ratio to the
baseline is printed too, and the ``--slowest`` views at once are listed.

Run from the repo root: ``python benchmarks/bench_load.py [--visitors N] [--views M] [--soak] [--port P] [--warm]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import math
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import _server  # benchmarks/_server.py, beside this script
from _server import Server
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from lossviz.ui import turns  # noqa: E402  (the server's page runs at once, as it computes them)

WARM_MESSAGE = "lossviz: every program is warm"  # lossviz.ui.warmup.WARM_MESSAGE (tests/test_warmup.py)
VIEWS_MESSAGE = "lossviz: the warm-up is done"  # lossviz.ui.warmup.VIEWS_MESSAGE: default views kept too
MEMORY_BUDGET_MB = 600.0  # as bench_browser.py
P95_BUDGET_S = {8: 1.0, 24: 3.0}  # issue 8: visitors at once -> p95 latency after warm-up (8 x 10, 24 x 5)
STEADY_TOLERANCE = 0.05  # --soak: the last quarter's RSS within 5% of the third's
SAMPLE_EVERY_S = 0.5

# --- what the app offers (labels as the widgets show them and links carry them) ------------------

EXPLORER, TRAINING, NONDIFF = "", "training", "nondifferentiable"  # URL paths ("" = the default page)
PAGE_NAMES = {EXPLORER: "explorer", TRAINING: "training", NONDIFF: "nondifferentiable"}
PAGES = (EXPLORER, TRAINING, NONDIFF)

PROBLEMS = (
    "Linear regression",
    "Rosenbrock",
    "Himmelblau",
    "Beale",
    "Saddle",
    "Rastrigin",
    "Logistic regression",
    "Ill-conditioned quadratic",
)
# a link that names a problem and no lr gets the problem's own rate (lossviz.problems, Problem.lr)
PROBLEM_LR = {
    "Linear regression": 0.05,
    "Rosenbrock": 0.002,
    "Himmelblau": 0.01,
    "Beale": 0.002,
    "Saddle": 0.02,
    "Rastrigin": 0.002,
    "Logistic regression": 0.5,
    "Ill-conditioned quadratic": 0.02,
}
UNBOUNDED_BELOW = {"Saddle"}  # the maps other than L need L >= 0
# optimizer label -> the title the Explorer's verdict box starts with
OPTIMIZERS = {
    "SGD": "SGD (plain gradient descent)",
    "Momentum": "SGD with momentum",
    "Nesterov": "Nesterov momentum",
    "Adagrad": "Adagrad",
    "RMSProp": "RMSProp",
    "Adam": "Adam",
    "Lion": "Lion (sign method)",
    "Polyak": "Polyak step size (f* = 0)",
    "Line search": "Backtracking (Armijo) line search",
    "Loss × grad": "Hypothesis: step = lr × L × ∇L",
}
MAPS = ("L", "log(1 + L)", "√L", "L²")
SCALES = (-1.0, 2.0, 0.5, -2.0, 1.5)
SHIFTS = (-6.2832, 3.5, -1.0, 10.0, -100.0)
LR_GRID = tuple(float(f"{m}e{e}") for e in range(-4, 1) for m in (1, 2, 5)) + (10.0,)
T_GRID = tuple(float(f"{m}e{e}") for e in range(-2, 1) for m in (1, 2, 5))
DATASETS = {"Two moons": 2, "Circles": 2, "Blobs (3 classes)": 3, "Spiral (3 classes)": 3}  # -> classes

# a page's value for a key its link leaves out
DEFAULTS = {
    EXPLORER: {
        "problem": "Linear regression",
        "opt": "SGD",
        "g": "L",
        "a": 1.0,
        "c": -2 * math.pi,  # the landing view is the forum's example, L − 2π
        "lr": 0.05,
        "steps": 200,
    },
    # each page has URL keys of its own (lossviz.ui.settings.TRAINING_KEYS, NONDIFF_KEYS)
    TRAINING: {"data": "Two moons", "width": 16, "optimizer": "SGD", "rate": 0.1, "epochs": 200},
    NONDIFF: {"temp": 0.5, "eta": 0.5, "iters": 200},
}


@dataclasses.dataclass(frozen=True)
class View:
    page: str  # URL path
    params: tuple[tuple[str, str], ...]  # what the link carries, in order

    @property
    def query(self) -> str:
        """The query string as a browser sends it (percent-encoded, no '?')."""
        return urllib.parse.urlencode(self.params, quote_via=urllib.parse.quote)

    def __str__(self) -> str:
        readable = "&".join(f"{k}={v}" for k, v in self.params)
        return f"{PAGE_NAMES[self.page]}?{readable}"

    def setting(self, key: str) -> str | float:
        given = dict(self.params).get(key)
        default = DEFAULTS[self.page][key]
        if self.page == EXPLORER and key == "lr":
            default = PROBLEM_LR[str(self.setting("problem"))]
        if given is None:
            return default
        return float(given) if isinstance(default, (int, float)) else given


def _num(x: float) -> str:
    return f"{x:g}"


def _explorer_view(rng: random.Random) -> View:
    p: dict[str, str] = {}
    problem = rng.choice(PROBLEMS)
    if rng.random() < 0.9:
        p["problem"] = problem
    else:
        problem = DEFAULTS[EXPLORER]["problem"]
    if rng.random() < 0.7:
        p["opt"] = rng.choice(list(OPTIMIZERS))
    if rng.random() < 0.4 and problem not in UNBOUNDED_BELOW:
        p["g"] = rng.choice(MAPS)
    if rng.random() < 0.3:
        p["a"] = _num(rng.choice(SCALES))
    if rng.random() < 0.4:
        p["c"] = _num(rng.choice(SHIFTS))
    if rng.random() < 0.6:
        p["lr"] = _num(rng.choice(LR_GRID))
    if rng.random() < 0.5:
        p["steps"] = str(10 * rng.randint(1, 100))
    return View(EXPLORER, tuple(p.items()))


def _training_view(rng: random.Random) -> View:
    p: dict[str, str] = {}
    if rng.random() < 0.9:
        p["data"] = rng.choice(list(DATASETS))
    if rng.random() < 0.5:
        p["width"] = str(rng.randint(2, 64))
    if rng.random() < 0.5:
        p["epochs"] = str(10 * rng.randint(1, 50))
    if rng.random() < 0.5:
        p["optimizer"] = rng.choice(list(OPTIMIZERS))
    if rng.random() < 0.5:
        p["rate"] = _num(rng.choice(LR_GRID))
    return View(TRAINING, tuple(p.items()))


def _nondiff_view(rng: random.Random) -> View:
    p: dict[str, str] = {}
    if rng.random() < 0.8:
        p["temp"] = _num(rng.choice(T_GRID))
    if rng.random() < 0.5:
        p["iters"] = str(10 * rng.randint(1, 100))
    if rng.random() < 0.6:
        p["eta"] = _num(rng.choice(LR_GRID))
    return View(NONDIFF, tuple(p.items()))


MAKERS = {EXPLORER: _explorer_view, TRAINING: _training_view, NONDIFF: _nondiff_view}


STAY = 0.35  # after the first three views, the chance that a view stays on the page of the one before


def make_views(seed: int, count: int, first_page: int) -> list[View]:
    """``count`` views drawn from ``seed``: the pages in turn from ``PAGES[first_page]`` (all three in the
    first three views), then each view stays on the page before with probability ``STAY``."""
    rng = random.Random(seed)
    views, page = [], first_page - 1
    for k in range(count):
        if k < len(PAGES) or rng.random() >= STAY:
            page = (page + 1) % len(PAGES)
        views.append(MAKERS[PAGES[page]](rng))
    return views


# --- what a run showed -------------------------------------------------------------------------


@dataclasses.dataclass
class Shown:
    """The texts and bound-widget values one script run sent."""

    texts: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (element type, body)
    widgets: dict[str, str] = dataclasses.field(default_factory=dict)  # query-param key -> value shown

    def add(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind in ("markdown", "alert", "text"):
            self.texts.append((kind, getattr(element, kind).body))
        elif kind == "selectbox":
            w = element.selectbox
            if w.query_param_key:
                shown = w.raw_value if w.set_value else ""
                if not w.set_value and 0 <= w.default < len(w.options):
                    shown = w.options[w.default]
                self.widgets[w.query_param_key] = shown
        elif kind == "slider":
            w = element.slider
            if not w.query_param_key:
                return
            if w.type == w.SELECT_SLIDER:
                if w.set_value and w.raw_value:
                    self.widgets[w.query_param_key] = w.raw_value[0]
                elif w.default and 0 <= int(w.default[0]) < len(w.options):
                    self.widgets[w.query_param_key] = w.options[int(w.default[0])]
            else:
                values = w.value if w.set_value and w.value else w.default
                if values:
                    self.widgets[w.query_param_key] = _num(values[0])

    def find(self, pattern: str, kinds: tuple[str, ...] = ("markdown",)) -> re.Match | None:
        for kind, body in self.texts:
            if kind in kinds:
                m = re.search(pattern, body, flags=re.S)
                if m:
                    return m
        return None


def _transform(a: float, g: str, c: float) -> str:
    """The transform as the Explorer writes it: L′ = a·g(L) + c."""
    scale = "" if a == 1.0 else ("−" if a == -1.0 else f"{a:g}·")
    inner = g if a in (1.0, -1.0) or g == "L" else f"({g})"
    shift = "" if c == 0.0 else f" {'+' if c > 0 else '−'} {abs(c):.4g}"
    return f"L′ = {scale}{inner}{shift}"


def _group(m: re.Match | None, name: str | int = 1) -> str | None:
    return None if m is None else m.group(name)


def checks(view: View, shown: Shown) -> list[tuple[str, str, str | None]]:
    """``(what, expected, shown)`` for every piece of evidence of the view (shown None: missing)."""
    s = view.setting
    out: list[tuple[str, str, str | None]] = []
    if view.page == EXPLORER:
        out.append(("problem", str(s("problem")), shown.widgets.get("problem")))
        prefix = f"{OPTIMIZERS[str(s('opt'))]}, {_transform(float(s('a')), str(s('g')), float(s('c')))}: "
        # the verdict: a markdown paragraph in the verdict box, starting with the optimizer's title
        box = next(
            (
                body
                for kind, body in shown.texts
                if kind in ("alert", "markdown") and body.startswith(prefix[:12])
            ),
            None,
        )
        out.append(("verdict", prefix, None if box is None else box[: len(prefix)]))
        caption = shown.find(
            r"Every optimizer at learning rate (\S+) with its default hyper-parameters, (\d+) steps"
        )
        out.append(("lr", _num(float(s("lr"))), _group(caption, 1)))
        out.append(("steps", str(int(s("steps"))), _group(caption, 2)))
        out.append(("playback step", str(int(s("steps"))), shown.widgets.get("step")))
    elif view.page == TRAINING:
        m = shown.find(
            r"^(?P<data>[^:]+): .*? training points, network \d+-(?P<width>\d+)-\d+-(?P<classes>\d+), "
            r"(?P<opt>.+?) at lr (?P<lr>\S+), (?P<epochs>\d+) epochs"
        )
        data = str(s("data"))
        out.append(("data", data, _group(m, "data")))
        out.append(("width", str(int(s("width"))), _group(m, "width")))
        out.append(("classes", str(DATASETS[data]), _group(m, "classes")))
        out.append(("optimizer", str(s("optimizer")), _group(m, "opt")))
        out.append(("rate", _num(float(s("rate"))), _group(m, "lr")))
        out.append(("epochs", str(int(s("epochs"))), _group(m, "epochs")))
    else:
        out.append(("temp", _num(float(s("temp"))), _group(shown.find(r"= 1/\(4T\) at T = (\S+?):"))))
        out.append(("eta", _num(float(s("eta"))), shown.widgets.get("eta")))
        out.append(("iters", str(int(s("iters"))), shown.widgets.get("iters")))
    return out


# the app's notices about a link value it rejected (common.show_notices); every link here is valid
_NOTICE = re.compile(
    r"is not a number|is not finite|is outside \[|is not one of|Unknown parameter|whole number|is given|not a setting"
)


@dataclasses.dataclass
class Result:
    view: View
    phase: str
    visitor: int
    how: str = ""  # "page load", "same page" or "from <page>": how the session got to the view
    seconds: float | None = None  # send -> script_finished; None on a timeout or a lost connection
    wrong: list[str] = dataclasses.field(default_factory=list)
    exceptions: list[str] = dataclasses.field(default_factory=list)
    timed_out: bool = False
    error: str | None = None  # the connection failed or closed
    restored: View | None = None  # the page's last link, which the app put back (see Visitor.view)
    cpu: float | None = None  # the server's CPU seconds from the view before to this one (baseline only)
    superseded: bool = False  # --impatient: sent while a view the visitor then left was still running

    @property
    def ok(self) -> bool:
        return not (self.wrong or self.exceptions or self.timed_out or self.error)


# --- one visitor ---------------------------------------------------------------------------------


def rerun_request(view: View, port: int, page_hash: str | None, history: bool) -> bytes:
    """The ``BackMsg`` the frontend sends to run ``view``'s page with its query string."""
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = view.query
    if page_hash:
        state.page_script_hash = page_hash
    else:
        state.page_name = view.page  # a page load: the URL path
    state.is_history_navigation = history
    state.widget_states.SetInParent()  # no widget touched: every bound widget comes from the URL
    info = state.context_info
    info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
    info.url = f"http://127.0.0.1:{port}/{view.page}" + (f"?{view.query}" if view.query else "")
    info.is_embedded, info.color_scheme = False, "light"
    return msg.SerializeToString()


class Visitor:
    """One browser tab: a websocket session, reconnected after a timeout or a lost connection."""

    def __init__(self, port: int, index: int, timeout: float, reload: bool = False) -> None:
        self.port, self.index, self.timeout, self.reload = port, index, timeout, reload
        self.ws = None
        self.page_hashes: dict[str, str] = {}  # URL path -> page_script_hash (from the navigation message)
        self.page: str | None = None  # the page the session shows; None before its first run
        self.last_link: dict[str, View] = {}  # page -> the view it last showed in this session

    async def close(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            try:
                await asyncio.wait_for(ws.close(), 5)
            except Exception:  # closing a broken connection: nothing to do
                pass

    async def _connect(self) -> None:
        self.ws = await connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=None,  # the frontend sends no pings; a busy server must not be cut off
            close_timeout=5,
        )
        self.page_hashes, self.page, self.last_link = {}, None, {}  # a new session

    async def view(self, view: View, phase: str, decoy: View | None = None, patience: float = 0.0) -> Result:
        """Runs ``view``; with a ``decoy`` (a view on the same page, of an open session), asks for the
        decoy first and for ``view`` ``patience`` seconds later, as a visitor who changes a setting
        before the view they asked for has drawn (``Result.superseded`` if it had not)."""
        result = Result(view, phase, self.index)
        ignore: set[str] = set()
        try:
            if self.reload:
                await self.close()
            if self.ws is None:
                await asyncio.wait_for(self._connect(), self.timeout)
            if decoy is not None and self.page is not None and view.params and decoy.params:
                await self.ws.send(
                    rerun_request(decoy, self.port, self.page_hashes.get(decoy.page), history=True)
                )
                self.page = decoy.page
                result.superseded = not await self._drain(patience, ignore)
            loaded = self.page is not None
            if not loaded:
                result.how = "page load"
            else:
                result.how = "same page" if self.page == view.page else f"from {PAGE_NAMES[self.page]}"
            page_hash = self.page_hashes.get(view.page) if loaded else None
            # The links design (lossviz.ui.common.check_link): a history entry of a page that names
            # none of its parameters, reached from another page (what Streamlit pushes on a page
            # switch), gets the page's last link in this session back, so the view expected there is
            # that link's. Within the page such an entry is the page's defaults (its bare link).
            if loaded and not view.params and view.page in self.last_link and self.page != view.page:
                result.restored = self.last_link[view.page]
            t0 = time.perf_counter()
            await self.ws.send(rerun_request(view, self.port, page_hash, history=loaded))
            self.page = view.page
            shown = await self._read_run(result, t0, ignore)
        except TimeoutError:
            result.timed_out = True
            await self.close()  # the next view starts a fresh session, like a reload
            return result
        except Exception as e:  # a failed view is counted, not fatal
            result.error = f"{type(e).__name__}: {e}"
            await self.close()
            return result
        self.last_link[view.page] = result.restored or view
        for what, expected, got in checks(result.restored or view, shown):
            if got != expected:
                result.wrong.append(f"{what}: expected {expected!r}, page shows {got!r}")
        for kind, body in shown.texts:
            if kind == "alert" and _NOTICE.search(body):
                result.wrong.append(f"notice: {body[:100]!r}")
        return result

    async def _drain(self, seconds: float, runs: set[str]) -> bool:
        """Reads the decoy's ForwardMsgs for up to ``seconds`` (noting its runs' ids in ``runs``);
        whether its run finished within them."""
        end = time.perf_counter() + seconds
        while (remaining := end - time.perf_counter()) > 0:
            try:
                msg = ForwardMsg.FromString(await asyncio.wait_for(self.ws.recv(), remaining))
            except TimeoutError:
                return False
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                runs.add(msg.metadata.run.script_run_id)
            elif kind == "navigation":
                self.page_hashes = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return True
        return False

    async def _read_run(
        self, result: Result, t0: float, ignore: frozenset[str] | set[str] = frozenset()
    ) -> Shown:
        """Reads ForwardMsgs until the ``script_finished`` of the run this request started (not of a
        run in ``ignore``: a decoy's)."""
        run_id: str | None = None
        shown = Shown()
        for _ in range(1_000_000):  # bounded; the deadline below ends it long before
            remaining = t0 + self.timeout - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError
            msg = ForwardMsg.FromString(await asyncio.wait_for(self.ws.recv(), remaining))
            kind = msg.WhichOneof("type")
            if kind == "new_session" and msg.metadata.run.script_run_id in ignore:
                run_id = None  # the decoy's run: its messages are not this view's
            elif kind == "new_session":
                run_id, shown = msg.metadata.run.script_run_id, Shown()  # a run (or an st.rerun) starts
            elif kind == "navigation":
                self.page_hashes = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "page_not_found":
                result.wrong.append(f"page not found: {msg.page_not_found.page_name!r}")
            elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
                e = msg.session_event.script_compilation_exception
                result.exceptions.append(f"{e.type}: {e.message}")
            elif kind == "delta" and run_id is not None and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == "exception":
                    e = element.exception
                    result.exceptions.append(f"{e.type}: {e.message.splitlines()[0] if e.message else ''}")
                else:
                    shown.add(element)
            elif kind == "script_finished" and run_id is not None:
                if msg.metadata.run.script_run_id not in (run_id, ""):
                    continue  # an earlier run's
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): the next run follows
                result.seconds = time.perf_counter() - t0
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    result.exceptions.append("the script did not compile")
                return shown
        raise TimeoutError


Impatience = tuple[float, float, int]
"""``--impatient``: (share of views preceded by a decoy the visitor leaves, seconds before leaving it, seed)."""


async def visit(
    visitor: Visitor,
    views: list[View],
    phase: str,
    deadline: float,
    sink,
    impatience: Impatience | None = None,
    think: float = 0.0,
    seed: int = 0,
) -> None:
    rng = random.Random(impatience[2] * 7919 + visitor.index) if impatience else None
    pauses = random.Random(seed * 7919 + 104729 + visitor.index)  # apart: --think changes no view
    try:
        for k, view in enumerate(views):
            if k and think > 0:
                await asyncio.sleep(pauses.expovariate(1.0 / think))  # reading the view before
            if time.perf_counter() > deadline:
                break
            decoy = None
            if rng is not None and rng.random() < impatience[0]:
                decoy = MAKERS[view.page](rng)  # a view of the same page, drawn apart
            sink(await visitor.view(view, phase, decoy, impatience[1] if impatience else 0.0))
    finally:
        await visitor.close()


def run_phase(
    port: int,
    plans: list[list[View]],
    phase: str,
    timeout: float,
    seconds: float,
    sink,
    reload: bool = False,
    impatience: Impatience | None = None,
    think: float = 0.0,
    seed: int = 0,
) -> float:
    """Runs one visitor per plan, all at once, until the plans end or ``seconds`` pass; returns the wall time.

    ``think``: a visitor's mean pause between views, in seconds (exponential, seeded by ``seed``)."""

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        visitors = [Visitor(port, i, timeout, reload) for i in range(len(plans))]
        await asyncio.gather(
            *(
                visit(v, views, phase, deadline, sink, impatience, think, seed)
                for v, views in zip(visitors, plans, strict=True)
            )
        )

    t0 = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - t0


# --- the server and its memory ---------------------------------------------------------------------


def _jax_cache_files() -> str:
    """Where the app's persistent JAX cache is (lossviz.ui.warmup.cache_dir) and how many files it holds."""
    chosen = os.environ.get("LOSSVIZ_JAX_CACHE")
    if chosen == "":
        return "off (LOSSVIZ_JAX_CACHE is empty)"
    for folder in ([chosen] if chosen else []) + [
        os.path.expanduser("~/.cache/lossviz/jax"),
        os.path.join(tempfile.gettempdir(), "lossviz-jax"),
    ]:
        if os.path.isdir(folder):
            return f"{folder}, {sum(len(files) for _, _, files in os.walk(folder))} files"
    return "empty (not created yet)"


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo and len(found) < 1000:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return found


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` and its children, MB (1 MB = 2**20 bytes)."""
    total = 0.0
    for p in _descendants(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024.0
        except OSError:
            continue
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its children so far, seconds."""
    total = 0
    for p in _descendants(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / CLOCK_TICKS


class RssSampler(threading.Thread):
    """Samples the server's RSS every 0.5 s: ``(seconds since the server started, MB, phase)``."""

    def __init__(self, server: Server, max_seconds: float) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.server, self.max_seconds = server, max_seconds
        self.samples: list[tuple[float, float, str]] = []
        self.phase = "start"
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set() and time.perf_counter() - self.server.t0 < self.max_seconds:
            if self.server.proc.poll() is not None:
                break
            self.samples.append(
                (time.perf_counter() - self.server.t0, rss_mb(self.server.proc.pid), self.phase)
            )
            self.stopped.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


# --- figures -------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def latency(results: list[Result]) -> tuple[float, float, float]:
    s = [r.seconds for r in results if r.seconds is not None]
    return _pct(s, 50), _pct(s, 95), max(s, default=float("nan"))


_HEADER = f"  {'':18s} {'views':>5s} {'wrong':>6s} {'exceptions':>11s} {'timeouts':>9s} {'errors':>7s} {'p50 s':>7s} {'p95 s':>7s} {'max s':>7s}"


def _row(name: str, results: list[Result]) -> str:
    p50, p95, worst = latency(results)
    return (
        f"  {name:18s} {len(results):5d} {sum(bool(r.wrong) for r in results):6d} "
        f"{sum(bool(r.exceptions) for r in results):11d} {sum(r.timed_out for r in results):9d} "
        f"{sum(r.error is not None for r in results):7d} {p50:7.2f} {p95:7.2f} {worst:7.2f}"
    )


def _problems(r: Result) -> list[str]:
    return r.wrong + r.exceptions + ([r.error] if r.error else []) + (["timeout"] if r.timed_out else [])


def print_problems(results: list[Result], limit: int = 12) -> None:
    """Problems grouped by kind (and how the session reached the view), with a count and a first example."""
    groups: dict[str, list[tuple[Result, str]]] = collections.defaultdict(list)
    for r in results:
        page = PAGE_NAMES[r.view.page]
        reached = (
            "a page load"
            if r.how == "page load"
            else ("same page" if r.how == "same page" else "page switch")
        )
        for w in r.wrong:
            groups[f"wrong {page} {w.split(':')[0]} ({reached})"].append((r, w))
        for e in r.exceptions:
            groups[f"exception on {page}: {e[:90]}"].append((r, e))
        if r.timed_out:
            groups[f"timeout on {page}"].append((r, "timeout"))
        if r.error:
            groups[f"connection error on {page}"].append((r, r.error))
    if not groups:
        print("  none: every view showed what its link names")
        return
    for name, hits in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:limit]:
        first, detail = hits[0]
        phases = collections.Counter(r.phase for r, _ in hits)
        print(f"  {len(hits):3d}x {name}; {', '.join(f'{n} {p}' for p, n in phases.items())}")
        print(f"        e.g. {first.view} ({first.how}): {detail[:120]}")
    if len(groups) > limit:
        print(f"  ... and {len(groups) - limit} more kinds")


def print_cpu(
    base: list[Result],
    load: list[Result],
    cpu_load: float | None,
    t_load: float,
    visitors: int,
    budget,
    think: float = 0.0,
) -> None:
    """The server's CPU seconds per view, and what they imply for latency at once.

    N visitors who ask for view after view (no pause) are served at most ``cores / cpu`` views a
    second, so by Little's law each waits on average at least ``N * cpu / cores`` a view: a p95
    budget B cannot be met unless a view costs less than ``cores * B / N`` of CPU on average, and
    views of unequal cost need less than that. Visitors who pause ``think`` seconds on average
    between views wait at least ``N * cpu / cores - think`` (the interactive response-time law).
    """
    cores = turns.cores()  # the cores the server may use (affinity, a container's quota)
    costs = [r.cpu for r in base if r.cpu is not None]
    if costs:
        by_page = ", ".join(
            f"{PAGE_NAMES[page]} {statistics.fmean(c):.3f} s (n={len(c)})"
            for page in PAGES
            if (c := [r.cpu for r in base if r.view.page == page and r.cpu is not None])
        )
        print(f"  server CPU per view alone: {statistics.fmean(costs):.3f} s ({by_page})")
    if not load or cpu_load is None:
        return
    per_view = cpu_load / len(load)
    print(
        f"  server CPU per view at once: {per_view:.3f} s ({cpu_load / t_load:.2f} of {cores} cores busy); "
        f"at that cost {cores} cores serve at most {cores / per_view:.1f} views/s, and {visitors} visitors "
        f"wait on average at least {max(visitors * per_view / cores - think, 0.0):.2f} s a view "
        + ("(Little's law)" if not think else f"(Little's law, less their {think:g} s pauses)")
    )
    if budget is not None:
        print(
            f"  a p95 <= {budget:g} s needs a mean <= {budget:g} s: less than {cores * budget / visitors:.3f} s "
            f"of CPU per view on average ({per_view:.3f} s now), and less again as views differ in cost"
        )


def print_memory(sampler: RssSampler, load_span: tuple[float, float] | None, soak: bool) -> dict[str, float]:
    samples = sampler.samples
    out: dict[str, float] = {}
    if not samples:
        print("  no RSS sample")
        return out
    t_peak, peak, phase_peak = max(samples, key=lambda s: s[1])
    out["peak"] = peak
    print(
        f"server RSS (VmRSS of the server and its children, every {SAMPLE_EVERY_S:g} s, {len(samples)} samples): "
        f"peak {peak:.0f} MB at {t_peak:.0f} s ({phase_peak})"
    )
    by_phase: dict[str, list[float]] = collections.defaultdict(list)
    for _, mb, phase in samples:
        by_phase[phase].append(mb)
    print(
        "  " + ", ".join(f"{p}: {v[0]:.0f} -> {v[-1]:.0f} MB (max {max(v):.0f})" for p, v in by_phase.items())
    )
    rows = 12
    step = max(1, len(samples) // rows)
    picked = sorted(set(samples[::step]) | {samples[-1], (t_peak, peak, phase_peak)})
    print("  timeline (s since the server started):")
    for t, mb, phase in picked:
        print(f"    {t:7.1f} s  {mb:6.0f} MB  {'#' * int(40 * mb / max(peak, 1.0)):40s}  {phase}")
    if soak and load_span is not None:
        t_start, t_end = load_span
        quarter = (t_end - t_start) / 4
        means = []
        for q in range(4):
            v = [
                mb
                for t, mb, p in samples
                if p == "load" and t_start + q * quarter <= t < t_start + (q + 1) * quarter
            ]
            means.append(statistics.fmean(v) if v else float("nan"))
        print(
            "  soak, mean RSS per quarter of the concurrent phase: "
            + ", ".join(f"Q{q + 1} {m:.0f} MB" for q, m in enumerate(means))
        )
        out["q3"], out["q4"] = means[2], means[3]
    out["final"] = samples[-1][1]
    return out


def _interrupt(*_: object) -> None:
    os.kill(os.getpid(), signal.SIGINT)  # a SIGTERM ends the run as Ctrl-C does (asyncio cancels cleanly)


def _print_view(r: Result, index: int) -> None:
    took = f"{r.seconds:6.2f} s" if r.seconds is not None else ("timeout " if r.timed_out else "error   ")
    flag = "" if r.ok else "  <- " + "; ".join(_problems(r))[:160]
    print(f"  {index:3d}  {took}  {r.view}  ({r.how}){flag}", flush=True)


def run_all(args: argparse.Namespace, views: int, seconds: float) -> dict:
    """Server up, warm-up, baseline, concurrent phase, server down; returns what was measured."""
    port = args.port or _server.free_port()
    baseline_plan = make_views(args.seed * 1000 + 999, views, 0)
    load_plans = [make_views(args.seed * 1000 + i, views, i % len(PAGES)) for i in range(args.visitors)]
    planned = args.visitors * views
    cache = _jax_cache_files()
    server = Server(port, name="bench_load")
    sampler = RssSampler(server, max_seconds=3 * seconds + 3600)
    out: dict = {"base": [], "load": [], "server": server, "sampler": sampler, "planned": planned}
    try:
        healthy = server.wait_healthy()
        sampler.phase = "warm-up" if args.warm else "baseline"
        sampler.start()
        print(
            f"server: streamlit run app.py on 127.0.0.1:{port} (pid {server.proc.pid}), healthy after {healthy:.1f} s; "
            f"JAX cache {cache}"
        )

        if args.warm:
            sampler.phase = "warm-up"
            warm: list[Result] = []
            run_phase(
                port,
                [[View(page, ()) for page in PAGES]],
                "warm-up",
                max(args.timeout, 180.0),
                seconds,
                warm.append,
            )
            took = ", ".join(
                f"{PAGE_NAMES[r.view.page]} {r.seconds:.2f} s"
                if r.seconds is not None
                else f"{PAGE_NAMES[r.view.page]} failed"
                for r in warm
            )
            print(f"warm-up (--warm, not counted): {took}")
            for r in warm:
                if not r.ok:
                    print(f"  warm-up view {r.view}: {'; '.join(_problems(r))[:200]}")
            # "after warm-up": the background thread compiles the other programs; wait for it
            waited = server.wait_for_log(WARM_MESSAGE, timeout=300.0)
            print(
                f"every program warm {waited:.1f} s after the server started"
                if waited is not None
                else "every program warm: not seen in the server's log within 300 s"
            )
            # the warm-up thread then trains each data set's default view: the phases start after it
            done = server.wait_for_log(VIEWS_MESSAGE, timeout=120.0)
            if done is not None:
                print(f"the warm-up done (default training views kept) {done:.1f} s after the server started")

        sampler.phase = "baseline"
        cold = "" if args.warm else " (the first pays for the server's warm-up)"
        print(f"\nbaseline: 1 visitor alone, {views} views in a row{cold}")
        base: list[Result] = out["base"]
        pid = server.proc.pid
        last_cpu = [cpu_seconds(pid)]

        def on_base(r: Result) -> None:
            # one visitor, one view at a time: the server's CPU since the last view is this view's
            now = cpu_seconds(pid)
            r.cpu, last_cpu[0] = now - last_cpu[0], now
            base.append(r)
            _print_view(r, len(base))

        out["t_base"] = run_phase(
            port, [baseline_plan], "baseline", args.timeout, seconds, on_base, args.reload
        )

        sampler.phase = "load"
        print(f"\nload: {args.visitors} visitors at once, {views} views each (problems grouped below)")
        load: list[Result] = out["load"]
        t0 = time.perf_counter()
        every = max(1, planned // 8)

        def on_load(r: Result) -> None:
            load.append(r)
            if len(load) % every == 0 or len(load) == planned:
                bad = sum(not x.ok for x in load)
                print(
                    f"  {len(load):4d}/{planned} views, {time.perf_counter() - t0:5.0f} s, {bad} not right",
                    flush=True,
                )

        t_start = time.perf_counter() - server.t0
        cpu_start = cpu_seconds(pid)
        impatience = (args.impatient, args.patience, args.seed) if args.impatient > 0 else None
        out["t_load"] = run_phase(
            port,
            load_plans,
            "load",
            args.timeout,
            seconds,
            on_load,
            args.reload,
            impatience,
            args.think,
            args.seed,
        )
        out["cpu_load"] = cpu_seconds(pid) - cpu_start
        out["load_span"] = (t_start, time.perf_counter() - server.t0)
        sampler.phase = "idle"
        time.sleep(2.0)  # memory once the visitors have gone
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the server")
        raise
    finally:
        sampler.stop()
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitors", type=int, default=8, help="visitors at once (default 8)")
    parser.add_argument(
        "--views", type=int, default=None, help="views per visitor (default 10; 40 with --soak)"
    )
    parser.add_argument("--soak", action="store_true", help="a longer run: RSS per quarter, steady or not")
    parser.add_argument("--port", type=int, default=None, help="server port (default: a free one)")
    parser.add_argument("--warm", action="store_true", help="open each page once first (not counted)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per view before a timeout (60)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="start no view after this (600; soak 1800)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the views (0)")
    parser.add_argument("--slowest", type=int, default=8, help="list this many slowest views at once (8)")
    parser.add_argument(
        "--reload",
        action="store_true",
        help="every view a page load in a new session (links followed, no back/forward)",
    )
    parser.add_argument(
        "--impatient",
        type=float,
        default=0.0,
        help="at once, the share of views a visitor asks for while a view they then leave is running (0)",
    )
    parser.add_argument(
        "--patience", type=float, default=0.5, help="--impatient: seconds before leaving that view (0.5)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="at once, each visitor's mean pause between views in seconds (exponential; 0: back to back, "
        "the budgets' scenario)",
    )
    args = parser.parse_args()
    views = args.views if args.views is not None else (40 if args.soak else 10)
    seconds = args.seconds if args.seconds is not None else (1800.0 if args.soak else 600.0)
    if args.visitors < 1 or views < 1 or args.timeout <= 0 or args.think < 0:
        sys.exit("--visitors and --views must be >= 1, --timeout > 0, --think >= 0")
    signal.signal(signal.SIGTERM, _interrupt)  # like Ctrl-C: the server is stopped on the way out
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {args.visitors} visitors x {views} views"
        f"{' (soak)' if args.soak else ''}, seed {args.seed}, timeout {args.timeout:g} s per view, "
        + ("every view a new session (--reload)" if args.reload else "one session per visitor (back/forward)")
        + (f"; at once, visitors pause {args.think:g} s on average between views" if args.think else "")
    )
    limit = turns.runs_at_once()  # what the server will compute: it inherits this environment
    why = (
        f"{turns.ENV}={os.environ[turns.ENV]!r}"
        if turns.ENV in os.environ
        else f"{turns.RUNS_PER_CORE} per core"
    )
    print(f"server's page runs at once: {limit or 'no limit'} ({why}, lossviz/ui/turns.py)")
    out = run_all(args, views, seconds)
    base, load, planned = out["base"], out["load"], out["planned"]
    if len(load) < planned:
        print(f"  stopped after {len(load)} of {planned} views: past --seconds {seconds:g}")

    print("\n" + _HEADER)
    print(_row("alone (baseline)", base))
    print(_row(f"{args.visitors} at once", load))
    (b50, b95, bmax), (l50, l95, lmax) = latency(base), latency(load)
    print(f"  {'at once / alone':18s} {'':42s} {l50 / b50:6.1f}x {l95 / b95:6.1f}x {lmax / bmax:6.1f}x")
    for page in PAGES:
        pb, pl = [r for r in base if r.view.page == page], [r for r in load if r.view.page == page]
        (a50, a95, _), (c50, c95, _) = latency(pb), latency(pl)
        print(
            f"  {PAGE_NAMES[page]:18s} p50/p95 alone {a50:5.2f}/{a95:5.2f} s (n={len(pb)}), "
            f"at once {c50:5.2f}/{c95:5.2f} s (n={len(pl)})"
        )
    t_base, t_load = out.get("t_base", float("nan")), out.get("t_load", float("nan"))
    print(
        f"  throughput: alone {len(base) / t_base:.2f} views/s; {args.visitors} at once {len(load) / t_load:.2f} views/s "
        f"({len(load)} views in {t_load:.0f} s)"
    )
    if args.impatient > 0:
        left = [r for r in load if r.superseded]
        rest = [r for r in load if not r.superseded]
        (s50, s95, smax), (o50, o95, omax) = latency(left), latency(rest)
        print(
            f"  --impatient {args.impatient:g}: {len(left)} views asked for while the visitor's previous one "
            f"was still running ({args.patience:g} s after it): p50/p95/max {s50:.2f}/{s95:.2f}/{smax:.2f} s "
            f"from the second request; the other {len(rest)}: {o50:.2f}/{o95:.2f}/{omax:.2f} s"
        )
    print_cpu(
        base,
        load,
        out.get("cpu_load"),
        t_load,
        args.visitors,
        P95_BUDGET_S.get(args.visitors) if not args.think else None,
        args.think,
    )
    if args.slowest > 0 and load:
        print(f"\nslowest {min(args.slowest, len(load))} views at once:")
        order = sorted(range(len(load)), key=lambda k: -(load[k].seconds or math.inf))
        for k in order[: args.slowest]:
            _print_view(load[k], k + 1)
    print("\nproblems (grouped, with the first view that showed each):")
    print_problems(base + load)
    server: Server = out["server"]
    errors = server.log_errors()
    print(f"server log {server.log.name}: {len(errors)} lines with Traceback/ERROR/Exception")
    for line in errors[:5]:
        print(f"    {line[:150]}")
    print()
    mem = print_memory(out["sampler"], out.get("load_span"), args.soak)

    peak = mem.get("peak", float("nan"))
    print(f"\nSUMMARY (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    right = not any(not r.ok for r in load) and len(load) == planned
    print(
        f"  {'PASS' if right else 'FAIL'}  views at once: {len(load)} of {planned} done, "
        f"{sum(bool(r.wrong) for r in load)} wrong, {sum(bool(r.exceptions) for r in load)} with exceptions, "
        f"{sum(r.timed_out for r in load)} timeouts, {sum(r.error is not None for r in load)} errors "
        f"(alone: {sum(not r.ok for r in base)} of {len(base)} not right)"
    )
    print(
        f"  {'PASS' if peak <= MEMORY_BUDGET_MB else 'FAIL'}  server memory: peak {peak:.0f} MB "
        f"(budget <= {MEMORY_BUDGET_MB:g} MB)"
    )
    # the budgets are for visitors who ask back to back (the class, as measured since)
    budget = P95_BUDGET_S.get(args.visitors) if args.warm and args.think == 0 else None
    verdict = "info" if budget is None else ("PASS" if l95 <= budget else "FAIL")
    why_none = (
        f" (visitors pause {args.think:g} s on average: no budget)"
        if args.think
        else " (no budget for this run)"
    )
    print(
        f"  {verdict}  latency at once: p95 {l95:.2f} s"
        + (f" (budget <= {budget:g} s after warm-up)" if budget is not None else why_none)
        + f"; at once / alone: p50 {l50 / b50:.1f}x, p95 {l95 / b95:.1f}x ({b95:.2f} s alone)"
    )
    if args.soak and "q4" in mem:
        drift = mem["q4"] / mem["q3"] - 1
        print(
            f"  {'PASS' if abs(drift) <= STEADY_TOLERANCE else 'FAIL'}  memory steady (soak): last quarter "
            f"{mem['q4']:.0f} MB vs third {mem['q3']:.0f} MB ({drift:+.1%}; within {STEADY_TOLERANCE:.0%})"
        )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
