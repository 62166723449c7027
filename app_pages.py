"""lossviz's pages (`streamlit run app.py` serves them, see app.py)."""

import streamlit as st

from lossviz.ui import turns, warmup
from lossviz.ui.pages import explorer, nondifferentiable, training

warmup.page_started()  # the warm-up thread leaves the cores to a visitor's first page for a moment
st.set_page_config(page_title="lossviz", page_icon=":material/show_chart:", layout="wide")
# The landing page is served at the root URL ("/"); Streamlit serves a default page only there.
landing = st.Page(explorer.main, title="Explorer", icon=":material/map:", url_path="home", default=True)


def _to_landing() -> None:
    # /explorer (a guessed or an old link) opens the landing page with the link's parameters.
    st.switch_page(
        landing, query_params=[(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    )


page = st.navigation(
    [
        landing,
        st.Page(
            training.main, title="Train a network", icon=":material/model_training:", url_path="training"
        ),
        st.Page(
            nondifferentiable.main,
            title="Non-differentiable losses",
            icon=":material/stairs:",
            url_path="nondifferentiable",
        ),
        st.Page(_to_landing, title="Explorer", url_path="explorer", visibility="hidden"),
    ]
)
warmup.warm()  # once per server: compiles the programs every view runs on
with turns.page_turn():  # two page runs per core at once; the others wait in order, told how many are ahead
    page.run()
