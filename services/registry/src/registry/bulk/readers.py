"""Rows of an uploaded CSV or XLSX file, streamed: never the whole file in memory.

Row numbers are what a spreadsheet user sees: the header is row 1. A file that cannot be read
raises ``UnreadableFile`` saying what is wrong with it, in terms its sender can act on, in
Chinese and English.
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

from shared.csv_cells import csv_text
from shared.i18n import Text, t

Row = tuple[int, list[str]]

_ZIP = b"PK\x03\x04"
_NOT_CSV_OR_XLSX = t("不是 CSV 或 XLSX 文件", "not a CSV or XLSX file")
_UTF16 = t(
    "UTF-16 文本（Excel 的“Unicode 文本”）：请改存为“CSV UTF-8”",
    'UTF-16 text (Excel\'s "Unicode text"): save it as "CSV UTF-8" instead',
)
# What people send instead of a CSV or XLSX file, by the first bytes.
_NOT_A_SHEET = {
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": t(
        "加密（设有密码）的工作簿或 Excel 97-2003 .xls 文件：请另存为不设密码的 .xlsx，或存为 CSV",
        "an encrypted (password-protected) workbook or an Excel 97-2003 .xls file: "
        "save it as .xlsx without a password, or as CSV",
    ),
    b"PK\x05\x06": t(
        "空的 ZIP 压缩包，不是 XLSX 工作簿", "an empty ZIP archive, not an XLSX workbook"
    ),
    b"%PDF": t(f"PDF 文档，{_NOT_CSV_OR_XLSX.zh}", f"a PDF document, {_NOT_CSV_OR_XLSX.en}"),
    b"\x1f\x8b": t(f"gzip 压缩包，{_NOT_CSV_OR_XLSX.zh}", f"a gzip archive, {_NOT_CSV_OR_XLSX.en}"),
    b"Rar!": t(f"RAR 压缩包，{_NOT_CSV_OR_XLSX.zh}", f"a RAR archive, {_NOT_CSV_OR_XLSX.en}"),
    b"7z\xbc\xaf": t(
        f"7-Zip 压缩包，{_NOT_CSV_OR_XLSX.zh}", f"a 7-Zip archive, {_NOT_CSV_OR_XLSX.en}"
    ),
    b"\x89PNG": t(f"PNG 图片，{_NOT_CSV_OR_XLSX.zh}", f"a PNG image, {_NOT_CSV_OR_XLSX.en}"),
    b"\xff\xfe": _UTF16,
    b"\xfe\xff": _UTF16,
    b"\xff\xd8\xff": t(f"JPEG 图片，{_NOT_CSV_OR_XLSX.zh}", f"a JPEG image, {_NOT_CSV_OR_XLSX.en}"),
}
_RESAVE = t(
    "请用 Excel 或 WPS 打开后另存为 .xlsx，或存为 CSV",
    "open it in Excel or WPS and save it again as .xlsx, or as CSV",
)
# A zip bomb is a small workbook whose parts inflate to many times its size (a 70 KB file to a
# sheet of 64 MB, or of gigabytes). It is told by what the archive's central directory
# declares, before anything is inflated: zipfile never yields more of a part than its declared
# size (past it, the part is damaged), so the declarations bound what reading costs. An
# honest workbook's XML compresses some 5 to 30 times; as Apache POI does, a part past
# 100 KiB may inflate at most 100 times, and the whole workbook to at most 2 GiB.
MAX_INFLATION_RATIO = 100
RATIO_FROM_BYTES = 100 * 1024
MAX_INFLATED_BYTES = 2 * 1024**3


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX file that can be read; ``reason`` says what is wrong, in
    both languages. ``str()`` is the English, which is what a failed job stores (its
    ``failure`` keeps the wording it always had); the Chinese leaves out what the XLSX library
    says, which only it can put in words."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


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


def inflation_problem(path: Path) -> Text | None:
    """Why the workbook (a ZIP archive) would inflate too far to be read, or None; None too
    for a file that is no readable archive (reading its rows says what is wrong)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    total = sum(part.file_size for part in parts)
    if total > MAX_INFLATED_BYTES:
        return t(
            f"工作簿解压后达 {total} 字节，超过 {MAX_INFLATED_BYTES} 字节的上限：请拆分文件",
            f"the workbook inflates to {total} bytes, over the limit of {MAX_INFLATED_BYTES}: "
            "split the file",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM_BYTES and ratio > MAX_INFLATION_RATIO:
            return t(
                f"工作簿的部件 {part.filename} 由 {part.compress_size} 字节解压为 "
                f"{part.file_size} 字节（{ratio:.0f} 倍，上限 {MAX_INFLATION_RATIO} 倍），"
                "疑为压缩炸弹",
                f"the workbook's part {part.filename} inflates from {part.compress_size} to "
                f"{part.file_size} bytes ({ratio:.0f} times, at most {MAX_INFLATION_RATIO}): "
                "a zip bomb, not a workbook",
            )
    return None


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
        if inflation_problem(path) is not None:
            return 0  # never opened: reading the rows refuses it
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
                    t(
                        f"第 {number + 1} 行：不是 UTF-8 或 GB18030 编码（CSV 文件的编码）的文本；"
                        "是 CSV 文件吗？",
                        f"row {number + 1}: not text in UTF-8 or GB18030 (the encodings of a CSV "
                        "file); is it a CSV file?",
                    )
                ) from exc
            except csv.Error as exc:
                raise UnreadableFile(
                    t(
                        f"第 {number + 1} 行：不是 CSV 文件",
                        f"row {number + 1}: not a CSV file ({exc})",
                    )
                ) from exc
            number += 1
            # An export's formula-like text, apostrophe-prefixed (shared.csv_cells), as it was;
            # a row with no apostrophe at all (most) is passed on without a look at each cell.
            if "'" in "".join(values):
                values = [csv_text(value) for value in values]
            yield number, values


def _xlsx_rows(path: Path) -> Iterator[Row]:
    problem = inflation_problem(path)  # the API refuses it; a job queued before is failed
    if problem is not None:
        raise UnreadableFile(problem)
    with path.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises whatever its parts raise
            raise UnreadableFile(workbook_problem(exc)) from exc
        try:
            if not workbook.worksheets:
                raise UnreadableFile(
                    t(
                        f"工作簿中没有工作表：{_RESAVE.zh}",
                        f"the workbook has no worksheet in it: {_RESAVE.en}",
                    )
                )
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            number = 0
            while True:
                try:
                    values = next(rows)
                except StopIteration:
                    return
                except Exception as exc:  # the sheet is read as it is iterated
                    problem = workbook_problem(exc)
                    raise UnreadableFile(
                        t(
                            f"第一个工作表第 {number + 1} 行：{problem.zh}",
                            f"row {number + 1} of the first sheet: {problem.en}",
                        )
                    ) from exc
                number += 1
                yield number, [cell_text(value) for value in values]
        finally:
            workbook.close()


def workbook_problem(exc: Exception) -> Text:
    """What an exception from reading an XLSX file says about the file. The English quotes the
    library's own words (for whoever digs further); the Chinese says the same without them."""
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return t(
            "不是可读取的 ZIP 压缩包（XLSX 文件即 ZIP 压缩包）：文件已损坏或不完整",
            f"not a readable ZIP archive (an XLSX file is one): damaged or cut short ({exc})",
        )
    if isinstance(exc, KeyError):
        missing = str(exc.args[0]) if exc.args else ""
        if "[Content_Types].xml" in missing or "workbook.xml" in missing:
            return t(
                f"是 ZIP 压缩包，但不是 XLSX 工作簿：{_RESAVE.zh}",
                f"a ZIP archive, but not an XLSX workbook ({missing}): {_RESAVE.en}",
            )
        return t(
            f"工作簿缺少其引用的部件：{_RESAVE.zh}",
            f"the workbook lacks a part it refers to ({missing}): {_RESAVE.en}",
        )
    if isinstance(exc, InvalidFileException):
        return t(f"不是 XLSX 工作簿：{_RESAVE.zh}", f"not an XLSX workbook ({exc}): {_RESAVE.en}")
    if isinstance(exc, ParseError | SyntaxError):
        return t(
            f"工作簿内的 XML 已损坏：{_RESAVE.zh}",
            f"damaged XML inside the workbook ({exc}): {_RESAVE.en}",
        )
    return t(
        f"工作簿无法读取：{_RESAVE.zh}",
        f"the workbook cannot be read ({type(exc).__name__}: {exc}): {_RESAVE.en}",
    )


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
