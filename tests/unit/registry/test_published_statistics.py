"""The registry's reading of a published statistics period and how a growth rate or share is
measured from months (``registry.domain.statistics``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from registry.domain.statistics import growth_of_months, period_start, share_of_months


def test_each_period_kind_starts_on_its_first_day() -> None:
    assert period_start("2025-01") == ("monthly", dt.date(2025, 1, 1))
    assert period_start("2025-Q3") == ("quarterly", dt.date(2025, 7, 1))
    assert period_start("2025") == ("yearly", dt.date(2025, 1, 1))


def test_growth_compares_only_months_published_in_both_years() -> None:
    now = {dt.date(2025, 1, 1): Decimal(110), dt.date(2025, 2, 1): Decimal(220)}
    before = {dt.date(2024, 1, 1): Decimal(100), dt.date(2024, 3, 1): Decimal(999)}
    assert growth_of_months(now, before) == Decimal("10.0")
    assert growth_of_months(now, {}) is None  # no base: not measurable, never 0


def test_a_share_divides_the_summed_months() -> None:
    part = {dt.date(2025, 1, 1): Decimal(1), dt.date(2025, 2, 1): Decimal(2)}
    whole = {dt.date(2025, 1, 1): Decimal(3), dt.date(2025, 2, 1): Decimal(3)}
    assert share_of_months(part, whole) == Decimal("50.00")
    assert share_of_months(part, {}) is None
