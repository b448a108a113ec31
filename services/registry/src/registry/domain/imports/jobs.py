"""An import job's modes, its uploaded file, and what a run counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from registry.domain.imports.validation import RowError

BATCH_ROWS = 5_000
# Every bad row is counted; the first this many errors are kept with the job.
MAX_KEPT_ERRORS = 10_000
ENDED = frozenset({"succeeded", "rejected", "failed"})


class ImportMode(StrEnum):
    dry_run = "dry_run"
    all_or_nothing = "all_or_nothing"
    good_rows = "good_rows"


@dataclass(frozen=True)
class UploadedFile:
    path: Path
    name: str | None
    sha256: str


@dataclass
class Tally:
    total: int = 0
    processed: int = 0
    loaded: int = 0
    skipped: int = 0
    bad_rows: set[int] = field(default_factory=set)
    errors_total: int = 0
    kept: list[dict[str, Any]] = field(default_factory=list)

    def add_errors(self, errors: list[RowError]) -> None:
        for error in errors:
            self.bad_rows.add(error.row)
            self.errors_total += 1
            if len(self.kept) < MAX_KEPT_ERRORS:
                self.kept.append(error.as_dict())
