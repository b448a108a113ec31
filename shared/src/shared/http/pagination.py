"""Opaque cursor pagination: the cursor is url-safe base64 of compact JSON."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t


def bad_cursor() -> ProblemError:
    return ProblemError(
        catalogue.BAD_CURSOR, t("该游标不是本接口签发的", "the cursor is not one this API issued")
    )


T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")

# A page's size, as every growing list takes it (``limit: PageLimit = 50``): at most 500.
PageLimit = Annotated[int, Query(ge=1, le=500)]


@dataclass(frozen=True)
class PageAsked:
    """The page a growing list's query asks for: after ``cursor`` (a ``next_cursor`` given
    before; None from the start), ``limit`` items at most."""

    cursor: str | None
    limit: int


async def _page_asked(cursor: str | None = None, limit: PageLimit = 50) -> PageAsked:
    return PageAsked(cursor, limit)


# A dependency, so FastAPI lists ``cursor`` and ``limit`` after the route's own query
# parameters, where every list declares them.
PageQuery = Annotated[PageAsked, Depends(_page_asked)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def next_cursor(
    rows: Sequence[R], limit: int, position: Callable[[R], dict[str, Any]]
) -> str | None:
    """The cursor of the page after ``rows`` (read as ``limit + 1``, the extra row telling that
    more follow): the ``position`` of the page's last row, None on the last page."""
    return encode_cursor(position(rows[limit - 1])) if len(rows) > limit else None


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if not isinstance(values, dict):
        raise bad_cursor()
    return values


def cursor_int(value: Any) -> int:
    """An integer position read from a cursor (an id, a version number). JSON integers have no
    bound, so one past PostgreSQL's bigint is refused here (as a 400 through ``read_cursor``)
    rather than failing in the driver."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    if not 0 <= value < 2**63:
        raise ValueError("out of range")
    return value


def read_cursor(cursor: str | None, parse: Callable[[dict[str, Any]], P]) -> P | None:
    """The position a cursor holds, read by ``parse`` (None without a cursor). A cursor that
    decodes but lacks a field or holds a value of the wrong kind is a 400 like any other
    cursor this API did not issue, never a 500."""
    if not cursor:
        return None
    values = decode_cursor(cursor)
    try:
        return parse(values)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise bad_cursor() from exc
