"""Who acts: a reporter (the designated operator), its city bureau, or the province.

004_9c19d9a85d8c1f73.txt 三(三): projects report to the province through their city bureau,
which dispatches (定期调度) the projects of its region; a bureau acts on its region only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    reporter = "reporter"  # 项目建设运营主体 / 企业
    city_bureau = "city_bureau"  # 市（州）商务主管部门
    province = "province"  # 省商务厅


@dataclass(frozen=True)
class Actor:
    """``id`` is the user; ``entity_id`` the operator a reporter acts for; ``region_code`` a
    bureau's 6-digit region."""

    id: str
    role: Role
    entity_id: str | None = None
    region_code: str | None = None

    def speaks_for(self, *, entity_id: str, city_code: str) -> bool:
        """A reporter for its own entity, a city bureau for its region, the province for all."""
        if self.role is Role.reporter:
            return self.entity_id == entity_id
        if self.role is Role.city_bureau:
            return self.region_code == city_code
        return True
