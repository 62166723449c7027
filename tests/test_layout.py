"""The three layers, checked in fresh interpreters: the core never imports streamlit,
the charts never import JAX (nor streamlit), and ``import lossviz`` alone imports neither."""

import subprocess
import sys

import pytest

CORE = (
    "problems",
    "transforms",
    "optimizers",
    "trajectories",
    "landscapes",
    "verdicts",
    "surrogates",
    "nondifferentiable",
    "datasets",
    "training",
    "programs",
    "lru",
)
CHARTS = ("style", "raster", "packed", "landscape", "explorer", "training", "nondifferentiable")


def imported_after(statement: str) -> set[str]:
    """Top-level modules in ``sys.modules`` after running ``statement`` in a fresh interpreter."""
    code = f"{statement}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_the_check_sees_an_import():
    # the helper must be able to fail: importing the UI does bring streamlit in
    assert "streamlit" in imported_after("import lossviz.ui.pages.explorer")


@pytest.mark.parametrize("module", CORE)
def test_core_never_imports_streamlit(module):
    assert "streamlit" not in imported_after(f"import lossviz.{module}")


def test_charts_never_import_jax_or_streamlit():
    mods = imported_after("import " + ", ".join(f"lossviz.charts.{m}" for m in CHARTS))
    assert "jax" not in mods and "jaxlib" not in mods
    assert "streamlit" not in mods


def test_the_package_is_lazy():
    mods = imported_after("import lossviz, lossviz.lru")
    assert "jax" not in mods and "streamlit" not in mods


def test_lazy_names_resolve_to_the_core_objects():
    import lossviz
    from lossviz import problems, trajectories

    assert lossviz.PROBLEMS is problems.PROBLEMS
    assert lossviz.trajectory is trajectories.trajectory
    assert set(lossviz.__all__) <= set(dir(lossviz))
    for name in lossviz.__all__:
        assert getattr(lossviz, name) is not None
    with pytest.raises(AttributeError):
        _ = lossviz.no_such_name


def test_pages_never_call_altair_chart():
    # st.altair_chart collects data through a transformer in Altair's global registry: two sessions
    # drawing at once can fill each other's datasets (an exception seen under 24 simulated visitors).
    # Pages draw Altair charts through lossviz.ui.common.draw, a plain to_dict() per call.
    import pathlib

    ui = pathlib.Path(__file__).resolve().parent.parent / "lossviz" / "ui"
    calls = [str(f) for f in ui.rglob("*.py") if ".altair_chart(" in f.read_text(encoding="utf-8")]
    assert calls == []


def test_the_served_app_watches_no_files():
    # a source file changed under a running server unloaded the app's modules mid-visit
    # (KeyError: 'lossviz' in visitors' scripts) and every program was compiled again
    import pathlib
    import tomllib

    config = pathlib.Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
    server = tomllib.loads(config.read_text(encoding="utf-8"))["server"]
    assert server["fileWatcherType"] == "none" and server["runOnSave"] is False


def test_the_pages_import_neither_pandas_nor_altair():
    # The pages draw plain Vega-Lite dicts and pyarrow tables: pandas and Altair would cost a
    # server ~65 MB and its cold start ~0.8 s (tests/test_app.py checks that Streamlit is never
    # handed anything it would convert through pandas)
    mods = imported_after(
        "import lossviz.ui.pages.explorer, lossviz.ui.pages.training, lossviz.ui.pages.nondifferentiable,"
        " lossviz.ui.warmup"
    )
    assert "streamlit" in mods and "pyarrow" in mods
    assert "pandas" not in mods and "altair" not in mods


def test_building_the_charts_arrow_tables_imports_no_pandas():
    # pyarrow imports pandas the first time it builds an array, if pandas is installed (it is,
    # for Streamlit): lossviz.ui.common makes that look find none
    mods = imported_after(
        "import lossviz.ui.common as common\n"
        "from streamlit import dataframe_util\n"
        "spec = common.arrow_datasets({'datasets': {'d': [{'a': 1.0, 'b': 'x', 'c': None}]}})\n"
        "dataframe_util.convert_anything_to_arrow_bytes(spec['datasets']['d'])"
    )
    assert "pyarrow" in mods and "pandas" not in mods
