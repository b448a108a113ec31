"""Problems of the registry's records."""

from __future__ import annotations

from shared.http.catalogue.common import FIX, REREAD
from shared.http.problem_types import CATALOGUE

add = CATALOGUE.add

UNKNOWN_REGION = add("unknown_region", 422, "行政区划代码无效", "Unknown region",
    meaning="The region code is not a current GB/T 2260 division.", client_action=FIX)  # fmt: skip
UNKNOWN_ENTERPRISE = add("unknown_enterprise", 422, "企业不存在", "Unknown enterprise",
    meaning="The referenced enterprise does not exist or the caller may not act for it.",
    client_action=FIX)  # fmt: skip
INVALID_CREDIT_CODE = add("invalid_credit_code", 422, "统一社会信用代码无效",
    "Invalid unified social credit code",
    meaning="The code fails GB 32100-2015 (length, characters or check digit).",
    client_action=FIX)  # fmt: skip
ALREADY_REGISTERED = add("already_registered", 409, "已登记", "Already registered",
    meaning="A record with the same natural key exists (`existing_url` when visible).",
    client_action="Use the existing record instead of creating another.")  # fmt: skip
RECORD_CLOSED = add("record_closed", 409, "记录已注销", "Record closed",
    meaning="The record is closed and takes no changes.", client_action=REREAD)  # fmt: skip
ALREADY_RESIDENT = add("already_resident", 409, "企业已入驻该园区", "Already resident",
    meaning="The enterprise is already resident in this park.", client_action=REREAD)  # fmt: skip
ALREADY_LEFT = add("already_left", 409, "企业已迁出", "Already left",
    meaning="The residence has already ended.", client_action=REREAD)  # fmt: skip

# Programme revisions (docs/programmes.md, "Revisions").
DOCUMENT_RULE_BROKEN = add("document_rule_broken", 422, "违反规划文件的规定",
    "Breaks the programme's document",
    meaning="The revision changes a figure the programme's document fixes (a reward cap, the "
    "report's due day): `violations` names each field, the rule and the document's words "
    "(`quote`, `file`, `section`).",
    client_action="Keep the document's figure (a reward may be less than its cap); a new "
    "document is a new programme.")  # fmt: skip
