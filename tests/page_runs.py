"""Running one page of the app headless with AppTest, from a link's query parameters."""

from streamlit.testing.v1 import AppTest


def run_page(module: str, **query: str) -> AppTest:
    """Runs ``lossviz.ui.pages.<module>.main()`` as if opened with ``?key=value&...``."""
    at = AppTest.from_string(f"from lossviz.ui.pages import {module}\n{module}.main()", default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()
