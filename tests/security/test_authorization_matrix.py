"""The authorization matrix of every service (see ``authz_matrix``): one test per operation of
the four OpenAPI documents, read when the tests are collected, so a new route is in it at once.
Each service runs in-process on its own migrated database, seeded by its world."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import pytest
from fastapi.testclient import TestClient

from shared.auth.roles import Role
from tests.security.authz_matrix import (
    AUTH_FAILURES,
    CALLERS,
    RELATIONS,
    WRITES,
    Answer,
    Operation,
    auth_failures,
    basic_failures,
    leaks,
    operations,
    scope_failures,
    send,
    subject,
)
from tests.security.authz_running import Matrix, documents
from tests.security.authz_worlds import WORLDS
from tests.security.authz_worlds.base import World
from tests.security.conftest import summary

SIGNATURE_FAILURES = ("no_signature", "wrong_signature")  # finance's HMAC callback
# Routes that must stay in the matrix whatever the documents say, so a route that drops out
# of a document (or a document that fails to list its routes) is noticed.
MIN_OPERATIONS = {"registry": 50, "submissions": 35, "awards": 27, "notifications": 12}
CASES: Counter[str] = Counter()
STEPPED_AROUND: Counter[str] = Counter()
STATUSES: dict[str, Counter[int]] = {}  # what the cases were answered, by service


def _last_if_it_ends_things(operation: Operation) -> bool:
    """Closing, leaving, voiding run after the rest of their service, so the records they end
    are still open for the other operations' cases."""
    return any(word in operation.path for word in ("/close", "/leave", "/void", "/removal"))


OPERATIONS = [
    operation
    for name, document in documents().items()
    for operation in sorted(operations(name, document), key=_last_if_it_ends_things)
]


def _run_roles(matrix: Matrix, world: World, client: TestClient, operation: Operation) -> list[str]:
    failures = []
    for role in CALLERS:
        headers = matrix.tokens.bearer(world.claims(role))
        for relation in RELATIONS:
            CASES[operation.service] += 1
            call = world.call(operation, role, relation)
            answer = send(client, operation, call, headers)
            STATUSES.setdefault(operation.service, Counter())[answer.status] += 1
            problems = basic_failures(operation, answer)
            if operation.key not in world.public:
                problems += leaks(
                    answer, call, operation, role, world.records,
                    lambda record: world.readers(operation, record),
                )  # fmt: skip
            ghost: Answer | None = None
            if call.target is not None and role not in call.target.readers:
                ghost_call = world.ghost(operation, role, relation)
                if ghost_call is not None:
                    ghost = send(client, operation, ghost_call, headers)
            problems += scope_failures(operation, role, call, answer, ghost)
            known = [p for p in problems if world.known_defect(operation, role, relation, p)]
            STEPPED_AROUND[operation.service] += bool(known)
            failures += [
                f"{role} on {relation}'s record: {problem}"
                for problem in problems
                if problem not in known
            ]
    return failures


def _run_auth_failures(
    matrix: Matrix, world: World, client: TestClient, operation: Operation
) -> list[str]:
    failures = []
    call = world.call(operation, Role.province_admin, "own")
    if operation.bearer:
        for kind in AUTH_FAILURES:
            CASES[operation.service] += 1
            headers = matrix.tokens.failure(kind, world.claims(Role.province_admin))
            answer = send(client, operation, call, headers)
            failures += auth_failures(operation, kind, answer)
    elif "financeSignature" in operation.security:
        for kind in SIGNATURE_FAILURES:
            CASES[operation.service] += 1
            signature = (
                {} if kind == "no_signature" else {"X-Finance-Signature": "sha256=" + "0" * 64}
            )
            failures += auth_failures(operation, kind, send(client, operation, call, signature))
    return failures


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.service} {op.key}")
def test_every_role_and_region_gets_only_what_it_may(operation: Operation, matrix: Matrix) -> None:
    world, client, _ = matrix.service(operation.service)
    failures = _run_roles(matrix, world, client, operation)
    failures += _run_auth_failures(matrix, world, client, operation)
    assert not failures, f"{operation.service} {operation.key}:\n  " + "\n  ".join(failures)


def _writable_prefixes(role: Role) -> tuple[str, ...] | None:
    """The region codes a matrix caller's changes may be recorded under (None: any)."""
    claims = CALLERS[role]
    if role is Role.operator:
        return None  # it acts through its enterprise, wherever that is
    if not WRITES[role]:
        return ()
    code = claims["region_code"]
    return (code[:2],) if code.endswith("0000") else (code[:4],) if code.endswith("00") else (code,)


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_no_caller_changed_anything_outside_its_reach(name: str, matrix: Matrix) -> None:
    """What every service's audit trail recorded of the matrix callers' changes: nothing by a
    caller that writes nothing, nothing in a region the caller does not administer."""
    if not any(operation.service == name for operation in OPERATIONS):
        pytest.skip("no operations")
    dsn = matrix.service(name)[2]

    async def changes() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(dsn)
        try:
            return await connection.fetch(
                "SELECT actor_subject, action, resource_id, region_code FROM audit_log "
                "WHERE kind = 'change' AND actor_subject LIKE 'matrix-%'"
            )
        finally:
            await connection.close()

    world, wrong = matrix.service(name)[0], []
    for change in asyncio.run(changes()):
        if change["action"] in world.known_changes:
            continue
        role = next(role for role in Role if subject(role) == change["actor_subject"])
        allowed, region = _writable_prefixes(role), change["region_code"]
        if allowed is None:
            continue
        if not allowed or (region is not None and not region.startswith(allowed)):
            wrong.append(dict(change))
    assert not wrong, wrong


def test_the_matrix_covers_every_route(matrix: Matrix) -> None:
    by_service = Counter(operation.service for operation in OPERATIONS)
    for name, floor in MIN_OPERATIONS.items():
        assert by_service[name] >= floor, (name, by_service[name])
    assert set(CALLERS) == set(Role)  # a new role joins the matrix with its reach
    if not CASES:
        pytest.skip("the matrix was not run")
    lines = [
        f"authorization matrix: {name} {by_service[name]} routes x their cases = {CASES[name]} "
        f"({STEPPED_AROUND[name]} stepped around as known defects); role cases answered "
        f"{dict(sorted(STATUSES.get(name, Counter()).items()))}"
        for name in sorted(CASES)
    ]
    lines.append(f"authorization matrix: {len(OPERATIONS)} routes, {sum(CASES.values())} cases")
    summary.extend(lines)
    print("\n".join(lines))
    for name in CASES:  # six roles by three regions, and the credential failures
        assert CASES[name] >= 20 * MIN_OPERATIONS[name], (name, CASES[name])
