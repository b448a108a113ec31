"""``/v1/calendars``: China's working-day calendar, one for every service (docs/calendar.md).

``GET /v1/calendars`` lists the years there are (the chinesecalendar library's, and those the
province loaded, which win) and the years needed now without one; ``GET /v1/calendars/{year}``
answers a year's holidays and 调休 make-up workdays with its version as ETag (``"0"``: the
library's). ``PUT /v1/calendars/{year}`` loads a year, or corrects one: creating needs no
If-Match, replacing (a loaded year or the library's) needs the ETag read."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from registry.api.deps import Ctx
from registry.handlers import calendars
from shared.auth import CurrentPrincipal
from shared.http.clock import Now
from shared.http.etag import check_put_precondition, etag_for
from shared.http.headers import ETAG, if_match_header, sends
from shared.http.request_body import RequestBody

router = APIRouter(prefix="/v1/calendars", tags=["calendars"])
YEAR = Path(ge=2000, le=2100, description="The calendar year")
IF_MATCH = (
    'The ETag you read, to replace a year there is (loaded, or the library\'s `"0"`): without '
    "it 428, stale 412. Loading a year there is none of takes none (412 with one)."
)
Source = Literal["loaded", "library"]
SOURCE = Field(
    description="`loaded`: loaded by a province (it wins over the library); `library`: as the "
    "chinesecalendar library knows it"
)


class CalendarYearPut(RequestBody):
    holidays: list[dt.date] = Field(
        max_length=366,
        description="Every day off of the year's public holidays, weekends within a holiday "
        "included; at least one",
    )
    workdays: list[dt.date] = Field(
        default_factory=list,
        max_length=366,
        description="The year's 调休 make-up workdays: Saturdays or Sundays worked",
    )
    source_document: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="The notice the year is taken from (e.g. 国务院办公厅关于2027年部分节假日"
        "安排的通知)",
    )


class CalendarYearPublic(BaseModel):
    year: int
    source: Source = SOURCE
    version: int = Field(description="0 for the library's year, then one more per load")
    holidays: list[dt.date]
    workdays: list[dt.date]
    source_document: str | None = None
    loaded_at: dt.datetime | None = None


class CalendarYearSummary(BaseModel):
    year: int
    source: Source = SOURCE
    version: int
    holiday_count: int
    workday_count: int
    source_document: str | None = None
    loaded_at: dt.datetime | None = None


class CalendarYears(BaseModel):
    years: list[CalendarYearSummary] = Field(description="Every year there is, in order")
    not_loaded: list[int] = Field(
        description="Years needed now (this one; from 1 November the next) that have no "
        "calendar: reminders in them go out unshifted and notices counted in working days wait"
    )


def _public(view: calendars.CalendarYearView) -> CalendarYearPublic:
    return CalendarYearPublic(
        year=view.year,
        source=view.source,
        version=view.version,
        holidays=view.holidays,
        workdays=view.workdays,
        source_document=view.source_document,
        loaded_at=view.loaded_at,
    )


@router.get(
    "",
    response_model=CalendarYears,
    responses={200: {"description": "The years there are, and the years needed without one"}},
    summary="The working-day calendar's years",
)
async def list_calendars(context: Ctx, principal: CurrentPrincipal, now: Now) -> CalendarYears:
    overview = await calendars.list_years(context.pool, principal, now=now)
    return CalendarYears(
        years=[
            CalendarYearSummary(
                year=item.year,
                source=item.source,
                version=item.version,
                holiday_count=item.holiday_count,
                workday_count=item.workday_count,
                source_document=item.source_document,
                loaded_at=item.loaded_at,
            )
            for item in overview.years
        ],
        not_loaded=overview.not_loaded,
    )


@router.get(
    "/{year}",
    response_model=CalendarYearPublic,
    responses=sends(
        200,
        ETAG,
        description="The year as it counts (loaded, else the library's); ETag: its version",
    ),
    summary="A year's holidays and make-up workdays",
)
async def get_calendar(
    context: Ctx, principal: CurrentPrincipal, response: Response, year: int = YEAR
) -> CalendarYearPublic:
    view = await calendars.read_year(context.pool, principal, year)
    response.headers["ETag"] = etag_for(view.version)
    return _public(view)


@router.put(
    "/{year}",
    response_model=CalendarYearPublic,
    responses=sends(200, ETAG, description="The year as stored; ETag: its new version"),
    summary="Load a year, or correct one (province administration)",
)
async def put_calendar(
    body: CalendarYearPut,
    context: Ctx,
    principal: CurrentPrincipal,
    response: Response,
    now: Now,
    year: int = YEAR,
    if_match: str | None = if_match_header(description=IF_MATCH),
) -> CalendarYearPublic:
    def precondition(current: int | None) -> None:
        check_put_precondition(if_match, None if current is None else etag_for(current))

    view = await calendars.load_year(
        context,
        principal,
        year,
        holidays=body.holidays,
        workdays=body.workdays,
        source_document=body.source_document,
        precondition=precondition,
        now=now,
    )
    response.headers["ETag"] = etag_for(view.version)
    return _public(view)
