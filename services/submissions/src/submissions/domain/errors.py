"""The one refusal every rule raises, so the API can answer problem+json naming field and reason."""

from __future__ import annotations

from shared.i18n import Text, t


class Refused(Exception):
    """A command the rules do not allow. ``code`` is stable (for clients), ``reason`` is prose
    in both languages, written where the rule knows why, so each answer is in one language."""

    def __init__(self, code: str, reason: Text, *, field: str | None = None) -> None:
        super().__init__(reason.en)
        self.code = code
        self.reason = reason
        self.field = field

    def __repr__(self) -> str:
        return f"Refused({self.code!r}, {self.reason!r}, field={self.field!r})"


def require_text(value: str | None, *, field: str, what: Text) -> str:
    """A reason or comment: written, not blank (every step records why, 004 三(三) review)."""
    text = (value or "").strip()
    if not text:
        raise Refused(
            "reason_required",
            t(f"{what.zh}须写明理由", f"{what.en} needs a written reason"),
            field=field,
        )
    return text
