"""Application rounds: one per programme, year and category, built from the programme file.

A round opens at 00:00 China time on its opening day and closes at 00:00 on the day after its
closing day; the city review is due the same way (DOMAIN.md, "Time"). 004 三(二)2(1): rounds run
once a year from 2023 (``first_year``) to the end of the programme period, or to the
``last_year`` a revision of the programme sets (a round past the targets' horizon).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from shared.china_time import CHINA
from shared.i18n import Text, t
from shared.programmes import Programme
from shared.programmes.awarding import Awarding, CategoryRules
from shared.programmes.sections import ApplicationRounds


class NoSuchRound(LookupError):
    """The programme runs no round for that year and category."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


@dataclass(frozen=True)
class ApplicationRound:
    programme_id: str
    year: int
    category: str
    title: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    city_review_due_at: dt.datetime
    rules: CategoryRules

    @property
    def round_id(self) -> str:
        return f"{self.programme_id}:{self.year}:{self.category}"

    def is_open(self, at: dt.datetime) -> bool:
        return self.opens_at <= at < self.closes_at

    @property
    def closing_day(self) -> dt.date:
        """The last day applications are taken (the round closes at the end of it)."""
        return (self.closes_at.astimezone(CHINA) - dt.timedelta(days=1)).date()

    def not_open(self, at: dt.datetime) -> Literal["not_yet", "closed"] | None:
        """Why an application at ``at`` is refused, or None while open: a late applicant is
        told that the round closed (and when), not when it opened."""
        if at < self.opens_at:
            return "not_yet"
        if at >= self.closes_at:
            return "closed"
        return None

    @property
    def opening_day(self) -> dt.date:
        return self.opens_at.astimezone(CHINA).date()

    def city_review_overdue(self, at: dt.datetime) -> bool:
        return at >= self.city_review_due_at


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), CHINA)


def _after(day: dt.date) -> dt.datetime:
    return _start(day + dt.timedelta(days=1))


def rounds_and_awarding(programme: Programme) -> tuple[ApplicationRounds, Awarding]:
    rounds = programme.application_rounds
    if rounds is None or rounds.awarding is None:
        raise NoSuchRound(
            t(
                f"规划 {programme.id} 不开展申报",
                f"programme {programme.id!r} runs no application rounds",
            )
        )
    return rounds, rounds.awarding


def awarding_of(programme: Programme) -> Awarding:
    return rounds_and_awarding(programme)[1]


def round_years(programme: Programme) -> range:
    rounds = programme.application_rounds
    if rounds is None:
        return range(0)
    return rounds.years(programme.period.start.year, programme.period.end.year)


def application_round(programme: Programme, year: int, category: str) -> ApplicationRound:
    rounds, awarding = rounds_and_awarding(programme)
    if year not in round_years(programme) or category not in rounds.categories:
        raise NoSuchRound(
            t(
                f"规划 {programme.id} 在{year}年没有“{category}”类申报轮次",
                f"{programme.id}: no {category!r} round in {year}",
            )
        )
    try:
        rules = awarding.rules_for(category)
    except KeyError as exc:
        raise NoSuchRound(
            t(
                f"规划 {programme.id} 的“{category}”类别没有申报规则",
                f"{programme.id}: category {category!r} has no application rules",
            )
        ) from exc
    calendar = awarding.calendar
    override = awarding.override_for(year, category)
    opens_on = (override and override.opens_on) or calendar.opens.in_year(year)
    closes_on = (override and override.closes_on) or calendar.closes.in_year(year)
    due_on = (override and override.city_review_due_on) or calendar.city_review_due.in_year(year)
    return ApplicationRound(
        programme_id=programme.id,
        year=year,
        category=category,
        title=programme.category(category).title,
        opens_at=_start(opens_on),
        closes_at=_after(closes_on),
        city_review_due_at=_after(due_on),
        rules=rules,
    )


def rounds_of(programme: Programme) -> list[ApplicationRound]:
    rounds = programme.application_rounds
    if rounds is None or rounds.awarding is None:
        return []
    return [
        application_round(programme, year, category)
        for year in round_years(programme)
        for category in rounds.categories
    ]
