"""The live landscape pair in a real browser: redraw per pointer move, playback frame rate, messages.

A fresh ``streamlit run app.py`` and Debian's Chromium (Playwright, ``/usr/bin/chromium``;
never ``playwright install``), 1500 x 1200, the explorer at
``/?problem=Himmelblau&opt=Adam&lr=0.1&steps=1000&step=0``. Measured in the page:

* **drag**: the button held on the left panel, 30 pointer moves; for each, the time from
  just before Playwright dispatches the move to the chart's next redraw (a DOM mutation,
  seen by a ``MutationObserver``, or the start of a canvas redraw, seen by wrapping the
  canvas's ``clearRect``), i.e. an upper bound of the redraw, with Playwright's
  own overhead included; median and p90, and the websocket messages sent while held;
* **scrub**: the step input dragged with the button held: messages while held;
* **playback**: Play for 3 s: frames per second = animation frames in which the chart
  changed (each a redraw at a new step) and step-input changes per second; messages
  while playing; Pause: whether the step stays put.
* **release**: one message (the commit) after each gesture.

Baseline in the same run: the time of one ordinary rerun, from a click that commits a
start point to the chart's redraw, which every frame cost before (playback was a rerun
per frame).

Budgets (DESIGN.md, "Performance budgets"; issue "Live"): redraw <= 50 ms per pointer move
(median); playback >= 20 frames/s; a drag, a scrub and a playback send nothing before release.

Run from the repo root: ``python benchmarks/bench_live.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import _server  # benchmarks/_server.py, beside this script
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHART = ".st-key-landscape [data-testid='stVegaLiteChart']"
REDRAW_BUDGET_MS = 50.0
FPS_BUDGET = 20.0

OBSERVE = """() => {
  const chart = document.querySelector("CHART");
  window.__mut = 0; window.__batches = 0; let dirty = false;
  const obs = new MutationObserver(() => { window.__mut = performance.now(); dirty = true; });
  obs.observe(chart, {subtree: true, childList: true, attributes: true, characterData: true});
  // a canvas chart changes no DOM: Vega clears the canvas at the start of every redraw
  const canvas = chart.querySelector("canvas");
  if (canvas) {
    const ctx = canvas.getContext("2d"), clear = ctx.clearRect.bind(ctx);
    ctx.clearRect = (...a) => { window.__mut = performance.now(); dirty = true; return clear(...a); };
  }
  // frames: animation frames in which the chart changed
  const tick = () => { if (dirty) { window.__batches += 1; dirty = false; } requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  window.__obs = obs;
}""".replace("CHART", CHART)


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    server = _server.Server(name="bench_live")
    try:
        server.wait_healthy()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1200})
            sent: list[float] = []
            page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(time.time())))
            page.goto(f"{server.url}/?problem=Himmelblau&opt=Adam&lr=0.1&steps=1000&step=0")
            page.wait_for_selector("input[type=range][name=step]", timeout=180_000)
            page.get_by_text("All optimizers").first.wait_for(timeout=120_000)
            _quiet(sent)
            chart = page.locator(CHART).first
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            page.evaluate(OBSERVE)

            # --- drag -----------------------------------------------------------------------
            x, y = box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.2  # in the left panel
            page.mouse.move(x, y)
            page.mouse.down()
            before = len(sent)
            redraws = []
            for k in range(30):
                t0 = page.evaluate("performance.now()")
                page.mouse.move(x + 6 * k, y + 6 * k)
                page.wait_for_function(f"window.__mut > {t0}", timeout=5000)
                redraws.append(page.evaluate("window.__mut") - t0)
            drag_msgs = len(sent) - before
            t_commit = time.perf_counter()
            page.mouse.up()
            page.wait_for_function("location.search.includes('x0=')", timeout=60_000)
            _settled(page)
            release_msgs = len(sent) - before
            chart.scroll_into_view_if_needed()
            page.wait_for_selector("input[type=range][name=step]")
            rerun_s = time.perf_counter() - t_commit - 1.5  # _settled waits 1.5 s

            # --- scrub ----------------------------------------------------------------------
            page.evaluate(OBSERVE)
            step = page.locator("input[type=range][name=step]")
            step.scroll_into_view_if_needed()
            sbox = step.bounding_box()
            before = len(sent)
            page.mouse.move(sbox["x"] + 8, sbox["y"] + sbox["height"] / 2)
            page.mouse.down()
            for k in range(20):
                page.mouse.move(sbox["x"] + 8 + 8 * k, sbox["y"] + sbox["height"] / 2)
                time.sleep(0.02)
            scrub_msgs = len(sent) - before
            page.mouse.up()
            _quiet(sent)
            _settled(page)

            # --- playback -------------------------------------------------------------------
            page.wait_for_selector("input[type=range][name=step]")
            page.evaluate(
                "() => { const s = document.querySelector('input[name=step]'); s.value = '0';"
                " s.dispatchEvent(new Event('input')); }"
            )
            page.evaluate(OBSERVE)
            page.evaluate(
                "() => { window.__steps = 0; const s = document.querySelector('input[name=step]');"
                " s.addEventListener('input', () => { window.__steps += 1; }); }"
            )
            before = len(sent)
            page.get_by_role("button", name="Play").click()
            t0 = time.perf_counter()
            time.sleep(3.0)
            batches, steps = page.evaluate("[window.__batches, window.__steps]")
            seconds = time.perf_counter() - t0
            play_msgs = len(sent) - before
            page.get_by_role("button", name="Pause").click()
            paused = step.input_value()
            time.sleep(0.5)
            stayed = step.input_value() == paused
            _quiet(sent)
            after_pause = len(sent) - before - play_msgs
            browser.close()
    finally:
        server.stop()

    med, p90 = statistics.median(redraws), sorted(redraws)[int(0.9 * len(redraws)) - 1]
    # a frame of the playback is a step drawn: the player moves the step only once Vega has drawn the last
    fps, step_rate = batches / seconds, steps / seconds
    print(f"\ndrag: redraw after a pointer move: median {med:.1f} ms, p90 {p90:.1f} ms (30 moves)")
    print(f"      messages while held: {drag_msgs}; after release: {release_msgs} (the commit)")
    print(
        f"      baseline, one rerun after the release (what each frame cost before): {1e3 * rerun_s:.0f} ms"
    )
    print(f"scrub: messages while held: {scrub_msgs}")
    print(
        f"playback: {step_rate:.1f} steps drawn/s ({fps:.1f} animation frames/s changed the chart) over "
        f"{seconds:.1f} s; messages while playing:"
    )
    print(
        f"      {play_msgs}; Pause holds the step: {stayed}; messages after Pause: {after_pause} (the commit)"
    )
    print()
    print(
        f"  {'PASS' if med <= REDRAW_BUDGET_MS else 'FAIL'}  redraw per pointer move <= {REDRAW_BUDGET_MS:.0f} ms"
    )
    print(f"  {'PASS' if step_rate >= FPS_BUDGET else 'FAIL'}  playback >= {FPS_BUDGET:.0f} frames/s")
    quiet = drag_msgs == scrub_msgs == play_msgs == 0
    print(f"  {'PASS' if quiet else 'FAIL'}  drag, scrub and playback send nothing before release")
    sys.stdout.flush()


def _settled(page) -> None:
    """Waits until the script run a commit started has finished (Streamlit's status widget is gone)."""
    time.sleep(0.5)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    time.sleep(1.0)


def _quiet(sent: list[float], quiet: float = 1.5, timeout: float = 60.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if time.time() - (sent[-1] if sent else 0.0) > quiet:
            return
        time.sleep(0.1)


if __name__ == "__main__":
    main()
