"""Real-browser tests: Streamlit server + Debian's Chromium driven by Playwright.

These need `chromium` at /usr/bin/chromium (`.ci/run` installs it). They never run
`playwright install`. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
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

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(folder: Path, **env: str):
    """A Streamlit server of the app on a free port, its log in ``folder``; ``env`` adds to its
    environment. Yields its URL once its health check answers."""
    port = _free_port()
    log_path = folder / "server.log"
    log = open(log_path, "wb")  # a file, not a pipe: a full pipe would block the server
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                log.close()
                raise RuntimeError("streamlit did not start:\n" + log_path.read_text()) from None
            time.sleep(0.3)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_the_server_warms_up_when_it_starts_before_any_visitor(tmp_path):
    # app.py serves the pages with st.App, whose lifespan starts the warm-up: without it nothing
    # would compile until a first page run, and no page is asked for here (only the health check)
    from lossviz.ui import warmup

    with serve(tmp_path):
        log = tmp_path / "server.log"
        deadline = time.time() + 300
        while warmup.WARM_MESSAGE not in log.read_text(errors="replace"):
            assert time.time() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is required (apt-get install -y chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    pg = context.new_page()
    yield pg
    context.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _wait_for_charts(page, count: int = 1) -> None:
    page.wait_for_selector(f"{CHART} canvas, {CHART} svg", timeout=120_000)
    page.wait_for_function(f'document.querySelectorAll("{CHART}").length >= {count}', timeout=120_000)


def _query(page) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)


def _start_w(page) -> float:
    field = page.get_by_role("spinbutton", name="start w")
    field.wait_for(timeout=30_000)
    page.wait_for_function(
        "document.querySelector('input[aria-label=\"start w\"]').value !== ''", timeout=30_000
    )
    return float(field.input_value())


def test_a_shared_link_opens_that_view(server, page):
    page.goto(f"{server}/?problem=Rosenbrock&opt=Adam&c=-6.2832")
    _wait_for_charts(page, 3)
    page.get_by_text("Identical, bit for bit").first.wait_for(timeout=60_000)
    assert page.get_by_text("L′ = L − 6.283").count() >= 1
    _shot(page, "explorer_shared_link")
    assert _query(page)["problem"] == ["Rosenbrock"]


def test_clicking_a_landscape_moves_the_start_and_the_link(server, page):
    page.goto(f"{server}/")
    _wait_for_charts(page, 3)
    page.get_by_text("Identical, bit for bit").first.wait_for(timeout=60_000)
    assert "x0" not in _query(page)
    chart = page.locator(CHART).first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box and box["width"] > 200
    # Inside the left panel's plot area: a third of the way across the chart, near the top.
    page.mouse.click(box["x"] + box["width"] * 0.22, box["y"] + box["height"] * 0.2)
    page.wait_for_function(
        "location.search.includes('x0=') && location.search.includes('y0=')", timeout=60_000
    )
    query = _query(page)
    x0, y0 = float(query["x0"][0]), float(query["y0"][0])
    assert (x0, y0) != (-1.0, 2.0)  # not the default start any more
    # the start input shows the clicked point
    assert _start_w(page) == pytest.approx(x0, abs=1e-3)
    _shot(page, "explorer_after_click")

    # and the link reproduces it in a fresh page
    page.goto(page.url)
    _wait_for_charts(page, 3)
    assert _start_w(page) == pytest.approx(x0, abs=1e-3)


def test_the_csv_download_is_written_when_clicked_and_holds_both_runs(server, browser):
    # the page hands Streamlit a function, which runs on the click: the file must still arrive
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{server}/?problem=Rosenbrock&steps=50")
        _wait_for_charts(page, 3)
        button = page.get_by_role("button", name="Download trajectories (CSV)")
        button.wait_for(timeout=60_000)
        with page.expect_download(timeout=60_000) as download:
            button.click()
        assert download.value.suggested_filename == "lossviz_rosenbrock_sgd.csv"
        lines = Path(download.value.path()).read_text().splitlines()
        assert lines[0] == "run,step,x,y,L,L_transformed"
        assert len(lines) == 1 + 2 * 51  # each run's 51 points, steps 0..50
        assert lines[1].startswith("original,0,") and lines[-1].startswith("transformed,50,")
    finally:
        context.close()


def test_a_hostile_link_shows_a_notice_not_a_traceback(server, page):
    page.goto(f"{server}/?lr=abc&problem=%3Cscript%3E&x0=nan")
    _wait_for_charts(page, 3)
    page.get_by_text("lr='abc' is not one of the slider's values").first.wait_for(timeout=60_000)
    assert page.get_by_text("x0='nan' is not finite").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0
    assert _query(page) == {}  # every bad value left the address bar
    _shot(page, "explorer_hostile_link")


def test_the_non_differentiable_page_from_a_link(server, page):
    page.goto(f"{server}/nondifferentiable?temp=0.1&surrogate=logistic")
    _wait_for_charts(page, 5)
    page.get_by_text("did not move").first.wait_for(timeout=60_000)
    page.get_by_text("descent on the sigmoid surrogate in disguise").first.wait_for(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    _shot(page, "nondiff_link")
    # a click on the classifier's landscape moves every run's start
    chart = page.locator(CHART).nth(3)
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    page.wait_for_function(
        "location.search.includes('w1=') && location.search.includes('w2=')", timeout=60_000
    )
    assert _query(page)["temp"] == ["0.1"]
    _shot(page, "nondiff_after_click")


def test_the_training_page_from_a_link(server, page):
    page.goto(f"{server}/training?epochs=60&shift=-10&seed=2")
    _wait_for_charts(page, 3)
    page.get_by_text("the same training, bit for bit").first.wait_for(timeout=120_000)
    page.get_by_text("gradient ascent on the real loss").first.wait_for(timeout=60_000)
    assert page.get_by_text("Shifted by c = −10").count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
    _shot(page, "training_link")
    # the same link again: the runs come from the cache and the page draws the same verdict
    page.goto(page.url)
    _wait_for_charts(page, 3)
    page.get_by_text("after every one of the 60 epochs").first.wait_for(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert _query(page)["shift"] == ["-10"]


# --- every page on a phone and in the dark (issue 10) ------------------------------------------

PAGES = {"explorer": ("/", 3), "training": ("/training", 7), "nondifferentiable": ("/nondifferentiable", 5)}
# every chart, the landscape pairs too (laid out for the width the browser reports: stacked on a phone)
_SIZES = """() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    charts: [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
        .map(c => {
            const drawn = c.querySelector("svg, canvas").getBoundingClientRect();
            return {width: drawn.width, right: drawn.right, container: c.parentElement.getBoundingClientRect().width};
        }),
})"""


def _open(browser, server, path: str, charts: int, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.goto(f"{server}{path}")
    _wait_for_charts(page, charts)
    page.wait_for_function(
        f'document.querySelectorAll("{CHART} svg, {CHART} canvas").length >= {charts}', timeout=120_000
    )
    page.wait_for_timeout(1000)  # vega-embed's resize to the container
    return ctx, page


@pytest.mark.parametrize("name", PAGES)
def test_every_page_fits_a_phone(server, browser, name):
    path, charts = PAGES[name]
    ctx, page = _open(browser, server, path, charts, viewport={"width": 400, "height": 900})
    try:
        if name != "training":  # a landscape pair: laid out again for the width the browser reports
            page.wait_for_function(
                """() => { const c = document.querySelector(".st-key-lossviz-live [data-testid='stVegaLiteChart']");
                           const d = c && c.querySelector("svg, canvas");
                           return d && d.getBoundingClientRect().width <= c.parentElement.getBoundingClientRect().width + 1; }""",
                timeout=60_000,
            )
            page.wait_for_timeout(500)
        sizes = page.evaluate(_SIZES)
        _shot(page, f"{name}_phone")
        assert sizes["scrollWidth"] <= sizes["innerWidth"]  # no horizontal scrolling of the page
        assert sizes["charts"], "no chart to check"
        for chart in sizes["charts"]:
            # every chart within its container and the screen: no fixed width wider than a phone
            assert chart["width"] <= chart["container"] + 1, chart
            assert chart["right"] <= sizes["innerWidth"], chart
    finally:
        ctx.close()


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("path", ["/?problem=Rosenbrock&lr=0.005", "/nondifferentiable", "/training"])
def test_the_dark_theme_is_followed_and_chart_text_reads_on_it(server, browser, path):
    ctx, page = _open(browser, server, path, 3, viewport={"width": 1500, "height": 1100}, color_scheme="dark")
    try:
        background = page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
        assert _luminance(background) < 0.05  # the viewer's dark theme, not a forced light one
        texts = page.evaluate(
            f"""() => [...document.querySelectorAll("{CHART} svg text")]
                .filter(t => t.textContent.trim())
                .map(t => [t.textContent, getComputedStyle(t).fill])"""
        )
        _shot(page, "dark_" + ("explorer" if path.startswith("/?") else path.strip("/")))
        assert len(texts) > 20
        # axis labels, legends and the bars' own labels (once black on black)
        unreadable = [(text, fill) for text, fill in texts if _contrast(fill, background) < 3]
        assert not unreadable, unreadable
    finally:
        ctx.close()


# --- links that hold (issue 11) ---------------------------------------------------------


def _settle(page, seconds: float = 1.5) -> None:
    """Waits until the script run a change started has finished, then a moment for the URL."""
    time.sleep(0.5)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    time.sleep(seconds)


def _slider(page, label: str):
    return page.locator("[data-testid='stSlider']").filter(has_text=label).get_by_role("slider")


def _choose(page, label: str, option: str) -> None:
    page.locator("[data-testid='stSelectbox']").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    _settle(page)


def test_the_ends_of_a_slider_and_optimizer_switches_write_the_link(server, page):
    page.goto(f"{server}/?opt=Lion")
    _wait_for_charts(page)
    _settle(page)
    lr = _slider(page, "learning rate")
    lr.focus()
    lr.press("Home")  # the grid's low end
    _settle(page)
    assert _query(page)["lr"] == ["0.0001"]
    _choose(page, "optimizer", "Polyak")
    _choose(page, "optimizer", "Adam")
    assert _slider(page, "β₂").get_attribute("aria-valuetext") == "0.9990"  # Adam's, not Lion's 0.99
    assert "b2" not in _query(page) and _query(page)["opt"] == ["Adam"]


def test_back_from_another_page_returns_to_the_view(server, page):
    page.goto(f"{server}/?opt=Adam&lr=0.02&problem=Himmelblau")
    _wait_for_charts(page)
    _settle(page)
    page.get_by_role("link", name="Train a network").click()
    _wait_for_charts(page, 3)
    _settle(page)
    page.go_back()
    _settle(page, 3)
    assert _query(page) == {"opt": ["Adam"], "lr": ["0.02"], "problem": ["Himmelblau"]}
    assert _slider(page, "learning rate").get_attribute("aria-valuetext") == "0.02"
    page.go_forward()
    _settle(page, 3)
    assert urllib.parse.urlparse(page.url).path == "/training"
    assert page.locator("[data-testid='stAlert']").filter(has_text="Unknown parameter").count() == 0


def test_a_hostile_link_is_cleaned_from_the_address_bar(server, page):
    page.goto(f"{server}/training?seed=inf&noise=1e308&epochs=10")
    page.get_by_text("seed='inf' is not finite").wait_for(timeout=120_000)
    _settle(page)
    assert _query(page) == {"epochs": ["10"]}
    assert page.locator("[data-testid='stException']").count() == 0


def test_the_explorer_path_opens_the_landing_page(server, page):
    page.goto(f"{server}/explorer?problem=Rosenbrock")
    _wait_for_charts(page)
    _settle(page)
    assert urllib.parse.urlparse(page.url).path == "/"
    assert _query(page) == {"problem": ["Rosenbrock"]}
    assert page.get_by_text("Page not found").count() == 0
    assert _slider(page, "learning rate").get_attribute("aria-valuetext") == "0.002"  # Rosenbrock's own


def _pair_pixels(page) -> bytes:
    """The landscape pair as drawn (a canvas: its titles and labels are pixels, not DOM text)."""
    pair = page.locator(f".st-key-landscape {CHART} canvas").first
    pair.wait_for(timeout=120_000)
    return pair.screenshot(animations="disabled")


def _switched_and_fresh(page, first: str, label: str, option: str, fresh: str, charts: int, pixels):
    """``pixels(page)`` of the page at the URL ``first``, after choosing ``option`` in the select box
    ``label`` there (a rerun in place), and at the URL ``fresh`` (that view loaded anew)."""
    shots = []
    for url in (first, fresh):
        page.goto(url)
        _wait_for_charts(page, charts)
        _settle(page)
        shots.append(pixels(page))
        if url == first:
            _choose(page, label, option)
            shots.append(pixels(page))
    return shots  # before, switched, fresh


def test_a_map_switch_retitles_the_panel_and_relabels_its_colour_bar(server, page):
    # the title and the colour bar's labels are data read by expressions: a switch that changes
    # only them keeps the spec, and the browser replaces the data in place; what it then draws must
    # be what a fresh load of the new view draws, and not what it drew before
    before, switched, fresh = _switched_and_fresh(
        page,
        f"{server}/?g=%E2%88%9AL",
        "monotone map g",
        "log(1 + L)",
        f"{server}/?g=log(1%20%2B%20L)",
        3,
        _pair_pixels,
    )
    assert switched == fresh and switched != before


def _decision_pixels(page) -> list[bytes]:
    """The three decision maps as drawn (canvases: titles and legends are pixels)."""
    page.get_by_text("Decision regions").first.scroll_into_view_if_needed()
    canvases = [page.locator(CHART).nth(k).locator("canvas") for k in (4, 5, 6)]
    for canvas in canvases:
        canvas.wait_for(timeout=120_000)
    return [canvas.screenshot(animations="disabled") for canvas in canvases]


def test_a_data_set_switch_redraws_the_decision_maps_as_a_fresh_load_does(server, page):
    # the decision maps' domains, titles and classes are data read by expressions: a data set
    # switch keeps their specs, and the browser replaces the data in place (3 classes to 2 here);
    # what it then draws must be what a fresh load draws, and not what it drew before
    before, switched, fresh = _switched_and_fresh(
        page,
        f"{server}/training?data=Blobs%20(3%20classes)",
        "data set",
        "Circles",
        f"{server}/training?data=Circles",
        7,
        _decision_pixels,
    )
    # the same title, axes, legend and regions; semi-transparent dots may overlap in another order
    # (~100 pixels a few levels apart): only differences of more than 32 levels count
    assert all(_pixels_apart(s, f) == 0 for s, f in zip(switched, fresh, strict=True))
    assert all(_pixels_apart(s, b) > 1000 for s, b in zip(switched, before, strict=True))


def _pixels_apart(a: bytes, b: bytes, levels: int = 32) -> int:
    """Pixels of two PNG screenshots whose colours differ by more than ``levels`` (every pixel of
    the larger when their sizes differ)."""
    import numpy as np
    from PIL import Image

    x, y = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int) for png in (a, b))
    if x.shape != y.shape:
        return max(x.shape[0] * x.shape[1], y.shape[0] * y.shape[1])
    return int((np.abs(x - y).max(axis=-1) > levels).sum())
