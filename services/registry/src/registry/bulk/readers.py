"""Rows of an uploaded CSV or XLSX file, streamed: never the whole file in memory.

Row numbers are what a spreadsheet user sees: the header is row 1. A file that cannot be read
raises ``UnreadableFile`` saying what is wrong with it, in terms its sender can act on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

Row = tuple[int, list[str]]

_ZIP = b"PK\x03\x04"
# What people send instead of a CSV or XLSX file, by the first bytes.
_NOT_A_SHEET = {
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an encrypted (password-protected) workbook or an "
    "Excel 97-2003 .xls file: save it as .xlsx without a password, or as CSV",
    b"PK\x05\x06": "an empty ZIP archive, not an XLSX workbook",
    b"%PDF": "a PDF document, not a CSV or XLSX file",
    b"\x1f\x8b": "a gzip archive, not a CSV or XLSX file",
    b"Rar!": "a RAR archive, not a CSV or XLSX file",
    b"7z\xbc\xaf": "a 7-Zip archive, not a CSV or XLSX file",
    b"\x89PNG": "a PNG image, not a CSV or XLSX file",
    b"\xff\xfe": 'UTF-16 text (Excel\'s "Unicode text"): save it as "CSV UTF-8" instead',
    b"\xfe\xff": 'UTF-16 text (Excel\'s "Unicode text"): save it as "CSV UTF-8" instead',
    b"\xff\xd8\xff": "a JPEG image, not a CSV or XLSX file",
}
_RESAVE = "open it in Excel or WPS and save it again as .xlsx, or as CSV"


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX file that can be read; the message says what is wrong."""


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


def file_format(path: Path) -> Literal["xlsx", "csv"]:
    """XLSX files are ZIP archives; a few other kinds of file are named; the rest is read as CSV.
    Cheap (the first bytes): the API refuses what this refuses before queueing the job."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_ZIP):
        return "xlsx"
    for magic, what in _NOT_A_SHEET.items():
        if head.startswith(magic):
            raise UnreadableFile(what)
    return "csv"


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == _ZIP


def read_rows(path: Path) -> Iterator[Row]:
    if file_format(path) == "xlsx":
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
            except Exception:  # unreadable: reading the rows reports why
                return 0
            try:
                sheets = workbook.worksheets
                return max((sheets[0].max_row or 1) - 1, 0) if sheets else 0
            finally:
                workbook.close()
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return max(lines + (last != b"\n") - 1, 0)


def _csv_rows(path: Path) -> Iterator[Row]:
    encoding = _csv_encoding(path)
    number = 0
    with path.open(encoding=encoding, newline="") as handle:
        rows = csv.reader(handle)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise UnreadableFile(
                    f"row {number + 1}: not text in UTF-8 or GB18030 (the encodings of a CSV "
                    "file); is it a CSV file?"
                ) from exc
            except csv.Error as exc:
                raise UnreadableFile(f"row {number + 1}: not a CSV file ({exc})") from exc
            number += 1
            yield number, values


def _xlsx_rows(path: Path) -> Iterator[Row]:
    with path.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises whatever its parts raise
            raise UnreadableFile(workbook_problem(exc)) from exc
        try:
            if not workbook.worksheets:
                raise UnreadableFile(f"the workbook has no worksheet in it: {_RESAVE}")
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            number = 0
            while True:
                try:
                    values = next(rows)
                except StopIteration:
                    return
                except Exception as exc:  # the sheet is read as it is iterated
                    raise UnreadableFile(
                        f"row {number + 1} of the first sheet: {workbook_problem(exc)}"
                    ) from exc
                number += 1
                yield number, [cell_text(value) for value in values]
        finally:
            workbook.close()


def workbook_problem(exc: Exception) -> str:
    """What an exception from reading an XLSX file says about the file."""
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return f"not a readable ZIP archive (an XLSX file is one): damaged or cut short ({exc})"
    if isinstance(exc, KeyError):
        missing = str(exc.args[0]) if exc.args else ""
        if "[Content_Types].xml" in missing or "workbook.xml" in missing:
            return f"a ZIP archive, but not an XLSX workbook ({missing}): {_RESAVE}"
        return f"the workbook lacks a part it refers to ({missing}): {_RESAVE}"
    if isinstance(exc, InvalidFileException):
        return f"not an XLSX workbook ({exc}): {_RESAVE}"
    if isinstance(exc, ParseError | SyntaxError):
        return f"damaged XML inside the workbook ({exc}): {_RESAVE}"
    return f"the workbook cannot be read ({type(exc).__name__}: {exc}): {_RESAVE}"


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
