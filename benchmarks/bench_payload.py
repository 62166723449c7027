"""Chart payload of one Explorer view: bytes the server sends for the page's charts.

Budget (DESIGN.md, "Performance budgets"): chart payload of one explorer
view <= 300 KB.

The script runs the real page headless with
``streamlit.testing.v1.AppTest.from_file("app.py")``, at the defaults and at a
few hostile-ish settings (set through the widgets, by key), and reads every
``vega_lite_chart`` element. Per chart it prints the serialized protobuf size
(``proto.ByteSize()``: what goes into the server's message, spec + data), split
into the Vega-Lite spec JSON (``proto.spec``, including inline data such as a
PNG data URL) and the named datasets (``proto.datasets``, Arrow IPC bytes).
The sum over the charts of a view is checked against the budget. As a
same-process reference it also prints the bytes of every other element of the
page (tables, text, widgets), which are not part of the budget.

Run from the repo root: ``python benchmarks/bench_payload.py``.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from streamlit import logger as _st_logger  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

# AppTest runs the page outside a server: this warning is expected and says nothing.
_st_logger.get_logger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel("ERROR")

from lossviz.ui import settings  # noqa: E402

BUDGET_KB = 300.0
KB = 1000.0

# (label, widget changes applied in order): (kind, key, value); choices are registry names.
SCENARIOS: tuple[tuple[str, tuple[tuple[str, str, object], ...]], ...] = (
    ("defaults (linear_regression, sgd)", ()),
    (
        "rosenbrock + adam + c=-2π",
        (
            ("choice", settings.PROBLEM, "rosenbrock"),
            ("choice", settings.OPTIMIZER, "adam"),
            ("number", settings.SHIFT, -2 * math.pi),
        ),
    ),
    (
        "saddle + sgd + a=-1",
        (
            ("choice", settings.PROBLEM, "saddle"),
            ("choice", settings.OPTIMIZER, "sgd"),
            ("number", settings.SHIFT, 0.0),
            ("number", settings.SCALE, -1.0),
        ),
    ),
    (
        "beale + sgd + lr=1 (diverges) + a=-1",
        (("choice", settings.PROBLEM, "beale"), ("select_slider", settings.LR, 1.0)),
    ),
    (
        "rastrigin + momentum + 1000 steps (max), step=500",
        (
            ("choice", settings.PROBLEM, "rastrigin"),
            ("choice", settings.OPTIMIZER, "momentum"),
            ("number", settings.SCALE, 1.0),
            ("select_slider", settings.LR, 0.01),
            ("slider", settings.STEPS, 1000),
            ("slider", settings.PLAYBACK_STEP, 500),
        ),
    ),
)

_DATA_URL = re.compile(rb"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")


def _apply(at: AppTest, kind: str, key: str, value: object) -> None:
    if kind == "choice":
        at.selectbox(key=key).set_value(settings.label_of(key, str(value)))
    elif kind == "number":
        at.number_input(key=key).set_value(value)
    elif kind == "select_slider":
        at.select_slider(key=key).set_value(value)
    else:
        at.slider(key=key).set_value(value)
    at.run()  # one run per change, as a person moving one control at a time
    if at.exception:
        raise RuntimeError(f"the page raised after {key}={value!r}:\n{at.exception}")


def _leaves(node):
    """Every element (not block) of an AppTest tree."""
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _leaves(child)
    elif hasattr(node, "proto"):
        yield node


def _chart_sizes(chart) -> dict[str, float]:
    proto = chart.proto
    spec = proto.spec.encode()
    blobs = [spec, proto.data.data, *(d.data.data for d in proto.datasets)]
    return {
        "total": proto.ByteSize(),
        "spec": len(spec),
        "png": sum(len(m.group(0)) for blob in blobs for m in _DATA_URL.finditer(blob)),
        "datasets": sum(d.ByteSize() for d in proto.datasets),
        "n_datasets": len(proto.datasets),
    }


def _title(chart) -> str:
    """What the chart is, from its marks."""
    marks = sorted(set(re.findall(r'"mark": ?(?:\{"type": ?)?"([a-z]+)"', chart.proto.spec)))
    name = (
        "landscapes"
        if "image" in marks
        else "loss curves"
        if "rule" in marks
        else "optimizers"
        if "bar" in marks
        else "?"
    )
    return f"{name} [{','.join(marks)}]"


def measure(at: AppTest, label: str) -> float:
    charts = at.get("vega_lite_chart")
    print(f"\n{label}: {len(charts)} charts")
    total = 0.0
    for i, chart in enumerate(charts):
        s = _chart_sizes(chart)
        total += s["total"]
        print(
            f"  chart {i}: {s['total'] / KB:6.1f} KB = spec JSON {s['spec'] / KB:5.1f} KB + "
            f"{s['n_datasets']:2d} Arrow datasets {s['datasets'] / KB:6.1f} KB; "
            f"PNG data URLs {s['png'] / KB:5.1f} KB  {_title(chart)}"
        )
    chart_ids = {id(c) for c in charts}
    others = [e for e in _leaves(at._tree) if id(e) not in chart_ids]
    other_bytes = sum(e.proto.ByteSize() for e in others if hasattr(e.proto, "ByteSize"))
    print(
        f"  charts total {total / KB:.1f} KB; all other elements {other_bytes / KB:.1f} KB "
        f"({len(others)} elements)"
    )
    return total


def main() -> None:
    at = AppTest.from_file(os.path.join(ROOT, "app_pages.py"), default_timeout=300)
    t0 = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(f"the page raised at the defaults:\n{at.exception}")
    print(f"first run {time.perf_counter() - t0:.1f} s")
    results = []
    for label, changes in SCENARIOS:
        for change in changes:
            _apply(at, *change)
        warnings = [w.value for w in at.warning]
        results.append((label, measure(at, label)))
        for w in warnings:
            print(f"  (page warning: {w[:100]})")

    print(f"\nSUMMARY (budget: charts of one explorer view <= {BUDGET_KB:g} KB, 1 KB = 1000 bytes)")
    for label, total in results:
        print(f"  {'PASS' if total <= BUDGET_KB * KB else 'FAIL'}  {label:52s} {total / KB:7.1f} KB")


if __name__ == "__main__":
    main()
