"""The authorization matrix: every operation of a service's own OpenAPI document, called by
every role (``shared.auth.roles.Role``) on a record of its own region, of another region of the
same province and of another province, and with no token, an expired token and a token signed
by another key. A route added to a service is in the matrix the day it is added.

What a case must show (``check``):

* the answer's status is one the document lists for the operation, never a 5xx, and every
  4xx is ``application/problem+json``;
* no answer carries a marker (an id, a code) of a seeded record the caller may not read,
  unless the caller sent it itself (a problem may echo the id it was asked for);
* a record the caller may not read is answered as one that does not exist: the same status
  as for a ghost (an id of the same shape that names nothing), so a 403 never confirms it;
* a write on a record (or into a region) the caller may not change is refused (not 2xx);
* without a valid credential every secured operation answers 401 problem+json.

A service's ``World`` (``tests/security/authz_worlds``) seeds the records and fills in each
operation's path, query and body; what it cannot fill is still called (the auth columns and
the status checks hold on any request).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi.testclient import TestClient

from shared.auth.roles import Role

METHODS = ("get", "put", "post", "patch", "delete")
RELATIONS = ("own", "same_province", "other_province")
# The seeded records' regions: a county of Guiyang, a county of Qiandongnan (Guizhou), and a
# district of Xining (Qinghai).
REGION = {"own": "520102", "same_province": "522601", "other_province": "630102"}
# Every role's caller, at home in (or above) the "own" region; the operator's enterprise ids
# are its world's (it acts through enterprises, never through a region).
CALLERS: dict[Role, dict[str, Any]] = {
    Role.integrator: {"roles": ["integrator"]},  # reads everything, writes nothing (no grant)
    Role.expert: {"roles": ["expert"], "region_code": "520100"},
    Role.operator: {"roles": ["operator"]},
    Role.county_bureau: {"roles": ["county_bureau"], "region_code": "520102"},
    Role.city_bureau: {"roles": ["city_bureau"], "region_code": "520100"},
    Role.province_admin: {"roles": ["province_admin"], "region_code": "520000"},
}
# The widest reach of each caller over the seeded regions, by ``shared.auth.scope``'s rules
# (a record's own rules may narrow it, never widen it).
READS: dict[Role, frozenset[str]] = {
    Role.integrator: frozenset(RELATIONS),
    Role.expert: frozenset({"own"}),
    Role.operator: frozenset({"own"}),  # the records of its own enterprise, seeded in "own"
    Role.county_bureau: frozenset({"own"}),
    Role.city_bureau: frozenset({"own"}),
    Role.province_admin: frozenset({"own", "same_province"}),
}
WRITES: dict[Role, frozenset[str]] = {
    Role.integrator: frozenset(),
    Role.expert: frozenset(),
    Role.operator: frozenset({"own"}),
    Role.county_bureau: frozenset({"own"}),
    Role.city_bureau: frozenset({"own"}),
    Role.province_admin: frozenset({"own", "same_province"}),
}
# The audit trail: the administration its subtree, integrators everything, nobody else.
AUDIT_ROLES = frozenset({Role.county_bureau, Role.city_bureau, Role.province_admin})
AUTH_FAILURES = ("no_token", "expired_token", "wrong_signature")


def subject(role: Role) -> str:
    """The matrix callers' subjects: their changes are found in the audit trail by it."""
    return f"matrix-{role}"


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    documented: frozenset[int]
    security: frozenset[str]
    parameters: tuple[dict[str, Any], ...]
    request_body: dict[str, Any] | None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    @property
    def bearer(self) -> bool:
        return "bearerAuth" in self.security


def operations(service: str, document: Mapping[str, Any]) -> list[Operation]:
    found = []
    default_security = document.get("security", [])
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            schemes = operation.get("security", default_security)
            found.append(
                Operation(
                    service=service,
                    method=method.upper(),
                    path=path,
                    documented=frozenset(int(s) for s in operation["responses"] if s.isdigit()),
                    security=frozenset(name for scheme in schemes for name in scheme),
                    parameters=tuple(item.get("parameters", []) + operation.get("parameters", [])),
                    request_body=operation.get("requestBody"),
                )
            )
    return found


@dataclass(frozen=True)
class Record:
    """A seeded record: the strings that only it carries, who may read and who may change it."""

    resource: str
    relation: str
    markers: tuple[str, ...]
    readers: frozenset[Role]
    writers: frozenset[Role]
    region: str = ""  # its region code, where not the relation's own (an office's)

    @property
    def region_code(self) -> str:
        return self.region or REGION[self.relation]


def standard_record(resource: str, relation: str, *markers: str) -> Record:
    return Record(
        resource=resource,
        relation=relation,
        markers=tuple(markers),
        readers=frozenset(role for role in Role if relation in READS[role]),
        writers=frozenset(role for role in Role if relation in WRITES[role]),
    )


def within(ancestor: str, code: str) -> bool:
    """GB/T 2260 by shape: a province PP0000 holds PP…, a city PPCC00 holds PPCC…"""
    if ancestor.endswith("0000"):
        return code[:2] == ancestor[:2]
    if ancestor.endswith("00"):
        return code[:4] == ancestor[:4]
    return code == ancestor


def audit_readers(region_code: str) -> frozenset[Role]:
    """Who reads the audit records of a region: the administration over it, integrators."""
    return frozenset(
        role
        for role in Role
        if role is Role.integrator
        or (role in AUDIT_ROLES and within(CALLERS[role]["region_code"], region_code))
    )


@dataclass
class Call:
    """One request of the matrix, as its world filled it in."""

    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    json_body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    target: Record | None = None  # the seeded record it names (path or body)
    refused_for: frozenset[Role] = frozenset()  # a create: who may not place it there

    def url(self, template: str) -> str:
        for name, value in self.path.items():
            template = template.replace("{" + name + "}", str(value))
        return template

    def sent(self, template: str) -> str:
        body = self.content.decode("utf-8", "replace") if self.content else ""
        return self.url(template) + json.dumps(self.query) + json.dumps(self.json_body) + body


@dataclass
class Answer:
    status: int
    content_type: str
    text: str
    headers: Mapping[str, str]


class Tokens:
    def __init__(self, private_pem: str, other_private_pem: str) -> None:
        self.private_pem, self.other_private_pem = private_pem, other_private_pem

    def bearer(
        self, claims: Mapping[str, Any], *, key: str | None = None, minutes: int = 10
    ) -> dict[str, str]:
        payload = {
            "iss": "ecom-local",
            "aud": "ecom-api",
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes),
            **claims,
        }
        token = jwt.encode(payload, key or self.private_pem, algorithm="RS256")
        return {"Authorization": f"Bearer {token}"}

    def failure(self, kind: str, claims: Mapping[str, Any]) -> dict[str, str]:
        if kind == "no_token":
            return {}
        if kind == "expired_token":
            return self.bearer(claims, minutes=-60)
        return self.bearer(claims, key=self.other_private_pem)


def send(
    client: TestClient, operation: Operation, call: Call, headers: Mapping[str, str]
) -> Answer:
    response = client.request(
        operation.method,
        call.url(operation.path),
        params=call.query,
        json=call.json_body if call.content is None else None,
        content=call.content,
        headers={**call.headers, **headers},
    )
    return Answer(
        response.status_code,
        response.headers.get("content-type", ""),
        readable_text(response.content),
        response.headers,
    )


def readable_text(content: bytes) -> str:
    """The answer as text; a workbook (a zip) as the text of its parts, where a marker in a
    cell would be."""
    if not content.startswith(b"PK"):
        return content.decode("utf-8", "replace")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    except zipfile.BadZipFile:
        return content.decode("utf-8", "replace")


def basic_failures(operation: Operation, answer: Answer) -> list[str]:
    failures = []
    if answer.status >= 500:
        failures.append(f"{answer.status} server error: {answer.text[:300]}")
    elif answer.status not in operation.documented:
        failures.append(
            f"{answer.status} is not documented ({sorted(operation.documented)}): "
            f"{answer.text[:200]}"
        )
    if 400 <= answer.status < 500 and not answer.content_type.startswith(
        "application/problem+json"
    ):
        failures.append(f"{answer.status} as {answer.content_type!r}, not problem+json")
    return failures


def leaks(
    answer: Answer, call: Call, operation: Operation, role: Role, records: Iterable[Record],
    readers: Callable[[Record], frozenset[Role]],
) -> list[str]:  # fmt: skip
    """Markers of records the caller may not read, anywhere in the answer it got."""
    shown = answer.text + " " + " ".join(f"{k}: {v}" for k, v in answer.headers.items())
    sent = call.sent(operation.path)
    return [
        f"shows {record.resource} of {record.relation} ({marker})"
        for record in records
        if role not in readers(record)
        for marker in record.markers
        if marker in shown and marker not in sent
    ]


def scope_failures(
    operation: Operation, role: Role, call: Call, answer: Answer, ghost: Answer | None
) -> list[str]:
    failures = []
    target = call.target
    if target is not None and role not in target.readers:
        if 200 <= answer.status < 300:
            failures.append(f"{answer.status}: reached {target.resource} of {target.relation}")
        elif (
            ghost is not None
            and answer.status != ghost.status
            and (not operation.writes or ghost.status == 404)
        ):
            failures.append(
                f"{answer.status} where a record that does not exist is {ghost.status}: "
                f"the answer confirms {target.resource} of {target.relation} exists"
            )
    elif operation.writes and 200 <= answer.status < 300:
        if target is not None and role not in target.writers:
            failures.append(f"{answer.status}: changed {target.resource} of {target.relation}")
        elif role in call.refused_for:
            failures.append(f"{answer.status}: created where the caller may not write")
    return failures


def auth_failures(operation: Operation, kind: str, answer: Answer) -> list[str]:
    failures = []
    if answer.status != 401:
        failures.append(f"{kind}: {answer.status}, not 401: {answer.text[:200]}")
    elif not answer.content_type.startswith("application/problem+json"):
        failures.append(f"{kind}: 401 as {answer.content_type!r}, not problem+json")
    elif operation.bearer and "bearer" not in answer.headers.get("www-authenticate", "").lower():
        failures.append(f"{kind}: 401 without WWW-Authenticate: Bearer")
    return failures


def ghost_uuid() -> str:
    return str(uuid.uuid4())
