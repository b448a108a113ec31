"""What every contract run checks, and the known defects it steps around."""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from schemathesis.checks import CHECKS, CheckFunction, load_all_checks


@dataclass
class CaseCounter:
    """Cases sent, and the statuses they got (printed at the end: what the run explored)."""

    total: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    stepped_around: Counter[str] = field(default_factory=Counter)

    def count(self) -> None:
        self.total += 1

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())


SEED = int(os.environ.get("CONTRACT_SEED", "20250607"))  # a fixed seed: the same cases each run
MIN_CASES = 1_000  # requests each service is sent, at the least
BASE_EXAMPLES = 25  # per operation; more where a service has few operations


def examples_per_operation(operations: int, *, at_least: int = BASE_EXAMPLES) -> int:
    """Enough generated examples per operation that the service gets ``MIN_CASES`` from the
    positive phase alone (each operation adds negative and coverage cases on top)."""
    return max(at_least, -(-MIN_CASES // max(operations, 1)))


def operations_in(document: dict[str, Any]) -> int:
    methods = {"get", "put", "post", "patch", "delete"}
    return sum(1 for item in document.get("paths", {}).values() for m in item if m in methods)


def load_schema(base_url: str, *, max_examples: int | None = None) -> schemathesis.BaseSchema:
    """The service's own document; unknown query parameters are ignored by design (HTTP
    caches and proxies add them), so none are generated as "invalid". Without
    ``max_examples``, as many a operation as ``examples_per_operation`` gives the document's
    operations. Generation is deterministic (Hypothesis' derandomize, with the fixed seed) and
    has no deadline (schemathesis sets none): a slow answer is not a failure here."""
    if max_examples is None:
        with httpx.Client(timeout=30) as client:
            document = client.get(f"{base_url}/openapi.json").json()
        max_examples = examples_per_operation(operations_in(document))
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "generation": {
                "max-examples": max_examples,
                "deterministic": True,
                "allow-extra-parameters": False,
                "database": "none",
                # The run sends its own bearer token with every case (ignored_auth checks
                # the routes without one), so a case "without" the token would still carry it.
                "with-security-parameters": False,
            },
        }
    )
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)


# Failing on: a 5xx, a status the document does not list, a body or header or content type
# that breaks it, a route that ignores a missing or bad token, and input the document calls
# invalid that is not refused with a 4xx (request bodies are strict: shared.http.request_body).
CHECK_NAMES = (
    "not_a_server_error",
    "negative_data_rejection",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",
)


@functools.cache
def checks() -> list[CheckFunction]:
    load_all_checks()
    return [CHECKS.get_one(name) for name in CHECK_NAMES]


def _negative_only_in_a_text_body(case: schemathesis.Case) -> bool:
    """A file sent as text (CSV) is any bytes: a "wrong type" body turns into valid text once
    sent, so such a case cannot be refused."""
    meta = case.meta
    if meta is None or not case.media_type or case.media_type.endswith("json"):
        return False
    negative = {place.value for place, info in meta.components.items() if info.mode.is_negative}
    return negative == {"body"}


def checks_for(case: schemathesis.Case) -> list[CheckFunction]:
    if _negative_only_in_a_text_body(case):
        return [check for check in checks() if check.__name__ != "negative_data_rejection"]
    return checks()


# Defects the run steps around, by name; each has a strict xfail in
# tests/security/test_found_bugs.py, and goes from here when it is fixed. (None now: a query
# parameter sent twice, the last one, is refused with 400 by every service.)
KNOWN_DEFECTS: dict[str, Callable[[schemathesis.Case], bool]] = {}


def known_defect(case: schemathesis.Case) -> str | None:
    return next((name for name, applies in KNOWN_DEFECTS.items() if applies(case)), None)


def call_and_check(
    case: schemathesis.Case,
    base_url: str,
    bearer: dict[str, str],
    counter: CaseCounter,
    prepare: Callable[[schemathesis.Case], str | None] | None = None,
) -> None:
    """Send the case as the caller ``bearer``; ``prepare`` may rewrite it first and name a
    known defect the case would hit."""
    counter.count()
    defect = prepare(case) if prepare is not None else None
    defect = defect or known_defect(case)
    if defect:
        counter.stepped_around[defect] += 1
        return
    response = case.call(base_url=base_url, headers=bearer, timeout=30)
    counter.statuses[response.status_code] += 1
    case.validate_response(response, checks=checks_for(case), headers=bearer)
