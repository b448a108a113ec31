"""What can refuse a write of a record, and the problem each is answered with."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg

from registry.domain.entities.spec import EntitySpec
from registry.domain.scope import may_read
from shared.auth import Principal
from shared.http import catalogue
from shared.http.problems import ProblemError, not_found
from shared.i18n import t


class DuplicateRecord(Exception):
    """The natural key is taken; ``existing`` is that record's row, named only to callers who
    may read it."""

    def __init__(self, spec: EntitySpec, existing: Mapping[str, Any]) -> None:
        super().__init__(f"{spec.name} already registered as {existing['id']}")
        self.spec = spec
        self.existing = existing
        self.existing_id: uuid.UUID = existing["id"]
        self.existing_name: str = existing["name"]


class ConstraintViolated(Exception):
    """The values break a rule the table enforces (NOT NULL, CHECK, a foreign key)."""

    def __init__(self, fields: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.fields = fields
        self.message = message


class UnknownEnterprise(Exception):
    def __init__(self, column: str, value: object) -> None:
        super().__init__(f"{column}: no enterprise {value}")
        self.column = column
        self.value = value


class RecordNotFound(Exception):
    pass


class RecordClosed(Exception):
    pass


CONSTRAINT_ERRORS = (
    asyncpg.NotNullViolationError,
    asyncpg.CheckViolationError,
    asyncpg.ForeignKeyViolationError,
)


def violation(spec: EntitySpec, exc: asyncpg.IntegrityConstraintViolationError) -> Exception:
    """The request's fault, as the fields it concerns. The API validates what it can; this
    catches what only the table knows (a rule over two fields, a reference), so a new constraint
    is a 422 rather than a 500 even before its ``Invariant`` is written."""
    if isinstance(exc, asyncpg.NotNullViolationError) and exc.column_name:
        return ConstraintViolated((exc.column_name,), "may not be null")
    invariant = spec.invariants.get(exc.constraint_name or "")
    if invariant is not None:
        return ConstraintViolated(invariant.fields, invariant.message)
    return ConstraintViolated((), f"the values break the rule {exc.constraint_name}")


def duplicate_problem(exc: DuplicateRecord, spec: EntitySpec, principal: Principal) -> ProblemError:
    """The existing record is named only to a caller who may read it; to others its existence
    is all the 409 says (the key is unique across the country, so the conflict itself stays)."""
    key = ", ".join(spec.natural_key)
    if not may_read(principal, spec, exc.existing):
        return ProblemError(
            catalogue.ALREADY_REGISTERED,
            t(
                f"{key} 相同的{spec.label_zh}已登记",
                f"a {spec.name} with the same {key} is registered",
            ),
        )
    return ProblemError(
        catalogue.ALREADY_REGISTERED,
        t(
            f"{key} 相同的{spec.label_zh}已登记：{exc.existing_id}",
            f"the same {key} belongs to {spec.name} {exc.existing_id}",
        ),
        extra={
            "existing_id": str(exc.existing_id),
            "existing_name": exc.existing_name,
            "existing_url": f"/v1/{spec.path}/{exc.existing_id}",
        },
    )


def problem_for(exc: Exception, spec: EntitySpec) -> ProblemError:
    if isinstance(exc, ConstraintViolated):
        fields = exc.fields or ("body",)
        listed = ", ".join(fields)
        return ProblemError(
            catalogue.VALIDATION_FAILED,
            t(f"{listed}：{exc.message}", f"{listed}: {exc.message}"),
            extra={
                "errors": [
                    {
                        "field": f"body.{field}" if exc.fields else field,
                        "message": exc.message,
                        "type": "constraint",
                    }
                    for field in fields
                ]
            },
        )
    if isinstance(exc, UnknownEnterprise):
        return ProblemError(
            catalogue.UNKNOWN_ENTERPRISE,
            t(f"企业不存在：{exc}", str(exc)),
            extra={
                "errors": [
                    {
                        "field": f"body.{exc.column}",
                        "message": "no such enterprise",
                        "type": "reference",
                    }
                ]
            },
        )
    if isinstance(exc, RecordClosed):
        return ProblemError(
            catalogue.RECORD_CLOSED, t(f"该{spec.label_zh}已注销", f"this {spec.name} is closed")
        )
    return not_found(t(spec.label_zh, spec.name), str(exc))
