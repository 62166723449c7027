"""The "Non-differentiable losses" page run headless with AppTest."""

import json

import pytest
from page_runs import assert_survives_hostile_link, run_page
from streamlit.testing.v1 import AppTest
from test_charts import walk


def _run(**query) -> AppTest:
    return run_page("nondifferentiable", **query)


def _text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return _run()


def test_defaults(default_page):
    at = default_page
    assert not at.exception
    assert at.title[0].value.startswith("Non-differentiable losses")
    # function curves and their gradients, argmax bars, the landscape pair, 0-1 error along the paths
    assert len(at.get("vega_lite_chart")) == 5
    assert "did not move" in _text(at)
    assert "descent on the sigmoid surrogate in disguise" in at.success[0].value
    assert not at.warning
    spec = json.dumps(json.loads(at.get("vega_lite_chart")[3].proto.spec))
    assert '"start_click"' in spec


def test_a_link_reproduces_the_view():
    at = _run(temp="0.05", z="3, -1, 0.5, 2", surrogate="hinge", eta="1", iters="100", w1="-2", w2="-2")
    assert not at.exception and not at.warning
    assert at.select_slider(key="temp").value == 0.05
    assert at.text_input(key="z").value == "3, -1, 0.5, 2"
    assert at.selectbox(key="surrogate").value == "hinge"
    assert (at.number_input(key="w1").value, at.number_input(key="w2").value) == (-2.0, -2.0)
    assert (at.select_slider(key="eta").value, at.slider(key="iters").value) == (1.0, 100)
    # at T = 0.05 the softmax of these logits is all but one-hot
    assert "largest softmax output is **1.000**" in _text(at)


def test_temperature_changes_the_peak_gradient(default_page):
    at = default_page
    at.select_slider(key="temp").set_value(0.1).run()
    assert "**2.5** = 1/(4T)" in _text(at)


def test_typed_logits_are_parsed_not_evaluated(default_page):
    at = default_page
    at.text_input(key="z").input("__import__('os').system('touch /tmp/pwned'), 1").run()
    assert not at.exception
    assert any("is not a number" in w.value for w in at.warning)
    assert at.text_input(key="z").value == "2, 1, 0.5"


@pytest.mark.parametrize(
    "query",
    [
        {"temp": "abc"},
        {"temp": "1e999"},
        {"z": "1"},
        {"z": "nan, 1"},
        {"surrogate": "<b>x</b>"},
        {"w1": "99"},
        {"eta": "-1"},
        {"iters": "0"},
        {"T": "0.1"},  # the explorer's key: unknown here
        {"bogus": "1"},
    ],
    ids=lambda q: ",".join(q),
)
def test_hostile_links_never_raise(query):
    assert_survives_hostile_link(_run(**query), charts=5)


def test_the_logits_notice_always_describes_the_current_input():
    # issue 10: after "1e999, 2" the notice kept quoting 1e999, and clearing the field kept it
    at = _run()
    at.text_input(key="z").input("1e999, 2").run()
    assert [w.value for w in at.warning if "1e999" in w.value]
    at.text_input(key="z").input(", ".join(map(str, range(60)))[:200]).run()
    assert len(at.warning) == 1 and "1e999" not in at.warning[0].value
    assert "between 2 and 8 numbers" in at.warning[0].value
    at.text_input(key="z").input("").run()  # empty: the default logits, nothing wrong to report
    assert not at.warning
    at.text_input(key="z").input("3, 1").run()
    assert not at.warning and "largest softmax output is **0.982**" in _text(at)  # softmax(3, 1 / 0.5)


def test_the_straight_through_path_is_drawn_on_top_and_the_text_says_it_coincides(default_page):
    at = default_page
    captions = " ".join(c.value for c in at.caption)
    assert "coincide **bit for bit**" in captions
    landscape = json.loads(at.get("vega_lite_chart")[3].proto.spec)
    colour = next(
        n
        for n in walk(landscape)
        if isinstance(n.get("scale"), dict) and "straight-through" in n["scale"].get("domain", [])
    )
    assert colour["scale"]["domain"][-1] == "straight-through"  # drawn last, on top
