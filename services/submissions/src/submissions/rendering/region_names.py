"""Chinese names of the shipped jurisdictions' regions, for chart labels. The registry owns the
region data; this service keeps a copy of the current names (``region_names.csv``, a unit test
keeps it equal to the registry's shipped file) rather than call the registry to draw a chart.
Read on first use, never at import."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files


@cache
def _names() -> dict[str, str]:
    text = files(__package__).joinpath("region_names.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {record["code"]: record["name"] for record in csv.DictReader(lines)}


def region_name(code: str) -> str | None:
    return _names().get(code)
