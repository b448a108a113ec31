"""Shared fixtures: the Guizhou 2025 window as the programme file defines it, and actors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shared.programmes import Programme, WindowSchedule, load_programme
from submissions.domain.actors import Actor, Role

ROOT = Path(__file__).resolve().parents[3]
CST = dt.timezone(dt.timedelta(hours=8))

REPORTER = Actor("user-r1", Role.reporter, entity_id="entity-1")
OTHER_REPORTER = Actor("user-r2", Role.reporter, entity_id="entity-2")
GUIYANG = Actor("user-gy", Role.city_bureau, region_code="520100")
ZUNYI = Actor("user-zy", Role.city_bureau, region_code="520300")
PROVINCE = Actor("user-p", Role.province, region_code="520000")


def cst(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=CST)  # type: ignore[misc]


@pytest.fixture(scope="session")
def guizhou() -> Programme:
    return load_programme(ROOT / "shared" / "programmes" / "guizhou-shibaiqianwan-2023.yaml")


@pytest.fixture(scope="session")
def schedule(guizhou: Programme) -> WindowSchedule:
    return guizhou.reporting_window("annual-report").schedule(2025)
