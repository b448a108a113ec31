"""Domain refusals and use-case errors as problem+json: each names the field and the reason.

Another bureau's or reporter's record is reported as absent (404), never described.
"""

from __future__ import annotations

from shared.http.problems import ProblemError, not_found
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


def _field(refused: Refused) -> str:
    name = refused.field or FIELD_OF.get(refused.code, "state")
    return name if name in ("window_id", "designation_id", "state") else f"body.{name}"


def problem_for(exc: Exception) -> ProblemError:
    if isinstance(exc, NotFound):
        return not_found(exc.what, exc.identifier)
    if isinstance(exc, InvalidReport):
        findings = exc.check.errors or exc.check.unexplained
        return ProblemError(
            status=422,
            title="Invalid report",
            detail="; ".join(f"{f.field}: {f.message}" for f in findings),
            extra={
                "errors": [
                    {"field": f"body.figures.{f.field}", "message": f.message, "type": f.code}
                    for f in findings
                ],
                "warnings": [
                    {"field": f"body.figures.{w.field}", "message": w.message, "type": w.code}
                    for w in exc.check.warnings
                ],
            },
        )
    assert isinstance(exc, Refused)
    if exc.code == "forbidden":
        return ProblemError(status=403, title="Forbidden", detail=exc.reason)
    if exc.code == "out_of_scope":
        return not_found("report", "in the caller's scope")
    error = {"field": _field(exc), "message": exc.reason, "type": exc.code}
    if exc.code in INVALID:
        return ProblemError(
            status=422, title="Validation failed", detail=exc.reason, extra={"errors": [error]}
        )
    return ProblemError(
        status=409,
        title="Refused",
        detail=exc.reason,
        extra={"reason": exc.code, "errors": [error]},
    )


HANDLED = (NotFound, InvalidReport, Refused)
