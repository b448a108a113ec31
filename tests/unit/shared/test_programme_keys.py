"""A programme file carries only keys the model reads: an unknown or unread key is refused.

A key the code never reads is worse than a typo: it looks like a setting, and changing it does
nothing. The traffic subsidy's threshold, for one, is tested on its ``basis_indicator``, so its
``eligibility`` names no metric of its own.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

import shared.programmes
from shared.programmes import (
    ProgrammeFileError,
    Threshold,
    TrafficSubsidy,
    load_programme,
    load_programmes,
)
from shared.programmes.loader import _ProgrammeYamlLoader

ROOT = Path(__file__).resolve().parents[3]
PROGRAMMES = ROOT / "shared" / "programmes"
SHIPPED = sorted(PROGRAMMES.glob("*.yaml"))
UNKNOWN = "unexpected_key"


def _data(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ProgrammeYamlLoader)
    assert isinstance(data, dict)
    return data


def _write(directory: Path, data: dict[str, Any]) -> Path:
    path = directory / "edited.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _mappings(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, dict[Any, Any]]]:
    """Every mapping in a parsed file with its dotted path (``rewards.3.source_ref``)."""
    if isinstance(node, dict):
        yield ".".join(str(step) for step in path), node
        for key, value in node.items():
            yield from _mappings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _mappings(value, (*path, index))


def _traffic_subsidy(data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    for index, reward in enumerate(data["rewards"]):
        if reward["kind"] == "traffic_subsidy":
            return index, reward
    raise AssertionError("the Guizhou programme has a traffic subsidy")


def test_the_three_shipped_files_load() -> None:
    assert [path.name for path in SHIPPED] == [
        "guizhou-shibaiqianwan-2023.yaml",
        "qingdao-2014.yaml",
        "qinghai-2024-2026.yaml",
    ]
    assert len(load_programmes(PROGRAMMES)) == 3


def test_an_unknown_key_is_refused_and_named(tmp_path: Path) -> None:
    data = _data(PROGRAMMES / "guizhou-shibaiqianwan-2023.yaml")
    index, subsidy = _traffic_subsidy(data)
    subsidy["cap_per_household"] = 1000
    with pytest.raises(ProgrammeFileError) as caught:
        load_programme(_write(tmp_path, data))
    (problem,) = caught.value.problems
    assert problem.field == f"rewards.{index}.traffic_subsidy.cap_per_household"
    assert problem.item_id == "traffic-subsidy"
    assert "unknown field" in problem.reason
    assert "cap_per_household" in str(caught.value)


def test_the_traffic_subsidy_threshold_names_no_metric(tmp_path: Path) -> None:
    """The calculator reads the subsidy's ``basis_indicator``; a metric beside the threshold
    would claim another figure is compared."""
    data = _data(PROGRAMMES / "guizhou-shibaiqianwan-2023.yaml")
    index, subsidy = _traffic_subsidy(data)
    assert "metric" not in subsidy["eligibility"]
    subsidy["eligibility"]["metric"] = "annual_online_retail_sales"
    with pytest.raises(ProgrammeFileError) as caught:
        load_programme(_write(tmp_path, data))
    (problem,) = caught.value.problems
    assert problem.field == f"rewards.{index}.traffic_subsidy.eligibility.metric"
    assert "unknown field" in problem.reason
    assert TrafficSubsidy.model_fields["eligibility"].annotation is Threshold
    assert "metric" not in Threshold.model_fields


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_mapping_of_a_shipped_file_refuses_an_unknown_key(path: Path) -> None:
    """Each mapping of the file in turn gets a key no model has: every one is refused, at
    that mapping's path, so no part of the format passes unknown keys silently."""
    data = _data(path)
    for where, mapping in list(_mappings(data)):
        mapping[UNKNOWN] = 1
        try:
            with pytest.raises(pydantic.ValidationError) as caught:
                shared.programmes.Programme.model_validate(data)
        finally:
            del mapping[UNKNOWN]
        refused = {
            ".".join(str(step) for step in error["loc"])
            for error in caught.value.errors()
            if error["type"] == "extra_forbidden"
        }
        assert any(field.endswith(UNKNOWN) for field in refused), (where, refused)


def test_every_model_of_the_definition_forbids_unknown_keys() -> None:
    models = [
        member
        for module in _programme_modules()
        for _, member in inspect.getmembers(module, inspect.isclass)
        if issubclass(member, pydantic.BaseModel) and member.__module__ == module.__name__
    ]
    assert len(models) > 30
    lax = [model.__qualname__ for model in models if model.model_config.get("extra") != "forbid"]
    assert not lax, f"models that accept unknown keys: {lax}"


def _programme_modules() -> list[Any]:
    import importlib
    import pkgutil

    package = shared.programmes
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]
