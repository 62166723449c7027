"""The landscape pair's live interaction in a real browser: drag, play, scrub and the learning rate
run in the browser on precomputed families, and the server hears only what is released.

Messages to the server are counted on the page's websockets (Playwright's ``framesent``).
"""

from __future__ import annotations

import math
import re
import time
import urllib.parse

import pytest
from test_browser import CHART, browser, serve, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
LANDSCAPE = ".st-key-landscape " + CHART


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    pg = context.new_page()
    pg.sent = []  # (time, frame) of every websocket message the page sends
    pg.on("websocket", lambda ws: ws.on("framesent", lambda frame: pg.sent.append(time.time())))
    yield pg
    context.close()


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(f"{LANDSCAPE} svg, {LANDSCAPE} canvas", timeout=120_000)
    # on a cold server the pair is still until its families are compiled, then the page reruns itself
    page.wait_for_selector("input[type=range][name=step]", timeout=180_000)
    page.get_by_text("All optimizers").first.wait_for(timeout=60_000)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    _settle(page)


def _settle(page, quiet: float = 1.5, timeout: float = 60.0) -> None:
    """Waits until the page has sent nothing for ``quiet`` seconds (its reruns are done)."""
    end = time.time() + timeout
    while time.time() < end:
        last = page.sent[-1] if page.sent else 0.0
        if time.time() - last > quiet:
            return
        time.sleep(0.2)


def _query(page) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)


def _chart(page):
    chart = page.locator(LANDSCAPE).first
    chart.scroll_into_view_if_needed()
    return chart


def test_dragging_the_start_redraws_in_the_browser_and_release_commits(server, page):  # noqa: F811
    _open(page, f"{server}/")
    chart = _chart(page)
    box = chart.bounding_box()
    before = chart.screenshot()
    x, y = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.25
    sent = len(page.sent)
    page.mouse.move(x, y)
    page.mouse.down()
    shots = []
    for k in range(1, 8):
        page.mouse.move(x + 12 * k, y + 8 * k, steps=2)
        time.sleep(0.05)
        shots.append(chart.screenshot())
    held = len(page.sent) - sent
    assert held == 0, f"{held} messages sent while the button was held"
    assert all(s != before for s in shots)  # the preview is drawn at every move
    assert len(set(shots)) >= 3  # and it follows the pointer
    page.mouse.up()
    # each number input puts its own key in the URL as its element arrives: wait for both
    page.wait_for_function(
        "location.search.includes('x0=') && location.search.includes('y0=')", timeout=60_000
    )
    q = _query(page)
    x0, y0 = float(q["x0"][0]), float(q["y0"][0])
    # the release point in data units: the left panel spans (-1.5, 4.5) x (-3.5, 2.5) of linear regression
    assert -1.5 < x0 < 4.5 and -3.5 < y0 < 2.5 and (x0, y0) != (-1.0, 2.0)


@pytest.fixture(scope="module")
def svg_server(tmp_path_factory):
    """A server that draws the landscape pair as SVG (LOSSVIZ_RENDERER=svg): what it shows is DOM
    text the test can read (on the canvas it is pixels)."""
    with serve(tmp_path_factory.mktemp("streamlit_svg"), LOSSVIZ_RENDERER="svg") as url:
        yield url


def _readouts(page) -> list[str]:
    """The hover readouts drawn (one per panel; the white text, not its dark halo), each as its
    lines joined by newlines."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.st-key-landscape svg text')]
            .map(t => [...t.querySelectorAll('tspan')].map(s => s.textContent).join('\\n') || t.textContent)
            .filter(t => t.includes('L′ = ') && t.includes('L = '))""".replace(
            "[...document.querySelectorAll('.st-key-landscape svg text')]",
            "[...document.querySelectorAll('.st-key-landscape svg text:not([stroke])')]",
        )
    )


def test_hovering_a_panel_reads_out_the_point_and_both_losses(svg_server, page):  # noqa: F811
    # the readout is drawn beside the grid point under the pointer, on both panels, computed in the
    # browser for that point only: the point named as the problem names its parameters, L and L'
    _open(page, f"{svg_server}/?g=√L")
    chart = _chart(page)
    box = chart.bounding_box()
    sent = len(page.sent)
    assert _readouts(page) == []
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3)
    page.mouse.move(box["x"] + box["width"] * 0.21, box["y"] + box["height"] * 0.31, steps=3)
    page.wait_for_function("() => document.querySelectorAll('.st-key-landscape svg text').length > 0")
    time.sleep(0.5)
    shown = _readouts(page)
    assert len(shown) == 2 and shown[0] == shown[1], shown  # the same point on both panels
    point, loss, transformed = shown[0].split("\n")
    # linear regression's axes are w and b; the window is (-1.5, 4.5) x (-3.5, 2.5)
    m = re.fullmatch(r"w = (\S+),\s+b = (\S+)", point)
    assert m, point
    w, b = float(m.group(1)), float(m.group(2))
    assert -1.5 <= w <= 4.5 and -3.5 <= b <= 2.5
    value = lambda text, name: float(text.removeprefix(f"{name} = ").replace("−", "-"))
    L, Lp = value(loss, "L"), value(transformed, "L′")
    # the default shift c = -2 pi: L' = sqrt(L) - 2 pi (each shown to 4 significant digits)
    assert L > 0 and Lp == pytest.approx(L**0.5 - 2 * math.pi, abs=2e-3)
    # another point, another readout; none once the pointer leaves the panels
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5, steps=3)
    time.sleep(0.5)
    assert _readouts(page) and _readouts(page)[0] != shown[0]
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] - 40, steps=3)
    time.sleep(0.5)
    assert _readouts(page) == []
    assert len(page.sent) == sent  # hovering is the browser's own


def test_an_idle_live_pair_leaves_the_page_alone(server, page):  # noqa: F811
    # the player looks for the chart's inputs every 300 ms; it used to rewrite the learning
    # rate's label each time: a DOM change ~3 times a second in a chart nobody touched
    _open(page, f"{server}/")
    page.evaluate(
        """() => { window.__what = []; new MutationObserver((ms) => {
          for (const m of ms) window.__what.push(m.type + ' ' + (m.target.textContent || '').slice(0, 40)); })
        .observe(document.querySelector(".st-key-landscape"),
                 {subtree: true, childList: true, attributes: true, characterData: true}); }"""
    )
    time.sleep(1.5)
    assert page.evaluate("window.__what") == []


def test_play_runs_in_the_browser_and_pause_stops_it(server, page):  # noqa: F811
    _open(page, f"{server}/?problem=Himmelblau&opt=Adam&lr=0.1&steps=1000&step=0")
    chart = _chart(page)
    step = page.locator("input[type=range][name=step]")
    assert step.input_value() == "0"  # the link's step
    sent = len(page.sent)
    page.get_by_role("button", name="Play").click()
    shots, values = [], []
    for _ in range(3):
        time.sleep(0.2)
        shots.append(chart.screenshot())
        values.append(int(step.input_value()))
    assert len(set(shots)) == 3  # the runs grow frame by frame
    assert values == sorted(values) and 0 < values[0] < values[-1] < 1000
    assert len(page.sent) == sent  # nothing sent while playing
    page.get_by_role("button", name="Pause").click()
    paused = step.input_value()
    time.sleep(0.6)
    assert step.input_value() == paused  # stopped at once
    page.wait_for_function(f"location.search.includes('step={paused}')", timeout=60_000)
    assert len(page.sent) - sent == 1  # the one commit


def _drag_range(page, name: str, pixels: float):
    """Presses on the thumb of the chart's range input ``name`` and moves ``pixels`` right (button held)."""
    slider = page.locator(f"input[type=range][name={name}]")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    value, low, high = (
        float(slider.input_value()),
        float(slider.get_attribute("min")),
        float(slider.get_attribute("max")),
    )
    x = box["x"] + 8 + (box["width"] - 16) * (value - low) / (high - low)
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=6)
    time.sleep(0.3)
    return slider


def test_a_link_opens_at_its_step_and_scrubbing_stays_in_the_browser(server, page):  # noqa: F811
    _open(page, f"{server}/?problem=Rosenbrock&steps=300&step=120")
    assert page.locator("input[type=range][name=step]").input_value() == "120"
    chart = _chart(page)
    before = chart.screenshot()
    sent = len(page.sent)
    step = _drag_range(page, "step", -40)
    assert chart.screenshot() != before  # the runs are drawn to another step
    assert len(page.sent) == sent  # while the button is held, nothing is sent
    scrubbed = step.input_value()
    assert int(scrubbed) < 120
    page.mouse.up()
    page.wait_for_function(f"location.search.includes('step={scrubbed}')", timeout=60_000)


def test_dragging_the_learning_rate_previews_then_commits(server, page):  # noqa: F811
    _open(page, f"{server}/?problem=Himmelblau&lr=0.01")
    chart = _chart(page)
    label = page.locator("input[type=range][name=lr_k] + span")
    assert label.inner_text() == "0.01"  # the rate, not its index
    before = chart.screenshot()
    sent = len(page.sent)
    _drag_range(page, "lr_k", 60)
    assert chart.screenshot() != before  # the runs at the rate under the pointer
    assert len(page.sent) == sent  # a preview: nothing sent
    shown = label.inner_text()
    assert shown != "0.01"
    page.mouse.up()
    page.wait_for_function(f"location.search.includes('lr={shown}')", timeout=60_000)


def test_on_a_cold_server_the_still_pair_turns_live_and_play_is_there(browser, tmp_path):  # noqa: F811
    """A visitor who comes in the server's first seconds sees the still pair (which mounts the
    player only to measure the width), then the live pair: its Play button must be there."""
    # no persistent compilation cache: the family programs take seconds to compile, the page comes first
    with serve(tmp_path, LOSSVIZ_JAX_CACHE="") as url:
        context = browser.new_context(viewport={"width": 1500, "height": 1200})
        page = context.new_page()
        try:
            page.goto(f"{url}/?problem=Himmelblau&opt=Adam&lr=0.1&steps=1000&step=0")
            page.get_by_text("The live preview (drag, play, learning rate) is being prepared").wait_for(
                timeout=120_000
            )
            step = page.locator("input[type=range][name=step]")
            assert step.count() == 0  # the still pair
            step.wait_for(timeout=180_000)  # the page turned live by itself
            play = page.get_by_role("button", name="Play")
            play.wait_for(state="visible", timeout=30_000)
            play.click()
            page.wait_for_function(
                "Number(document.querySelector('input[type=range][name=step]').value) > 0", timeout=10_000
            )
            page.get_by_role("button", name="Pause").click()
        finally:
            context.close()
