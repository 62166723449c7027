"""Running one page of the app headless with AppTest, from a link's query parameters."""

import json

from streamlit.testing.v1 import AppTest


def run_page(module: str, **query: str) -> AppTest:
    """Runs ``lossviz.ui.pages.<module>.main()`` as if opened with ``?key=value&...``."""
    at = AppTest.from_string(f"from lossviz.ui.pages import {module}\n{module}.main()", default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def assert_survives_hostile_link(at: AppTest, charts: int) -> None:
    """A page opened from a hostile link: no exception, a short visible notice, every chart drawn."""
    assert not at.exception
    assert at.warning, "a bad parameter must produce a visible notice"
    assert all(len(w.value) < 400 for w in at.warning)  # a pasted novel is not quoted back in full
    specs = at.get("vega_lite_chart")
    assert len(specs) == charts
    for chart in specs:
        json.loads(chart.proto.spec)  # valid JSON: no NaN or Infinity reached a chart
