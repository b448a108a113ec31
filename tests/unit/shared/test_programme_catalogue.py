"""The live catalogue of programmes (``shared.programmes.catalogue``): a Mapping that takes
newer revisions from the service's ``programme_definitions`` without a restart, never an
older one, skips what it cannot read, and tells its listeners; and the YAML export that
reads back as the same programme."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.programmes import Programme, load_programmes, parse_programme
from shared.programmes.catalogue import ProgrammeCatalogue
from shared.programmes.export import programme_yaml
from shared.programmes.revisions import DEFINITION_REVISIONS, DEFINITIONS_OF

ROOT = Path(__file__).resolve().parents[3]
PROGRAMMES = ROOT / "shared" / "programmes"
GUIZHOU = "guizhou-shibaiqianwan-2023"


class Table:
    """``programme_definitions`` as the refresh reads it (the two statements it runs)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, Any]] = {}
        self.definitions_read: list[list[str]] = []

    def keep(self, definition: dict[str, Any], revision: int) -> None:
        self.rows[definition["id"]] = (revision, definition)

    async def fetch(self, statement: str, *args: Any) -> list[dict[str, Any]]:
        if statement == DEFINITION_REVISIONS:
            return [{"programme_id": k, "revision": r} for k, (r, _) in self.rows.items()]
        if statement == DEFINITIONS_OF:
            self.definitions_read.append(list(args[0]))
            return [
                {"programme_id": k, "revision": r, "definition": d}
                for k, (r, d) in self.rows.items()
                if k in args[0]
            ]
        raise AssertionError(statement)


def revised(**changes: Any) -> dict[str, Any]:
    definition = load_programmes(PROGRAMMES)[GUIZHOU].model_dump(mode="json")
    definition["period"] = {**definition["period"], **changes}
    return definition


async def test_the_files_are_revision_0_and_a_mapping_of_programmes() -> None:
    catalogue = ProgrammeCatalogue.from_files(PROGRAMMES)
    assert isinstance(catalogue, Mapping)
    assert set(catalogue) == set(load_programmes(PROGRAMMES)) and len(catalogue) == 3
    assert isinstance(catalogue[GUIZHOU], Programme)
    assert catalogue.get("nope") is None
    assert {catalogue.revision(key) for key in catalogue} == {0}


async def test_a_refresh_takes_newer_revisions_only_and_reads_only_those() -> None:
    catalogue, table = ProgrammeCatalogue.from_files(PROGRAMMES), Table()
    held = catalogue[GUIZHOU]  # what a reader holds on to stays as it was
    table.keep(revised(end="2026-12-31"), 2)
    assert await catalogue.refresh(table) == [GUIZHOU]
    assert (catalogue.revision(GUIZHOU), str(catalogue[GUIZHOU].period.end)) == (2, "2026-12-31")
    assert str(held.period.end) == "2025-12-31"
    assert await catalogue.refresh(table) == []  # nothing newer: no definition read again
    assert table.definitions_read == [[GUIZHOU]]
    assert not catalogue.apply(load_programmes(PROGRAMMES)[GUIZHOU], 1)  # older: ignored
    assert str(catalogue[GUIZHOU].period.end) == "2026-12-31"


async def test_a_revision_it_cannot_read_is_skipped_once_and_the_last_one_kept() -> None:
    catalogue, table = ProgrammeCatalogue.from_files(PROGRAMMES), Table()
    unreadable = revised(end="2026-12-31")
    unreadable["colour"] = "blue"  # a field this version does not know
    table.keep(unreadable, 3)
    assert await catalogue.refresh(table) == []
    assert await catalogue.refresh(table) == []
    assert table.definitions_read == [[GUIZHOU]]  # not read again for every refresh
    assert catalogue.revision(GUIZHOU) == 0
    table.rows[GUIZHOU] = (4, json.dumps(revised(end="2027-12-31")))  # JSON text, no codec
    assert await catalogue.refresh(table) == [GUIZHOU]
    assert str(catalogue[GUIZHOU].period.end) == "2027-12-31"


async def test_listeners_hear_of_each_new_revision() -> None:
    catalogue, table = ProgrammeCatalogue.from_files(PROGRAMMES), Table()
    heard: list[tuple[str, int]] = []

    async def listener(programme_id: str, revision: int) -> None:
        heard.append((programme_id, revision))

    async def failing(programme_id: str, revision: int) -> None:
        raise RuntimeError("a listener's failure does not stop the refresh")

    catalogue.subscribe(failing)
    catalogue.subscribe(listener)
    table.keep(revised(end="2026-12-31"), 2)
    await catalogue.refresh(table)
    assert heard == [(GUIZHOU, 2)]


def test_a_programme_exported_as_yaml_reads_back_the_same() -> None:
    for programme in load_programmes(PROGRAMMES).values():
        text = programme_yaml(programme, header=f"{programme.id}: revision 3")
        assert text.startswith(f"# {programme.id}: revision 3\n")
        assert parse_programme(text, path=Path("exported.yaml")) == programme
