"""The registry answers as its OpenAPI document says (schemathesis, ≥ 1,000 cases)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from registry.api.app import create_app
from registry.config import RegistrySettings
from registry.data.regions import load_country_regions
from registry.db import MIGRATIONS_DIR
from registry.db.regions import sync_regions
from tests.contract.checks import MIN_CASES, SEED, CaseCounter, call_and_check, load_schema
from tests.contract.conftest import ServedApi, report, service_api
from tests.contract.registry_data import Realistic, seed_records
from tests.support.stack import Stack

counter = CaseCounter()


async def _load_regions(dsn: str) -> None:
    await sync_regions(dsn, load_country_regions())


@pytest.fixture(scope="module")
def registry(stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]) -> Iterator[ServedApi]:
    with service_api(
        stack,
        "registry",
        MIGRATIONS_DIR,
        lambda values: create_app(RegistrySettings(**values)),
        topic_prefix=topic_prefix,
        public_key_pem=signing_keys[1],
        prepare=_load_regions,
    ) as api:
        yield api


@pytest.fixture(scope="module")
def realistic(registry: ServedApi, bearer: dict[str, str]) -> Realistic:
    return Realistic(seed_records(registry.base_url, bearer), SEED)


@pytest.fixture(scope="module")
def registry_schema(registry: ServedApi) -> schemathesis.BaseSchema:
    return load_schema(registry.base_url, max_examples=25)


schema = schemathesis.pytest.from_fixture("registry_schema")


@schema.parametrize()
def test_registry_answers_as_documented(
    case: schemathesis.Case, registry: ServedApi, bearer: dict[str, str], realistic: Realistic
) -> None:
    call_and_check(case, registry.base_url, bearer, counter, prepare=realistic.apply)


def test_registry_ran_enough_cases() -> None:
    if counter.total == 0:
        pytest.skip("the contract run was not selected")
    report("registry", counter)
    assert counter.sent >= MIN_CASES
