"""Rows of an uploaded CSV or XLSX file, streamed: never the whole file in memory.

Row numbers are what a spreadsheet user sees: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

Row = tuple[int, list[str]]


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030 as Excel in Chinese locales writes it."""
    with path.open("rb") as handle:
        sample = handle.read(1 << 20)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the sample's end
            return "gb18030"
    return "utf-8"


def is_xlsx(path: Path) -> bool:
    """XLSX files are ZIP archives; anything else is read as CSV."""
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def read_rows(path: Path) -> Iterator[Row]:
    if is_xlsx(path):
        yield from _xlsx_rows(path)
    else:
        yield from _csv_rows(path)


def estimate_rows(path: Path) -> int:
    """Data rows (header excluded), for progress: line breaks in a CSV (a quoted cell holding a
    line break counts twice), the sheet's recorded dimension in an XLSX."""
    if is_xlsx(path):
        # A file object, not the path: openpyxl refuses paths without an .xlsx suffix.
        with path.open("rb") as handle:
            try:
                workbook = load_workbook(handle, read_only=True)
            except Exception:  # unreadable: the run reports why
                return 0
            try:
                return max((workbook.worksheets[0].max_row or 1) - 1, 0)
            finally:
                workbook.close()
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return max(lines + (last != b"\n") - 1, 0)


def _csv_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding=_csv_encoding(path), newline="") as handle:
        yield from enumerate(csv.reader(handle), start=1)


def _xlsx_rows(path: Path) -> Iterator[Row]:
    with path.open("rb") as handle:
        yield from _sheet_rows(load_workbook(handle, read_only=True, data_only=True))


def _sheet_rows(workbook: Any) -> Iterator[Row]:
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(value) for value in values]
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A cell as the text a user typed: dates as YYYY-MM-DD, whole numbers without ".0"
    (shop ids and phone numbers are often number cells)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
