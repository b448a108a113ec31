"""Text in a CSV file that a person opens in Excel or WPS.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which a
spreadsheet skips before one) is read there as a formula: a name such as
``=cmd|' /C calc'!A0`` that a caller stored, or a User-Agent header, would run on the
reader's machine (CSV injection). Such a cell is written with a leading apostrophe, which the
spreadsheet shows as text, as OWASP advises; every other value is written as it is.
``csv_text`` reads such a cell back as the text it stands for, so a CSV the APIs wrote imports
again as it is.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(cell: str) -> str:
    """The text a cell written by ``csv_cell`` stands for (the apostrophe taken off again)."""
    if cell[:1] == "'" and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
