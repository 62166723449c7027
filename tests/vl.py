"""Checks shared by the chart tests: a spec validates against Vega-Lite's schema, as strict JSON."""

from __future__ import annotations

import functools
import json
from typing import Any

import altair as alt
import pyarrow as pa
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema

from lossviz.charts.style import SCHEMA_URL


@functools.cache
def vega_lite_schema() -> dict:
    return load_schema()


def validated(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (a plain Vega-Lite dict, as the builders return) after checking it: the schema it
    names is Altair's, it validates, it is strict JSON (no NaN/Infinity) and its datasets become
    Arrow tables as the app sends them (lossviz.ui.common.arrow_datasets)."""
    assert isinstance(spec, dict), type(spec)
    assert spec["$schema"] == SCHEMA_URL == alt.SCHEMA_URL
    validate_jsonschema(spec, vega_lite_schema())
    json.dumps(spec, allow_nan=False)
    for records in spec.get("datasets", {}).values():
        if any(records):
            pa.Table.from_pylist(records)
    return spec
