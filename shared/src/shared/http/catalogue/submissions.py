"""Problems of reports, windows, extensions and statistics (submissions)."""

from __future__ import annotations

from shared.http.catalogue.common import FIX, REREAD
from shared.http.problem_types import CATALOGUE

add = CATALOGUE.add
LATER = "Do not retry now; wait for the window, or ask the province for an extension."

WINDOW_ALREADY_OPEN = add("window_already_open", 409, "填报窗口已开启", "Window already open",
    meaning="The programme's window for the year is open already (`window_id`).",
    client_action="Use the open window.")  # fmt: skip
WINDOW_NOT_OPEN = add("window_not_open", 409, "填报窗口尚未开启", "Window not open",
    meaning="Figures are not taken yet: the window or period has not opened.",
    client_action=LATER)  # fmt: skip
WINDOW_LOCKED = add("window_locked", 409, "填报窗口已锁定", "Window locked",
    meaning="The window or period locked; only a reopening by the province lets a reporter in.",
    client_action="Ask the province to reopen the window for this reporter.")  # fmt: skip
PAST_GRACE = add("past_grace", 409, "已过宽限期", "Past the grace period",
    meaning="The due date and its grace period have passed.",
    client_action="Request an extension.")  # fmt: skip
NOT_EXPECTED = add("not_expected", 409, "不在应报名单中", "Not expected to report",
    meaning="The reporter is not on the window's roster.",
    client_action="Check the designation; the roster follows the registry's designations.")  # fmt: skip
ALREADY_ACCEPTED = add("already_accepted", 409, "报告已通过审核", "Report already accepted",
    meaning="The report was accepted; it takes no new version.", client_action=REREAD)  # fmt: skip
UNDER_REVIEW = add("under_review", 409, "报告正在审核", "Report under review",
    meaning="The report is being reviewed; wait for it to be returned or accepted.",
    client_action=REREAD)  # fmt: skip
STEP_OUT_OF_ORDER = add("step_out_of_order", 409, "审核步骤顺序不符", "Step out of order",
    meaning="The review step does not follow from the report's current state.",
    client_action=REREAD)  # fmt: skip
EXTENSION_ALREADY_DECIDED = add("extension_already_decided", 409, "延期申请已处理",
    "Extension already decided", meaning="The extension request was granted or refused already.",
    client_action=REREAD)  # fmt: skip
REPORTER_ALREADY_REGISTERED = add("reporter_already_registered", 409, "统计报送单位已登记",
    "Reporter already registered", meaning="The statistics reporter is registered already.",
    client_action=REREAD)  # fmt: skip
REPORTER_NOT_ELIGIBLE = add("reporter_not_eligible", 409, "报送单位不符合要求",
    "Reporter not eligible",
    meaning="The reporter's region or level does not fit the programme "
    "(`reason`: outside_jurisdiction, wrong_level, wrong_reporter).", client_action=FIX)  # fmt: skip
OUTSIDE_PERIOD = add("outside_period", 409, "不在规划期内", "Outside the programme's period",
    meaning="The period is outside the programme's years and its base year.",
    client_action=FIX)  # fmt: skip
INVALID_REPORT = add("invalid_report", 422, "报告数据有误", "Invalid report",
    meaning="The figures break the template, or warned changes lack an explanation "
    "(`errors`, `warnings`).", client_action=FIX)  # fmt: skip
INVALID_FIGURES = add("invalid_figures", 422, "统计数据有误", "Invalid statistics figures",
    meaning="The statistics figures break the indicator system (`errors`).",
    client_action=FIX)  # fmt: skip
