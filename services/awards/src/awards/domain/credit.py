"""Credit records from outside systems (001/002: 信用信息共享, 失信联合惩戒).

A record names an entity, a kind, a period and its source document. Kinds in ``BLOCKING_KINDS``
block applying (and paying rewards) while the record is in force; a blocking record in force
when it is reported also stops the entity's applications in progress and revokes its
designations (``blocks``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from shared.i18n import Text, china_date, t


class CreditKind(StrEnum):
    dishonest_entity = "dishonest_entity"  # 失信被执行人 / 严重失信主体名单
    serious_violation = "serious_violation"  # 严重违法失信名单
    abnormal_operation = "abnormal_operation"  # 经营异常名录 (recorded, not blocking)
    commendation = "commendation"  # 守信激励 (recorded, not blocking)


KIND_NAMES = {
    CreditKind.dishonest_entity: "失信被执行人或严重失信主体",
    CreditKind.serious_violation: "严重违法失信",
    CreditKind.abnormal_operation: "经营异常",
    CreditKind.commendation: "守信激励",
}

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

    def blocks(self, on: dt.date) -> bool:
        """Blocking and in force on ``on`` (China's date): the one rule of 失信联合惩戒."""
        return self.blocking and self.in_force(on)

    def describe(self) -> str:
        """In English, as workflow inputs and stored reasons have always carried it."""
        return self.describe_text().en

    def describe_text(self) -> Text:
        """For a refusal, in the language of the answer."""
        until = f" to {self.valid_to}" if self.valid_to else ""
        until_zh = f"至{china_date(self.valid_to).zh}" if self.valid_to else "起"
        return t(
            f"存在{KIND_NAMES[self.kind]}信用记录（自{china_date(self.valid_from).zh}{until_zh}，"
            f"依据：{self.source_document}）",
            f"credit record {self.kind} from {self.valid_from}{until} ({self.source_document})",
        )


def blocking_records(
    records: list[CreditRecord], entity_id: str, *, on: dt.date
) -> list[CreditRecord]:
    return [r for r in records if r.entity_id == entity_id and r.blocks(on)]
