"""Checking import rows: pure, no I/O. Every bad row is reported with its row number (the
header is row 1), its column as headed and the reason."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from registry.bulk.readers import (
    UnreadableFile,
    cell_text,
    estimate_rows,
    inflation_problem,
    read_rows,
)
from registry.domain.credit_code import check_character
from registry.domain.imports.columns import HeaderError, ImportKind, map_headers
from registry.domain.imports.validation import FileChecker, RowContext, check_row
from tests.support.languages import wholly_chinese, wholly_english

GUIZHOU = RowContext(
    region_known=lambda code: code in {"520000", "520100", "520102", "530102"},
    may_write=lambda code: code.startswith("52"),
)
CODE = "91520102MA6DJ7XX1" + check_character("91520102MA6DJ7XX1")
STORE_HEADER = [
    "平台",
    "平台店铺ID",
    "店铺名称",
    "所属企业统一社会信用代码",
    "所属地区代码",
    "开店日期",
]


def store(**values: str) -> dict[str, str]:
    row = {
        "platform": "淘宝",
        "platform_shop_id": "tb-1",
        "name": "黔货小铺",
        "owner_credit_code": CODE,
        "region_code": "520102",
        "opened_on": "2024-03-01",
    }
    return {**row, **values}


def test_chinese_headers_and_english_aliases_map_to_fields() -> None:
    positions = map_headers(ImportKind.stores, [*STORE_HEADER, "备注"])
    assert positions[0] == "platform" and positions[4] == "region_code"
    assert 6 not in positions  # unknown columns are ignored
    english = map_headers(ImportKind.enterprises, ["credit_code", "name", "region_code"])
    assert set(english.values()) == {"credit_code", "name", "region_code"}


def test_a_missing_required_column_is_named_in_chinese() -> None:
    with pytest.raises(HeaderError, match="所属地区代码"):
        map_headers(ImportKind.stores, ["平台", "平台店铺ID", "店铺名称"])


def test_a_good_store_row_is_clean_and_platform_names_are_normalised() -> None:
    record, errors = check_row(ImportKind.stores, 2, store(), GUIZHOU)
    assert errors == []
    assert record is not None and record["platform"] == "taobao"
    assert str(record["opened_on"]) == "2024-03-01"


def test_an_unknown_platform_lists_the_allowed_values() -> None:
    _, errors = check_row(ImportKind.stores, 7, store(platform="亚马逊"), GUIZHOU)
    assert [(e.row, e.column) for e in errors] == [(7, "平台")]
    assert "淘宝" in errors[0].reason and "douyin" in errors[0].reason


def test_region_codes_must_be_current_and_writable_by_the_caller() -> None:
    _, unknown = check_row(ImportKind.stores, 3, store(region_code="529999"), GUIZHOU)
    assert unknown[0].column == "所属地区代码" and "unknown" in unknown[0].reason
    _, outside = check_row(ImportKind.stores, 4, store(region_code="530102"), GUIZHOU)
    assert "outside" in outside[0].reason


def test_every_error_of_a_row_is_reported() -> None:
    _, errors = check_row(
        ImportKind.stores,
        9,
        store(name="", opened_on="2024-13-01", platform_shop_id=""),
        GUIZHOU,
    )
    assert {e.column for e in errors} == {"店铺名称", "开店日期", "平台店铺ID"}
    assert all(e.row == 9 for e in errors)


def test_a_store_closed_before_it_opened_is_refused() -> None:
    _, errors = check_row(ImportKind.stores, 2, store(closed_on="2024-01-01"), GUIZHOU)
    assert errors[0].column == "关店日期"


def test_a_store_names_its_owner() -> None:
    _, errors = check_row(ImportKind.stores, 2, store(owner_credit_code=""), GUIZHOU)
    assert errors[0].column == "所属企业统一社会信用代码"
    record, errors = check_row(
        ImportKind.stores, 2, store(owner_credit_code="", owner_individual="张三"), GUIZHOU
    )
    assert errors == [] and record is not None


def test_a_wrong_credit_code_check_character_names_the_right_one() -> None:
    wrong = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    _, errors = check_row(
        ImportKind.enterprises,
        5,
        {"credit_code": wrong, "name": "某公司", "region_code": "520102"},
        GUIZHOU,
    )
    assert errors[0].column == "统一社会信用代码" and CODE[-1] in errors[0].reason


def test_enterprise_kinds_take_chinese_separators_and_reject_unknown_ones() -> None:
    values = {"credit_code": CODE, "name": "某公司", "region_code": "520102"}
    record, _ = check_row(
        ImportKind.enterprises, 2, {**values, "kinds": "platform、service"}, GUIZHOU
    )
    assert record is not None and record["kinds"] == ["platform", "service"]
    _, errors = check_row(ImportKind.enterprises, 2, {**values, "kinds": "bank"}, GUIZHOU)
    assert errors[0].column == "企业类型" and "cross_border" in errors[0].reason


def test_a_resident_row_needs_a_park_id_and_a_joining_date() -> None:
    _, errors = check_row(
        ImportKind.residents, 2, {"park_id": "not-an-id", "credit_code": CODE}, GUIZHOU
    )
    assert {e.column for e in errors} == {"园区/基地ID", "入驻日期"}


def test_a_file_may_not_repeat_a_key_and_blank_rows_are_skipped() -> None:
    checker = FileChecker(ImportKind.stores, map_headers(ImportKind.stores, STORE_HEADER), GUIZHOU)
    row = ["淘宝", "tb-1", "黔货小铺", CODE, "520102", "2024-03-01"]
    assert checker.check(2, row)[1] == []
    assert checker.check(3, ["", " ", ""]) == (None, [])
    record, errors = checker.check(4, row)
    assert record is None and errors[0].row == 4 and "repeats" in errors[0].reason
    other_platform = ["京东", *row[1:]]
    assert checker.check(5, other_platform)[1] == []


def test_xlsx_cells_read_as_typed() -> None:
    assert cell_text(dt.datetime(2025, 5, 1, 0, 0)) == "2025-05-01"
    assert cell_text(13800000000.0) == "13800000000"
    assert cell_text(1.5) == "1.5" and cell_text(None) == ""


def _xlsx(drop: str = "", replace: dict[str, bytes] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(STORE_HEADER)
    out = io.BytesIO()
    workbook.save(out)
    if not drop and not replace:
        return out.getvalue()
    source, rebuilt = zipfile.ZipFile(out), io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w") as target:
        for name in source.namelist():
            if name != drop:
                target.writestr(name, (replace or {}).get(name, source.read(name)))
    return rebuilt.getvalue()


def _only_a_text_file() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (_xlsx()[:2000], "damaged or cut short"),
        (_only_a_text_file(), "not an XLSX workbook"),
        (_xlsx(drop="xl/workbook.xml"), "not an XLSX workbook (There is no item named"),
        (_xlsx(drop="xl/worksheets/sheet1.xml"), "no worksheet"),
        (_xlsx(replace={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"}), "XML"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "encrypted"),
        (b"%PDF-1.7\n", "a PDF document"),
        ("平台,店铺\n".encode("utf-16"), "UTF-16 text"),
        ("平台,店铺\n".encode("gb18030") + bytes([0x81, 0x20]) * 8, "not text in UTF-8 or GB18030"),
    ],
    ids=["cut-short", "zip-of-text", "no-workbook", "no-sheet", "bad-xml", "encrypted", "pdf",
         "utf-16", "binary"],
)  # fmt: skip
def test_an_unreadable_file_says_what_is_wrong(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as raised:
        list(read_rows(path))
    # str() is the English a failed job stores; the reason is in both languages, each whole.
    assert says in str(raised.value) and str(raised.value) == raised.value.reason.en
    assert wholly_chinese(raised.value.reason.zh), raised.value.reason.zh
    assert wholly_english(raised.value.reason.en), raised.value.reason.en


def test_a_nul_in_a_cell_is_that_cells_error() -> None:
    """PostgreSQL text cannot hold U+0000: the row names it, the job goes on."""
    _, errors = check_row(ImportKind.stores, 2, store(name="黔东\x00南小店"), GUIZHOU)
    assert [(e.row, e.column) for e in errors] == [(2, "店铺名称")]
    assert "NUL" in errors[0].reason


def test_a_zip_bomb_is_told_by_its_declared_sizes(tmp_path: Path) -> None:
    source, out = zipfile.ZipFile(io.BytesIO(_xlsx())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:  # as Excel writes it
        for name in source.namelist():
            sheet = name == "xl/worksheets/sheet1.xml"
            target.writestr(name, b"<a>" + b"A" * (8 << 20) if sheet else source.read(name))
    bomb = tmp_path / "bomb"
    bomb.write_bytes(out.getvalue())  # some 8 KB, inflating to 8 MB
    problem = inflation_problem(bomb)
    assert problem is not None and "sheet1.xml" in problem.en and "zip bomb" in problem.en
    assert wholly_chinese(problem.zh), problem.zh
    with pytest.raises(UnreadableFile, match="zip bomb"):
        list(read_rows(bomb))
    honest = tmp_path / "honest"
    honest.write_bytes(_xlsx())
    assert inflation_problem(honest) is None and estimate_rows(honest) == 0


def test_an_exported_csv_cell_imports_as_the_text_it_stands_for(tmp_path: Path) -> None:
    """The CSV exports write a formula-like text with an apostrophe (shared.csv_cells)."""
    path = tmp_path / "upload"
    path.write_text("店铺名称,个人店主\n'=cmd|' /C calc'!A0,'+86 138\n'店,-\n", encoding="utf-8")
    assert [values for _, values in read_rows(path)][1:] == [
        ["=cmd|' /C calc'!A0", "+86 138"],
        ["'店", "-"],
    ]


def test_the_hash_set_of_file_keys_finds_every_repeat_as_it_grows() -> None:
    from registry.domain.imports.validation import HashSet64

    seen, reference = HashSet64(capacity=4), set()
    keys = [hash(("douyin", f"dy{n:06d}")) for n in range(5000)] + [0, 1, -1, 2**63 - 1, -(2**63)]
    for key in keys + keys[::7]:
        assert seen.add(key) == ((key or 1) not in reference)
        reference.add(key or 1)
    assert len(seen) == len(reference)


def test_the_key_set_is_sized_for_the_rows_expected_up_to_a_million() -> None:
    from registry.domain.imports.validation import MAX_PRESIZED_ROWS

    positions = map_headers(ImportKind.stores, STORE_HEADER)
    sized = FileChecker(ImportKind.stores, positions, GUIZHOU, expected_rows=3000)
    assert len(sized.seen._slots) == 8192  # room for 3,000 keys, at most half full
    huge = FileChecker(ImportKind.stores, positions, GUIZHOU, expected_rows=10**9)
    assert len(huge.seen._slots) == 2 * MAX_PRESIZED_ROWS  # a miscounted file costs 16 MiB
    row = ["淘宝", "tb-1", "黔货小铺", CODE, "520102", "2024-03-01"]
    assert sized.check(2, row)[1] == []
    assert "repeats" in sized.check(3, row)[1][0].reason


def test_a_row_of_blank_cells_is_skipped_whatever_the_blanks() -> None:
    checker = FileChecker(ImportKind.stores, map_headers(ImportKind.stores, STORE_HEADER), GUIZHOU)
    assert checker.check(2, []) == (None, [])
    assert checker.check(3, ["\t", "\u3000", "\r\n", ""]) == (None, [])
    assert checker.check(4, ["", "", "x"])[0] is None and checker.check(4, ["", "", "x"])[1]
