"""Domain refusals and use-case errors as problem+json: each names the field and the reason.

Another bureau's or reporter's record is reported as absent (404), never described.
"""

from __future__ import annotations

from shared.http import catalogue
from shared.http.problems import ProblemError, forbidden, invalid, not_found
from shared.i18n import Text, t
from submissions.domain.errors import Refused
from submissions.handlers.common import NotFound
from submissions.handlers.reports import InvalidReport

# Refusals that say the request itself is wrong (422); the others conflict with the state (409).
INVALID = frozenset(
    {
        "reason_required",
        "comments_required",
        "unknown_field",
        "invalid_due_at",
        "invalid_ends_at",
        "invalid_target",
        "invalid_action",
        "new_due_at_required",
        "unknown_programme",
        "unknown_window",
        "year_not_begun",
        "no_designation_in_force",
    }
)
# Where a refusal of the submission lies, when the rule does not name a field itself.
FIELD_OF = {
    "window_not_open": "window_id",
    "locked": "window_id",
    "past_grace": "window_id",
    "not_expected": "designation_id",
    "already_accepted": "state",
    "under_review": "state",
}


# The kind of each refusal that conflicts with the state (409); its code stays in ``reason``.
KIND_OF = {
    "window_not_open": catalogue.WINDOW_NOT_OPEN,
    "locked": catalogue.WINDOW_LOCKED,
    "past_grace": catalogue.PAST_GRACE,
    "not_expected": catalogue.NOT_EXPECTED,
    "already_accepted": catalogue.ALREADY_ACCEPTED,
    "under_review": catalogue.UNDER_REVIEW,
    "step_out_of_order": catalogue.STEP_OUT_OF_ORDER,
    "already_decided": catalogue.EXTENSION_ALREADY_DECIDED,
    "already_registered": catalogue.REPORTER_ALREADY_REGISTERED,
    "outside_jurisdiction": catalogue.REPORTER_NOT_ELIGIBLE,
    "wrong_level": catalogue.REPORTER_NOT_ELIGIBLE,
    "wrong_reporter": catalogue.REPORTER_NOT_ELIGIBLE,
    "outside_period": catalogue.OUTSIDE_PERIOD,
}
# The Chinese of the nouns the handlers name in their NotFound.
NOUNS = {
    "extension": "延期申请",
    "programme with statistics": "含统计指标的规划",
    "report": "报告",
    "reporter": "报送主体",
    "reporter on the roster": "应报名单中的报送主体",
    "revision": "修订",
    "statistics indicator": "统计指标",
    "statistics report": "统计报表",
    "statistics reporter": "统计报送单位",
    "window": "填报窗口",
}


def noun(english: str) -> Text:
    return t(NOUNS.get(english, english), english)


def refusal_text(refused: Refused) -> Text:
    """The rule's own words, in both languages from where it refused."""
    return refused.reason


def _field(refused: Refused) -> str:
    name = refused.field or FIELD_OF.get(refused.code, "state")
    return name if name in ("window_id", "designation_id", "state") else f"body.{name}"


def problem_for(exc: Exception) -> ProblemError:
    if isinstance(exc, NotFound):
        return not_found(noun(exc.what), exc.identifier)
    if isinstance(exc, InvalidReport):
        findings = exc.check.errors or exc.check.unexplained
        # Each finding's own words in the answer's language: the messages are Text, which the
        # problem document renders in Chinese or English like the detail.
        return ProblemError(
            catalogue.INVALID_REPORT,
            t(
                "报告数据有误：" + "；".join(f"{f.field}：{f.text.zh}" for f in findings),
                "; ".join(f"{f.field}: {f.text.en}" for f in findings),
            ),
            extra={
                "errors": [
                    {"field": f"body.figures.{f.field}", "message": f.text, "type": f.code}
                    for f in findings
                ],
                "warnings": [
                    {"field": f"body.figures.{w.field}", "message": w.text, "type": w.code}
                    for w in exc.check.warnings
                ],
            },
        )
    if not isinstance(exc, Refused):
        raise TypeError(f"no problem document for {type(exc).__name__}") from exc
    if exc.code == "forbidden":
        return forbidden(refusal_text(exc))
    if exc.code == "out_of_scope":
        return not_found(t("报告", "report"), "in the caller's scope")
    error = {"field": _field(exc), "message": exc.reason, "type": exc.code}
    if exc.code in INVALID:
        return invalid([error], refusal_text(exc))
    return ProblemError(
        KIND_OF.get(exc.code, catalogue.CONFLICT),
        refusal_text(exc),
        extra={"reason": exc.code, "errors": [error]},
    )


HANDLED = (NotFound, InvalidReport, Refused)
