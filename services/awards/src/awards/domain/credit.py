"""Credit records from outside systems (001/002: 信用信息共享, 失信联合惩戒).

A record names an entity, a kind, a period and its source document. Kinds in ``BLOCKING_KINDS``
block applying (and, in the rewards issue, payment) while the record is in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class CreditKind(StrEnum):
    dishonest_entity = "dishonest_entity"  # 失信被执行人 / 严重失信主体名单
    serious_violation = "serious_violation"  # 严重违法失信名单
    abnormal_operation = "abnormal_operation"  # 经营异常名录 (recorded, not blocking)
    commendation = "commendation"  # 守信激励 (recorded, not blocking)


BLOCKING_KINDS = frozenset({CreditKind.dishonest_entity, CreditKind.serious_violation})


@dataclass(frozen=True)
class CreditRecord:
    record_id: str
    entity_id: str
    kind: CreditKind
    valid_from: dt.date
    valid_to: dt.date | None
    source_document: str

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING_KINDS

    def in_force(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def describe(self) -> str:
        until = f" to {self.valid_to}" if self.valid_to else ""
        return f"credit record {self.kind} from {self.valid_from}{until} ({self.source_document})"


def blocking_records(
    records: list[CreditRecord], entity_id: str, *, on: dt.date
) -> list[CreditRecord]:
    return [r for r in records if r.entity_id == entity_id and r.blocking and r.in_force(on)]
