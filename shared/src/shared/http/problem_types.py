"""What a problem type is: a stable ``type`` URI, a short ``code``, its status and titles.

A client tells one refusal from another by ``code`` (or the whole ``type``), never by the
prose of ``title`` or ``detail``, which are written for people and may be reworded. The type
URIs are names, not links: a URN under one fixed prefix, so they are the same on every
deployment and need no host of ours to exist (RFC 9457 §3.1.1 allows non-dereferenceable
types). ``docs/problems.md`` lists them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from shared.i18n import Language, Text

TYPE_PREFIX = "urn:ecommerce-programmes:problem:"
GENERAL_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "content_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "too_many_requests",
    503: "service_unavailable",
}
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: Text
    meaning: str
    client_action: str

    def __post_init__(self) -> None:
        if not _CODE.match(self.code):
            raise ValueError(f"problem code {self.code!r} is not snake_case")

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.code

    def title_in(self, language: Language) -> str:
        return self.title.in_language(language)


class Catalogue:
    """The one register of problem types; a code may be registered once."""

    def __init__(self) -> None:
        self._types: dict[str, ProblemType] = {}

    def add(
        self, code: str, status: int, zh: str, en: str, *, meaning: str, client_action: str
    ) -> ProblemType:
        if code in self._types:
            raise ValueError(f"problem code {code!r} is registered twice")
        kind = ProblemType(code, status, Text(zh, en), meaning, client_action)
        self._types[code] = kind
        return kind

    def __iter__(self) -> Iterator[ProblemType]:
        return iter(self._types.values())

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, ProblemType) and self._types.get(kind.code) is kind

    def get(self, code: str) -> ProblemType | None:
        return self._types.get(code)

    def codes(self) -> list[str]:
        return list(self._types)

    def by_status(self, status: int) -> ProblemType:
        """The general kind of a status, for errors the framework raises (404 of an unknown
        path, 405): ``internal_error`` for another 5xx, ``bad_request`` for another 4xx."""
        code = GENERAL_BY_STATUS.get(status, "internal_error" if status >= 500 else "bad_request")
        return self._types[code]


CATALOGUE = Catalogue()
