"""lossviz: run with `streamlit run app.py`.

The pages are `app_pages.py` (page config, navigation, a page run's turn). This file serves them
with Streamlit's own ASGI server (`st.App`, which `streamlit run` finds here) so that the server
can start the warm-up when it starts: JAX, the pages' modules and the landing view's programs load
while the first visitor's browser loads its JavaScript, instead of after the browser's first run
request (cold start to first chart ~1-2 s sooner, measured in benchmarks/README.md).
"""

import contextlib
import threading

import streamlit as st


def _warm() -> None:
    from lossviz.ui import warmup
    from lossviz.ui.pages import explorer, nondifferentiable, training  # noqa: F401 (their imports)

    warmup.warm()  # the first page run finds it done, or waits for it (one warm-up per process)


@contextlib.asynccontextmanager
async def _lifespan(_app):
    threading.Thread(target=_warm, name="lossviz-start", daemon=True).start()
    yield


app = st.App("app_pages.py", lifespan=_lifespan)
