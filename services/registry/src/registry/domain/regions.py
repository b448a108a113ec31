"""Administrative regions (GB/T 2260 six-digit division codes) and the tree they form.

A code reads ``PPCCXX``: province ``PP``, city/prefecture ``CC``, county ``XX``.
``PP0000`` is a province, ``PPCC00`` a city (地级) and anything else a county-level unit
(区, 县, 县级市, 旗 …). The code's shape gives the level; the *parent* comes from the data,
because the shape alone misleads in two places:

* municipalities (北京 110000 …) have no city level: 110101 东城区 hangs from 110000, the
  statistical placeholder 110100 市辖区 is no region;
* county-level units under the province directly (济源 419001, 仙桃 429004, 石河子 659001 …)
  hang from the province too, not from a ``PP90 00`` placeholder.

Codes change (海东地区 632100 became 海东市 630200 in 2013), so a region carries the dates it
was in use and, once retired, its successor. Pure: no I/O; see ``registry.data.regions`` for
the shipped data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

_CODE = re.compile(r"^\d{6}$")


class RegionLevel(StrEnum):
    province = "province"
    city = "city"
    county = "county"


_DEPTH = {RegionLevel.province: 0, RegionLevel.city: 1, RegionLevel.county: 2}


class UnknownRegion(KeyError):
    """A division code the tree does not hold."""


class InvalidRegionData(ValueError):
    """Region rows that do not form a consistent tree."""


def level_of(code: str) -> RegionLevel:
    """The level a division code's shape denotes (``520000`` province, ``520100`` city …)."""
    if not _CODE.match(code):
        raise ValueError(f"a division code is 6 digits, got {code!r}")
    if code[2:] == "0000":
        return RegionLevel.province
    if code[4:] == "00":
        return RegionLevel.city
    return RegionLevel.county


@dataclass(frozen=True, kw_only=True)
class Region:
    """One division as recorded: ``valid_to`` is exclusive; ``None`` dates mean "unrecorded"."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    successor_code: str | None = None
    statistical_only: bool = False  # a unit of the statistics office, not of GB/T 2260

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def is_valid_on(self, day: dt.date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_to is None or day < self.valid_to)


class RegionTree:
    """Province → city → county, with retired codes kept in place under their old parents."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self._regions: dict[str, Region] = {}
        for region in regions:
            if region.code in self._regions:
                raise InvalidRegionData(f"region {region.code} appears more than once")
            if level_of(region.code) is not region.level:
                raise InvalidRegionData(
                    f"region {region.code} is recorded as {region.level} "
                    f"but its code denotes {level_of(region.code)}"
                )
            self._regions[region.code] = region
        self._children: dict[str, list[str]] = {code: [] for code in self._regions}
        for region in self._regions.values():
            self._check_links(region)
            if region.parent_code is not None:
                self._children[region.parent_code].append(region.code)
        for children in self._children.values():
            children.sort()

    def _check_links(self, region: Region) -> None:
        parent = region.parent_code
        if region.level is RegionLevel.province:
            if parent is not None:
                raise InvalidRegionData(f"province {region.code} cannot have a parent")
        elif parent is None or parent not in self._regions:
            raise InvalidRegionData(f"region {region.code} has unknown parent {parent}")
        elif _DEPTH[self._regions[parent].level] >= _DEPTH[region.level]:
            raise InvalidRegionData(f"region {region.code} is not below its parent {parent}")
        elif parent[:2] != region.code[:2]:
            raise InvalidRegionData(f"region {region.code} lies outside its parent {parent}")
        successor = region.successor_code
        if successor is not None and successor not in self._regions:
            raise InvalidRegionData(f"region {region.code} has unknown successor {successor}")

    def __contains__(self, code: object) -> bool:
        return code in self._regions

    def __len__(self) -> int:
        return len(self._regions)

    def __iter__(self) -> Iterator[Region]:
        return iter(sorted(self._regions.values(), key=lambda region: region.code))

    def get(self, code: str) -> Region:
        try:
            return self._regions[code]
        except KeyError:
            raise UnknownRegion(code) from None

    def level_of(self, code: str) -> RegionLevel:
        """The level of a known code (its shape; the tree guarantees the two agree)."""
        return self.get(code).level

    def parent_of(self, code: str) -> Region | None:
        parent = self.get(code).parent_code
        return None if parent is None else self._regions[parent]

    def ancestors(self, code: str) -> list[Region]:
        """Parent first, province last; empty for a province."""
        result: list[Region] = []
        parent = self.parent_of(code)
        while parent is not None:
            result.append(parent)
            parent = self.parent_of(parent.code)
        return result

    def children(self, code: str, *, include_retired: bool = False) -> list[Region]:
        self.get(code)
        regions = (self._regions[child] for child in self._children[code])
        return [r for r in regions if include_retired or r.is_current]

    def descendants(
        self,
        code: str,
        *,
        level: RegionLevel | None = None,
        include_retired: bool = False,
        include_statistical: bool = True,
    ) -> list[Region]:
        """Everything below ``code`` in code order, optionally of one level only.

        Retired codes are left out unless asked for (their subtrees with them); so are the
        statistics office's own units when ``include_statistical`` is false.
        """
        found: list[Region] = []
        pending = [code]
        while pending:
            for child in self.children(pending.pop(), include_retired=include_retired):
                if include_statistical or not child.statistical_only:
                    found.append(child)
                    pending.append(child.code)
        found.sort(key=lambda region: region.code)
        return [r for r in found if level is None or r.level is level]

    def contains(self, ancestor: str, code: str) -> bool:
        """Whether ``code`` is ``ancestor`` or lies within it (a bureau acts on its own region)."""
        self.get(ancestor)
        return code == ancestor or any(r.code == ancestor for r in self.ancestors(code))

    def current(self, code: str) -> Region:
        """The region in use today for a possibly retired code, following successors."""
        region = self.get(code)
        seen = {region.code}
        while region.successor_code is not None:
            region = self._regions[region.successor_code]
            if region.code in seen:
                raise InvalidRegionData(f"successor cycle through {region.code}")
            seen.add(region.code)
        return region
