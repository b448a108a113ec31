"""Name search reads a frequent word's candidates from samples of the rows (the partial indexes
of 0015_name_search_samples.sql): the smallest sample first, then the next sample's other rows,
then the rest, until there are SEARCH_CANDIDATES. The candidate cap is lowered here so that a
few dozen rows stand for the hundreds of thousands a common word matches nationally."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from registry.db import list_queries
from tests.integration.registry.test_audit_routes import _fetch

Auth = Callable[..., dict[str, str]]
CANDIDATES = 20


def _id_ending(last_byte: int) -> uuid.UUID:
    """A uuid whose last byte (the samples' key) is ``last_byte``."""
    return uuid.UUID(bytes=secrets.token_bytes(15) + bytes([last_byte]))


def _rare_pair() -> str:
    """Two CJK characters no other test's names hold."""
    return "".join(chr(0x9F00 + secrets.randbelow(0xA0)) for _ in range(2))


def _store(registry_db: str, record_id: uuid.UUID, name: str) -> None:
    _fetch(
        registry_db,
        "INSERT INTO stores (id, platform, platform_shop_id, name, owner_individual, "
        "region_code, created_by) VALUES ($1, 'taobao', $2, $3, '个人', '520102', 'test')",
        record_id,
        secrets.token_hex(8),
        name,
    )


@pytest.fixture
def fewer_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(list_queries, "SEARCH_CANDIDATES", CANDIDATES)


@pytest.mark.usefixtures("fewer_candidates")
def test_a_frequent_word_takes_its_candidates_from_the_smallest_samples_first(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    word = _rare_pair()
    smallest = [_id_ending(0) for _ in range(8)]  # the 1/256 sample
    next_share = [_id_ending(1 + n % 15) for n in range(30)]  # the rest of the 1/16 sample
    rest = [_id_ending(16 + n) for n in range(40)]
    # Stored last, so that the first matches in the table's order are the others.
    for n, record_id in enumerate(rest + next_share + smallest):
        _store(registry_db, record_id, f"{word}茶叶{n:03d}号店")

    found = registry_api.get("/v1/stores", params={"q": word, "limit": 100}, headers=auth()).json()[
        "items"
    ]

    ids = {uuid.UUID(item["id"]) for item in found}
    assert len(found) == CANDIDATES
    assert set(smallest) <= ids  # all of the smallest sample's matches, then
    assert ids - set(smallest) <= set(next_share)  # the next sample's, none of the rest


@pytest.mark.usefixtures("fewer_candidates")
def test_a_name_outside_every_sample_is_found_when_the_samples_hold_too_few(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    word = _rare_pair()
    for n in range(3):
        _store(registry_db, _id_ending(0), f"{word}{n}号店")
    only = _id_ending(200)
    _store(registry_db, only, f"{word}独有的店")

    found = registry_api.get(
        "/v1/stores", params={"q": f"{word}独有", "limit": 100}, headers=auth()
    ).json()["items"]
    assert [uuid.UUID(item["id"]) for item in found] == [only]

    every = registry_api.get("/v1/stores", params={"q": word, "limit": 100}, headers=auth()).json()[
        "items"
    ]
    assert len(every) == 4  # fewer than the cap: every match, whichever part holds it
