"""Running one page of the app headless with AppTest, from a link's query parameters."""

import json
import re

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


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def plain(cell: str) -> str:
    """A Markdown cell's text as shown: a badge's label, escapes undone."""
    badge = re.fullmatch(r":[a-z]+-badge\[(.*)\]", cell)
    return re.sub(r"\\(.)", r"\1", badge.group(1) if badge else cell)


def markdown_tables(at: AppTest, raw: bool = False) -> list[list[dict[str, str]]]:
    """The tables a run drew (``lossviz.ui.common.table``: Markdown), as rows ``{column: text}``;
    with ``raw``, each cell's Markdown as sent."""
    tables = []
    for md in at.markdown:
        lines = md.value.splitlines()
        if len(lines) >= 2 and lines[0].startswith("| ") and lines[1].startswith("|---"):
            header = [plain(c) for c in _cells(lines[0])]
            rows = [_cells(line) for line in lines[2:]]
            tables.append([dict(zip(header, r if raw else map(plain, r), strict=True)) for r in rows])
    return tables
