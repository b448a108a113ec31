"""Programmes revised through the registry API (docs/programmes.md, "Revisions"), with real
tokens: the files are revision 1 at migrate; the province of the jurisdiction revises with
If-Match (428 missing, 412 stale); the model and the document's guards refuse with the field
and the quote; revisions are listed, read with their changes, never edited; the event on Kafka
carries the whole programme; another service's consumer applies it."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.bootstrap import record_programme_files
from registry.config import RegistrySettings
from shared.db.pool import create_pool
from shared.programmes import Programme, parse_programme
from shared.programmes.catalogue import ProgrammeCatalogue
from tests.support.databases import drop_database, migrated_database
from tests.support.kafka import envelope_of, read_topic
from tests.support.pages import assert_cursors_refused, walk
from tests.support.programme_revisions import (
    GUIZHOU,
    add_2026_round,
    consume_revisions,
    publish_outbox,
    revise,
)
from tests.support.stack import Stack

Auth = Callable[..., dict[str, str]]
URL = f"/v1/programmes/{GUIZHOU}"
ROOT = Path(__file__).resolve().parents[3]
CAP_QUOTE = "每实现1万元最高给予5元流量补贴,每家企业最高补贴不超过100万元"


@pytest.fixture(scope="module")
def prefix(topic_prefix: str) -> str:
    """This module's own topics: revision numbers of its database only."""
    return f"{topic_prefix}rev{uuid.uuid4().hex[:6]}."


@pytest.fixture(scope="module")
def settings(registry_settings: Callable[..., RegistrySettings], prefix: str) -> RegistrySettings:
    configured = registry_settings(kafka_topic_prefix=prefix, programme_refresh_seconds=0.2)
    asyncio.run(record_programme_files(configured))  # what `python -m registry migrate` does
    return configured


@pytest.fixture(scope="module")
def api(settings: RegistrySettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def subsidy_of(definition: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in definition["rewards"] if r["id"] == "traffic-subsidy")


def test_the_shipped_files_are_revision_1(api: TestClient, auth: Auth) -> None:
    read = api.get(URL, headers=auth())
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    (first,) = api.get(f"{URL}/revisions", headers=auth()).json()["items"]
    assert (first["revision"], first["source"], first["author"]) == (1, "file", "deploy")
    assert first["reason"] == "programme file guizhou-shibaiqianwan-2023.yaml"
    assert len(first["file_sha256"]) == 64
    detail = api.get(f"{URL}/revisions/1", headers=auth()).json()
    assert (detail["previous_revision"], detail["changes"]) == (None, [])
    assert detail["definition"] == read.json()
    listed = {p["id"]: p["revision"] for p in api.get("/v1/programmes", headers=auth()).json()}
    assert listed == {GUIZHOU: 1, "qinghai-2024-2026": 1, "qingdao-2014": 1}


def test_only_the_province_of_the_jurisdiction_revises(api: TestClient, auth: Auth) -> None:
    for headers in (
        auth("city_bureau", "520100"),
        auth("province_admin", "630000"),  # another province
        auth("integrator", None, grants=["write"]),
        auth("operator", None, enterprise_ids=[str(uuid.uuid4())]),
    ):
        response = revise(api, headers, add_2026_round)
        assert response.status_code == 403, response.text
    # Qingdao's programme is the city's, in Shandong: Shandong's province revises it.
    qingdao = revise(
        api, auth("province_admin", "370000"), lambda d: None, programme_id="qingdao-2014"
    )
    assert qingdao.status_code == 200, qingdao.text
    assert api.put("/v1/programmes/nope", json={"definition": {}, "reason": "x"},
                   headers=auth()).status_code == 404  # fmt: skip


def test_if_match_is_required_and_must_be_current(api: TestClient, auth: Auth) -> None:
    definition = api.get(URL, headers=auth()).json()
    body = {"definition": definition, "reason": "无 If-Match"}
    missing = api.put(URL, json=body, headers=auth())
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
    current = missing.json()["current_etag"]
    stale = api.put(URL, json=body, headers={**auth(), "If-Match": '"0"'})
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert stale.headers["ETag"] == current
    # two provinces' clerks read the same revision: the second one's change is refused
    first = api.put(URL, json=body, headers={**auth(), "If-Match": current})
    second = api.put(URL, json=body, headers={**auth(), "If-Match": current})
    assert (first.status_code, second.status_code) == (200, 412)


def test_a_revision_is_validated_as_the_files_are(api: TestClient, auth: Auth) -> None:
    def negative_target(definition: dict[str, Any]) -> None:
        definition["targets"][0]["value"] = "-1"
        definition["targets"][1]["colour"] = "blue"

    response = revise(api, auth(), negative_target)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    fields = {error["field"]: error["type"] for error in problem["errors"]}
    assert fields == {
        "body.definition.targets.0.value": "greater_than_equal",
        "body.definition.targets.1.colour": "extra_forbidden",
    }

    def another_document(definition: dict[str, Any]) -> None:
        definition["jurisdiction"] = "630000"

    moved = revise(api, auth(), another_document).json()
    assert [e["field"] for e in moved["errors"]] == ["body.definition.jurisdiction"]


def test_raising_a_cap_above_the_documents_is_refused_with_the_quote(
    api: TestClient, auth: Auth
) -> None:
    def raise_cap(definition: dict[str, Any]) -> None:
        subsidy_of(definition)["amount_per_unit"] = "8"

    response = revise(api, auth(), raise_cap)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "document_rule_broken"
    (violation,) = problem["violations"]
    index = next(i for i, r in enumerate(api.get(URL, headers=auth()).json()["rewards"])
                 if r["id"] == "traffic-subsidy")  # fmt: skip
    assert violation == {
        "field": f"body.definition.rewards.{index}.amount_per_unit",
        "rule": "at most 5 CNY per 10,000 CNY of commodity online retail",
        "quote": CAP_QUOTE,
        "file": "004_9c19d9a85d8c1f73.txt",
        "section": "四、保障措施（二）3",
    }
    assert CAP_QUOTE in problem["detail"]
    english = revise(api, {**auth(), "Accept-Language": "en"}, raise_cap).json()
    assert CAP_QUOTE in english["detail"] and english["title"] == "Breaks the programme's document"


def test_a_revision_is_recorded_read_back_with_its_changes_and_listed(
    api: TestClient, auth: Auth, settings: RegistrySettings
) -> None:
    def new_terms(definition: dict[str, Any]) -> None:
        add_2026_round(definition)
        definition["reporting_windows"][0]["reminders"]["before_days"] = [21, 7, 1]
        subsidy_of(definition)["amount_per_unit"] = "4"  # below the cap: the province's call

    before = api.get(URL, headers=auth())
    response = revise(api, auth(subject="u-guizhou-1"), new_terms, reason="2026 年申报通知")
    assert response.status_code == 200, response.text
    revision = response.json()
    number = revision["revision"]
    assert number == int(before.headers["ETag"].strip('"')) + 1
    assert response.headers["ETag"] == f'"{number}"'
    assert (revision["source"], revision["author"]) == ("api", "u-guizhou-1")
    assert (revision["reason"], revision["previous_revision"]) == ("2026 年申报通知", number - 1)
    assert revision["changes"] == [
        {"path": "application_rounds.last_year", "before": None, "after": 2026},
        {
            "path": "reporting_windows[annual-report].reminders.before_days",
            "before": [30, 14, 7, 3, 1],
            "after": [21, 7, 1],
        },
        {"path": "rewards[traffic-subsidy].amount_per_unit", "before": "5", "after": "4"},
    ]
    now = api.get(URL, headers=auth())
    assert now.headers["ETag"] == f'"{number}"'
    assert now.json()["application_rounds"]["last_year"] == 2026
    assert api.get(f"{URL}/revisions/{number}", headers=auth()).json() == revision
    pages = walk(api, f"{URL}/revisions", auth(), limit=1)
    assert [page[0]["revision"] for page in pages] == list(range(number, 0, -1))
    assert_cursors_refused(api, f"{URL}/revisions", auth(), [])
    assert api.get(f"{URL}/revisions/{number + 1}", headers=auth()).status_code == 404
    # who, when and why are in the audit trail as well
    trail = api.get("/v1/audit", params={"resource_type": "programme"}, headers=auth()).json()
    assert any(
        r["action"] == "programme.revised" and r["reason"] == "2026 年申报通知"
        for r in trail["items"]
    )


async def _alter(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def test_revisions_are_never_edited_nor_deleted(settings: RegistrySettings) -> None:
    for statement in (
        "UPDATE programme_revisions SET reason = 'edited'",
        "DELETE FROM programme_revisions",
        "TRUNCATE programme_revisions",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            asyncio.run(_alter(settings.database_url, statement))


def test_the_yaml_export_is_the_current_revision_as_a_file(api: TestClient, auth: Auth) -> None:
    current = api.get(URL, headers=auth())
    exported = api.get(URL, params={"format": "yaml"}, headers=auth())
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/yaml")
    revision = current.headers["ETag"].strip('"')
    assert exported.text.startswith(f"# {GUIZHOU}: revision {revision} ")
    programme = parse_programme(exported.text, path=Path("exported.yaml"))
    assert programme.model_dump(mode="json") == current.json()


def test_a_changed_file_becomes_the_newest_revision_at_deploy(
    api: TestClient, auth: Auth, settings: RegistrySettings, tmp_path: Path
) -> None:
    assert asyncio.run(record_programme_files(settings)) == []  # same files: nothing new
    shutil.copytree(ROOT / "shared" / "programmes", tmp_path, dirs_exist_ok=True)
    path = tmp_path / "guizhou-shibaiqianwan-2023.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["targets"][0]["value"] = 11
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    latest = int(api.get(URL, headers=auth()).headers["ETag"].strip('"'))
    (recorded,) = asyncio.run(
        record_programme_files(settings.model_copy(update={"programmes_dir": tmp_path}))
    )
    assert (recorded.programme_id, recorded.revision) == (GUIZHOU, latest + 1)
    now = api.get(URL, headers=auth())
    assert now.headers["ETag"] == f'"{latest + 1}"'
    assert now.json()["targets"][0]["value"] == "11"
    # the file replaces the whole definition: the API's revisions are history now
    assert now.json()["application_rounds"]["last_year"] is None
    (newest, *_) = api.get(f"{URL}/revisions", headers=auth()).json()["items"]
    assert (newest["source"], newest["reason"]) == (
        "file",
        "programme file guizhou-shibaiqianwan-2023.yaml changed",
    )


async def _published_and_applied(stack: Stack, settings: RegistrySettings, prefix: str) -> None:
    assert await publish_outbox(stack, settings.database_url) > 0
    records = await read_topic(stack.kafka_bootstrap, f"{prefix}registry.programme", expected=1)
    envelopes = [envelope_of(record) for record in records]
    revised = [e for e in envelopes if e["subject"] == GUIZHOU]
    newest = max(revised, key=lambda e: e["data"]["revision"])
    assert newest["type"] == "registry.programme.revised.v1"
    assert set(newest["data"]) == {
        "programme_id", "revision", "definition", "source", "author", "reason", "revised_at",
    }  # fmt: skip
    # the whole validated programme, as the registry answers it
    assert Programme.model_validate(newest["data"]["definition"]).id == GUIZHOU

    # another service's database and consumer (the shared handler every service registers)
    dsn = await migrated_database(
        stack, "othersvc", ROOT / "tests/integration/no_service_migrations"
    )
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        catalogue = ProgrammeCatalogue.from_files(ROOT / "shared" / "programmes")

        async def applied() -> bool:
            await catalogue.refresh(pool)
            return catalogue.revision(GUIZHOU) == newest["data"]["revision"]

        await consume_revisions(stack, pool, name="othersvc", prefix=prefix, done=applied)
        assert catalogue[GUIZHOU].model_dump(mode="json") == newest["data"]["definition"]
    finally:
        await pool.close()
        await drop_database(stack, dsn)


def test_the_event_carries_the_whole_programme_and_another_service_applies_it(
    stack: Stack, settings: RegistrySettings, prefix: str, api: TestClient, auth: Auth
) -> None:
    assert revise(api, auth(), add_2026_round).status_code == 200
    asyncio.run(_published_and_applied(stack, settings, prefix))
