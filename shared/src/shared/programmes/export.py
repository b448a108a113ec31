"""A programme written back as a programme file (YAML), which the loader reads into the same
programme: what an operator commits when the files, not the API, are the way of working
(docs/programmes.md, "Revisions")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import yaml

from shared.programmes.model import Programme


class _ProgrammeDumper(yaml.SafeDumper):
    """Exact decimals (written as YAML numbers, read back by the loader as ``Decimal``),
    enumerations by value, tuples as lists."""


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    if value == value.to_integral_value():
        return dumper.represent_int(int(value))
    return dumper.represent_scalar("tag:yaml.org,2002:float", str(value))


def _enum(dumper: yaml.SafeDumper, value: Enum) -> yaml.Node:
    return dumper.represent_data(value.value)


def _tuple(dumper: yaml.SafeDumper, value: tuple[Any, ...]) -> yaml.Node:
    return dumper.represent_list(list(value))


_ProgrammeDumper.add_representer(Decimal, _decimal)
_ProgrammeDumper.add_multi_representer(Enum, _enum)
_ProgrammeDumper.add_representer(tuple, _tuple)
_ProgrammeDumper.add_representer(dt.date, yaml.SafeDumper.represent_date)


def programme_yaml(programme: Programme, *, header: str | None = None) -> str:
    """The programme as a file; ``header`` (one comment line per line) says where it is from."""
    body = yaml.dump(
        programme.model_dump(mode="python"),
        Dumper=_ProgrammeDumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    if header is None:
        return body
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return comment + body
