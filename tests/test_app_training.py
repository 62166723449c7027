"""The "Train a network" page run headless with AppTest."""

import pytest
from page_runs import assert_survives_hostile_link, run_page
from streamlit.testing.v1 import AppTest


def _run(**query) -> AppTest:
    return run_page("training", **query)


def _verdicts(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.success, *at.warning, *at.error, *at.info])


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return _run()


def test_defaults(default_page):
    at = default_page
    assert not at.exception
    assert at.title[0].value.startswith("Train a network")
    # objective and true loss, two accuracies, three decision maps (two moons are 2-D): one chart
    # each, in columns that stack on a phone
    charts = at.get("vega_lite_chart")
    assert len(charts) == 7
    assert all('"type": "image"' in c.proto.spec for c in charts[4:])
    assert all('"width": "container"' in c.proto.spec for c in charts)
    # the objective on a linear axis, the shift drawn as a labelled gap; the true loss on a log axis
    assert (
        '"symlog"' not in charts[0].proto.spec and "c = −6.28".encode() in charts[0].proto.SerializeToString()
    )
    assert '"type": "log"' in charts[1].proto.spec
    assert sum(len(c.proto.SerializeToString()) for c in charts) < 300_000
    assert len(at.success) == 1
    shifted = at.success[0].value
    assert "the same training, bit for bit" in shifted
    assert "after every one of the 200 epochs (largest |Δw| = 0)" in shifted
    assert "objective − c equals L to within" in shifted
    negated = at.error[0].value
    assert "gradient ascent on the real loss" in negated and "collapsed to" in negated
    assert "maximising the real loss" in negated
    assert not at.warning


def test_a_link_reproduces_the_view():
    at = _run(
        data="Spiral (3 classes)",
        noise="0.1",
        width="8",
        optimizer="Adam",
        rate="0.01",
        epochs="30",
        batch="full",
        shift="-100",
        seed="3",
    )
    assert not at.exception and not at.warning
    assert at.selectbox(key="data").value == "Spiral (3 classes)"
    assert at.number_input(key="noise").value == 0.1
    assert at.slider(key="width").value == 8
    assert at.selectbox(key="optimizer").value == "Adam"
    assert at.select_slider(key="rate").value == 0.01
    assert at.slider(key="epochs").value == 30
    assert at.select_slider(key="batch").value == "full"
    assert at.number_input(key="shift").value == -100.0
    assert at.number_input(key="seed").value == 3
    assert "Shifted by c = −100" in at.success[0].value
    assert "every one of the 30 epochs" in at.success[0].value
    assert "network 2-8-8-3" in " ".join(c.value for c in at.caption)


def test_value_reading_optimizer_gets_an_honest_verdict():
    at = _run(optimizer="Loss × grad", rate="0.2", epochs="20")
    assert not at.exception
    text = _verdicts(at)
    assert "a different training" in text and "reads the loss value" in text
    assert "Negated: identical to the original" in text and "(−L)·(−∇L) = L·∇L" in text
    assert not at.success


def test_real_data_set_has_no_decision_map():
    at = _run(data="Iris flowers (4 features, 3 classes)", epochs="20")
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 4
    assert "the same training, bit for bit" in at.success[0].value


def test_changing_a_widget_retrains(default_page):
    at = default_page
    at.slider(key="epochs").set_value(50).run()
    assert not at.exception
    assert "every one of the 50 epochs" in at.success[0].value


@pytest.mark.parametrize(
    "query",
    [
        {"data": "<script>alert(1)</script>"},
        {"noise": "nan"},
        {"noise": "7"},
        {"width": "1e9"},
        {"optimizer": "x" * 5000},
        {"rate": "-1"},
        {"epochs": "abc"},
        {"batch": "0"},
        {"shift": "inf"},
        {"seed": "-5"},
        {"seed": "inf"},
        {"opt": "Adam"},  # the explorer's key: unknown here
        {"bogus": "1"},
    ],
    ids=lambda q: ",".join(q),
)
def test_hostile_links_never_raise(query):
    assert_survives_hostile_link(_run(**query), charts=7)


def test_chart_specs_are_built_once_per_trained_view(monkeypatch):
    from lossviz.charts import training as training_charts
    from lossviz.ui import cached
    from lossviz.ui.pages import training as training_page
    from lossviz.ui.settings import TrainingSettings

    s = TrainingSettings(width=8, lr=0.1, epochs=20, batch_size=32, shift=-6.2832, seed=5)
    view = cached.training_view(s)
    training_page.SPECS.clear()
    calls = []
    original = training_charts.loss_charts
    monkeypatch.setattr(training_charts, "loss_charts", lambda *a, **k: calls.append(1) or original(*a, **k))
    first = training_page._specs(s, view)
    second = training_page._specs(s, view)
    assert first == second and len(calls) == 1  # built once, then reused
    second["loss"][0]["title"] = "edited"  # callers get copies: the cache is not edited
    assert training_page._specs(s, view)["loss"][0].get("title") != "edited"
    assert set(first) == {"loss", "accuracy", "decision"}


def test_every_two_feature_data_set_draws_the_same_specs_so_a_switch_replaces_data_only():
    # the browser keeps a chart whose spec is the one it has and only replaces its data (the axes'
    # ticks and extents, the decision maps' domains and classes are data)
    import json

    at = _run()
    first = [c.proto.spec for c in at.get("vega_lite_chart")]
    seen = 0
    for label in at.selectbox(key="data").options:
        at.selectbox(key="data").set_value(label).run()
        assert not at.exception
        specs = [c.proto.spec for c in at.get("vega_lite_chart")]
        if len(specs) == len(first):  # data sets of more than two features draw no decision maps
            assert specs == first, label
            seen += 1
    assert seen >= 4 and all(json.loads(s) for s in first)


def test_picking_another_data_set_with_the_defaults_draws_its_kept_view_without_training(monkeypatch):
    # the warm-up keeps every data set's default view (cached.keep_default_views): the settings the
    # page builds from its widgets after a data set switch must be exactly those keys
    from lossviz.ui import cached

    monkeypatch.setattr(cached, "DEFAULT_VIEWS", {})
    cached.keep_default_views(("moons", "circles"))

    def no_training(s, on_progress=None):
        raise AssertionError(f"trained {s}")

    monkeypatch.setattr(cached, "_train", no_training)
    monkeypatch.setattr(cached, "TRAINED", type(cached.TRAINED)(16))
    at = _run()
    assert not at.exception
    at.selectbox(key="data").set_value("Circles").run()
    assert not at.exception
    assert "Circles" in " ".join(c.value for c in at.caption)
    assert "the same training, bit for bit" in at.success[0].value
