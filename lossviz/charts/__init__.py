"""Chart builders: plain numpy data in, Vega-Lite dicts out (data in their top-level ``datasets``).

No JAX, no Streamlit, no Altair and no pandas here (a test imports this package in a fresh interpreter
and checks). One module per concern:

- :mod:`~lossviz.charts.style`: colours by meaning, number and tick formatting;
- :mod:`~lossviz.charts.raster`: rank colouring and the PNG encoder;
- :mod:`~lossviz.charts.packed`: packed numeric columns and named data sets;
- :mod:`~lossviz.charts.landscape`: the landscape pair (a plain Vega-Lite dict);
- :mod:`~lossviz.charts.explorer`, :mod:`~lossviz.charts.training`,
  :mod:`~lossviz.charts.nondifferentiable`: the other charts of each page (plain Vega-Lite dicts).
"""
