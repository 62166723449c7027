"""lossviz: run with `streamlit run app.py`."""

import streamlit as st

from lossviz.ui import warmup
from lossviz.ui.pages import explorer, nondifferentiable, training

st.set_page_config(page_title="lossviz", page_icon=":material/show_chart:", layout="wide")
page = st.navigation(
    [
        st.Page(explorer.main, title="Explorer", icon=":material/map:", url_path="explorer", default=True),
        st.Page(
            training.main, title="Train a network", icon=":material/model_training:", url_path="training"
        ),
        st.Page(
            nondifferentiable.main,
            title="Non-differentiable losses",
            icon=":material/stairs:",
            url_path="nondifferentiable",
        ),
    ]
)
warmup.warm()  # once per server: compiles the programs every view runs on
page.run()
