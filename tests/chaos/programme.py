"""The programme the runs use: Guizhou's file with its annual report due today.

The shipped file's last report was due in 2025. The runs need a window that is open now, whatever
the day: Guizhou's file, its period extended past this year, and this year's window overridden
to open on 1 January, be due at the end of today (China time) and lock a week later, with one
reminder point a day before the due time (already passed, so the deadline clock emits it as
soon as it starts: the reminders fan out during the run) and no shifting to working days.
The services read it through ``PROGRAMMES_DIR``, as a deployment reads its programme files;
it names itself a rehearsal of the document (whose guards keep the real due day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.china_time import CHINA
from shared.programmes import load_programmes

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "shared" / "programmes" / "guizhou-shibaiqianwan-2023.yaml"
PROGRAMME = "guizhou-shibaiqianwan-2023"
WINDOW = "annual-report"
PROVINCE = "520000"


@dataclass(frozen=True)
class ChaosProgramme:
    directory: Path
    programme_id: str
    year: int
    due_on: dt.date

    @property
    def window_id(self) -> str:
        return f"{self.programme_id}.{WINDOW}.{self.year}"


def write_programme(directory: Path, now: dt.datetime | None = None) -> ChaosProgramme:
    today = (now or dt.datetime.now(CHINA)).astimezone(CHINA).date()
    year = today.year
    document: dict[str, Any] = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    document["period"]["end"] = dt.date(year + 1, 12, 31)
    (window,) = [w for w in document["reporting_windows"] if w["id"] == WINDOW]
    window["last_year"] = year
    window["reminders"] = {"before_days": [1], "after_days": [1]}
    window["overrides"] = [
        {
            "year": year,
            "opens_on": dt.date(year, 1, 1),
            "due_on": today,
            "locks_on": today + dt.timedelta(days=window.get("grace_days", 7) + 1),
            "note": "chaos run: due today",
        }
    ]
    document["notifications"]["shift_reminders_to_working_day"] = False
    # A rehearsal of document 004 on a compressed calendar, not the document itself: the
    # document's guards (shared/programmes/guards.py, keyed by the source file's name) rightly
    # refuse a report due on any day but 10 December for the programme that follows it.
    document["source"]["file"] = "rehearsal-of-" + document["source"]["file"]
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yaml"):
        old.unlink()
    (directory / f"{PROGRAMME}.yaml").write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    load_programmes(directory)  # refuses a file the services would refuse
    return ChaosProgramme(directory, PROGRAMME, year, today)
