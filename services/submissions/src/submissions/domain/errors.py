"""The one refusal every rule raises, so the API can answer problem+json naming field and reason."""

from __future__ import annotations


class Refused(Exception):
    """A command the rules do not allow. ``code`` is stable (for clients), ``reason`` is prose."""

    def __init__(self, code: str, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.field = field

    def __repr__(self) -> str:
        return f"Refused({self.code!r}, {self.reason!r}, field={self.field!r})"


def require_text(value: str | None, *, field: str, what: str) -> str:
    """A reason or comment: written, not blank (every step records why, 004 三(三) review)."""
    text = (value or "").strip()
    if not text:
        raise Refused("reason_required", f"{what} needs a written reason", field=field)
    return text
