"""Switching a structural choice in a real browser, once the server is warm: time to the redrawn page.

Budget (issue "Compile once"): in a real browser, switching optimizer, problem, map or data set
redraws in <= 0.5 s (median of 5) once warm.

A fresh ``streamlit run app.py`` and Debian's Chromium (Playwright, ``/usr/bin/chromium``; never
``playwright install``), 1500 x 1200. The script waits for the server's warm-up (every program
compiled), opens the explorer and the training page, and makes five switches of each kind by
choosing another option of the select box as a user does (click, then the option):

* explorer: ``optimizer``, ``Loss L(θ)`` (the problem), ``monotone map g``;
* training: the data set.

A switch's time runs from the option's click (``performance.now()`` in the page, in a capturing
listener) to the page's last DOM mutation of the rerun it starts (a ``MutationObserver`` on the
page's main block: new charts, texts and the end of Streamlit's stale-element fading), once the
page has been quiet for 1 s and Streamlit's status widget is gone. That includes the server's
rerun, the websocket and the browser's drawing.

Baseline in the same run: a rerun that changes nothing structural, the explorer's "L′ = L"
transform button (timed the same way, from its click).

Run from the repo root: ``python benchmarks/bench_switch_browser.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import _server  # benchmarks/_server.py, beside this script
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BUDGET_S = 0.5
MAIN = "[data-testid='stMain']"

OBSERVE = """() => {
  const main = document.querySelector("MAIN");
  window.__last = performance.now(); window.__click = null;
  if (window.__obs) window.__obs.disconnect();
  window.__obs = new MutationObserver(() => { window.__last = performance.now(); });
  window.__obs.observe(main, {subtree: true, childList: true, attributes: true, characterData: true});
  if (!window.__clicks) {
    window.__clicks = true;
    document.addEventListener('click', () => { window.__click = performance.now(); }, true);
  }
}""".replace("MAIN", MAIN)

SWITCHES = {
    # page, select box label, options to cycle through (each differs from the one before)
    "optimizer": ("", "optimizer", ["Adam", "Momentum", "RMSProp", "Nesterov", "SGD", "Adam"]),
    "problem": (
        "",
        "Loss L(θ)",
        ["Rosenbrock", "Himmelblau", "Beale", "Ill-conditioned quadratic", "Linear regression", "Rosenbrock"],
    ),
    "map g": ("", "monotone map g", ["log(1 + L)", "√L", "L²", "L", "log(1 + L)", "√L"]),
    "data set": (
        "training",
        "data set",
        ["Circles", "Blobs (3 classes)", "Two moons", "Spiral (3 classes)", "Circles", "Two moons"],
    ),
}


def _idle(page, quiet_ms: float = 1000.0, timeout: float = 60.0) -> None:
    """Waits until Streamlit's status widget is gone and the main block has not changed for ``quiet_ms``."""
    end = time.time() + timeout
    while time.time() < end:
        busy = page.evaluate(
            f"!!document.querySelector('[data-testid=\"stStatusWidget\"]') || "
            f"performance.now() - window.__last < {quiet_ms}"
        )
        if not busy:
            return
        time.sleep(0.1)
    raise TimeoutError("the page did not settle")


def _timed(page, act) -> float:
    """Seconds from the last click ``act()`` makes to the last change of the page it causes."""
    page.evaluate(OBSERVE)
    act()
    _idle(page)
    clicked, last = page.evaluate("[window.__click, window.__last]")
    return (last - clicked) / 1000.0


def _choose(page, label: str, option: str) -> float:
    """Chooses ``option`` in the select box ``label`` (:func:`_timed` from the option's click)."""

    def act() -> None:
        page.get_by_label(label, exact=True).click()
        page.get_by_role("option", name=option, exact=True).click()

    return _timed(page, act)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="switches of each kind (default 5)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    server = _server.Server(name="bench_switch_browser")
    times: dict[str, list[float]] = {}
    try:
        server.wait_healthy()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1200})
            page.goto(f"{server.url}/")
            page.wait_for_selector("input[type=range][name=step]", timeout=180_000)  # the live pair
            page.get_by_text("All optimizers").first.wait_for(timeout=120_000)
            # the rest of the warm-up (the other pages' programs) runs in the background: wait for it
            # by opening the training page once, which computes its default view
            page.goto(f"{server.url}/training")
            page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=180_000)
            time.sleep(20)  # the warm-up thread's last programs (every training frame)
            current = None
            baseline = []
            for kind, (path, label, options) in SWITCHES.items():
                if path != current:
                    page.goto(f"{server.url}/{path}")
                    page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=180_000)
                    page.evaluate(OBSERVE)
                    _idle(page)
                    current = path
                times[kind] = []
                for option in options[1 : args.rounds + 1]:
                    times[kind].append(_choose(page, label, option))
                print(f"{kind:10s} " + ", ".join(f"{t:.2f}" for t in times[kind]) + " s")
            page.goto(f"{server.url}/?problem=Rosenbrock")
            page.wait_for_selector("input[type=range][name=step]", timeout=180_000)
            page.evaluate(OBSERVE)
            _idle(page)
            for _ in range(args.rounds):
                baseline.append(_timed(page, page.get_by_role("button", name="L′ = L").click))
                _timed(page, page.get_by_role("button", name="c = −2π").click)  # back, for the next round
            browser.close()
    finally:
        server.stop()

    base = statistics.median(baseline)
    print(f"\nbaseline: a rerun with the same programs (the 'L′ = L' button): median {base:.2f} s")
    print()
    for kind, ts in times.items():
        med = statistics.median(ts)
        verdict = "PASS" if med <= BUDGET_S else "FAIL"
        print(
            f"  {verdict}  switch {kind}: median {med:.2f} s of {len(ts)} (max {max(ts):.2f} s; "
            f"{med / base:.1f}x the baseline) (budget <= {BUDGET_S} s)"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
