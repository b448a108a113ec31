"""Problems of applications, designations, rewards and payments (awards)."""

from __future__ import annotations

from shared.http.catalogue.common import FIX, REREAD
from shared.http.problem_types import CATALOGUE

add = CATALOGUE.add

ROUND_NOT_OPEN = add("round_not_open", 409, "申报轮次尚未开放", "Round not open yet",
    meaning="The application round has not opened yet (`detail` gives its dates).",
    client_action="Apply while the round is open.")  # fmt: skip
ROUND_CLOSED = add("round_closed", 409, "申报轮次已截止", "Round closed",
    meaning="The application round has closed (`detail` says when).",
    client_action="Apply in a later round.")  # fmt: skip
NO_SUCH_ROUND = add("no_such_round", 422, "无此申报轮次", "No such round",
    meaning="The programme has no round of this year and category, or no such programme.",
    client_action=FIX)  # fmt: skip
UNKNOWN_APPLICANT = add("unknown_applicant", 422, "申报主体不在名录中", "Unknown applicant",
    meaning="The entity applying is not in the registry.", client_action=FIX)  # fmt: skip
NOT_ELIGIBLE = add("not_eligible", 422, "不符合申报条件", "Not eligible",
    meaning="The applicant may not apply in this round (`problems` lists why).",
    client_action="Do not retry unless the reasons change.")  # fmt: skip
MATERIALS_MISSING = add("materials_missing", 422, "申报材料不全", "Materials missing",
    meaning="Required materials are missing (`missing` lists them).", client_action=FIX)  # fmt: skip
ALREADY_DECIDED = add("already_decided", 409, "申报已有结论", "Already decided",
    meaning="The application in this round has ended (approved, rejected or withdrawn).",
    client_action=REREAD)  # fmt: skip
STEP_REFUSED = add("step_refused", 409, "当前阶段不能执行该步骤", "Step refused",
    meaning="The workflow refused the step in its current stage.", client_action=REREAD)  # fmt: skip
WORKFLOW_UNAVAILABLE = add("workflow_unavailable", 503, "流程服务暂不可用",
    "Workflow service unavailable", meaning="Temporal cannot be reached.",
    client_action="Retry with the same Idempotency-Key after Retry-After.")  # fmt: skip
BAD_SIGNATURE = add("bad_signature", 401, "签名无效", "Bad signature",
    meaning="The finance callback's HMAC signature does not match the body.",
    client_action="Sign the exact body with the shared secret.")  # fmt: skip
ALREADY_AWARDED = add("already_awarded", 409, "已有奖补", "Already awarded",
    meaning="The entity already has this reward for the year.", client_action=REREAD)  # fmt: skip
AWARD_WRONG_STATE = add("award_wrong_state", 409, "奖补不处于可执行该操作的状态",
    "Award not in a state for this", meaning="The reward's state does not allow this move.",
    client_action=REREAD)  # fmt: skip
OVER_CAP = add("over_cap", 422, "金额超过上限", "Amount over the award's cap",
    meaning="The amount is above what the reward rule allows.", client_action=FIX)  # fmt: skip
BUDGET_EXHAUSTED = add("budget_exhausted", 409, "预算不足", "Budget exhausted",
    meaning="The programme year's budget cannot cover the amount.",
    client_action="Raise the budget, then retry.")  # fmt: skip
BUDGET_BELOW_COMMITMENTS = add("budget_below_commitments", 409, "预算低于已承诺金额",
    "Budget below commitments",
    meaning="The budget cannot be set below what is already reserved and paid.",
    client_action=FIX)  # fmt: skip
ENTITY_CAP_REACHED = add("entity_cap_reached", 409, "已达单一主体上限", "Entity cap reached",
    meaning="The entity already holds the most this programme grants one entity.",
    client_action=REREAD)  # fmt: skip
PAYMENT_BLOCKED = add("payment_blocked", 409, "存在失信记录，暂停支付",
    "Payment blocked by a credit record",
    meaning="A credit record in force blocks paying this entity.",
    client_action="Wait until the record is lifted.")  # fmt: skip
NOT_A_REPORT_RULE = add("not_a_report_rule", 422, "该奖补规则不按年报计算",
    "Not a rule computed from annual reports",
    meaning="A proposal run computes only rules read from annual reports.", client_action=FIX)  # fmt: skip
REMAINDER_NOT_SETTLED = add("remainder_not_settled", 409, "原奖补尚未结算",
    "Original payment not settled",
    meaning="What remains of an award is decided once finance has settled its approved payment.",
    client_action="Decide after finance's answer settles the payment.")  # fmt: skip
NOTHING_REMAINS = add("nothing_remains", 409, "奖补已全额批准", "Nothing remains",
    meaning="The award was approved for its full amount: there is no remainder to decide.",
    client_action=REREAD)  # fmt: skip
REMAINDER_DECIDED = add("remainder_decided", 409, "剩余金额已有决定", "Remainder already decided",
    meaning="The remainder of this award was already requested or waived (once per award).",
    client_action=REREAD)  # fmt: skip
