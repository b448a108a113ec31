"""A programme's notification policy (docs/programmes.md, "notifications"): which
event goes to whom on which channels, the escalation ladder after the due time, and whether
pre-due reminders move off non-working days."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.programmes.common import Frozen

Channel = Literal["inbox", "email", "webhook", "wecom", "dingtalk", "sms"]
Audience = Literal["province_admin", "city_bureau", "county_bureau", "operator"]


class Route(Frozen):
    """An event type (``submissions.deadline.approaching``) and who hears of it, how."""

    event: str = Field(min_length=1)
    to: tuple[Audience, ...] = Field(min_length=1)
    channels: tuple[Channel, ...] = Field(default=("inbox",), min_length=1)


class Escalation(Frozen):
    """After the due time the city bureau gets its region's overdue list at every point; the
    province joins from ``province_after_days`` days after the due time."""

    province_after_days: int = Field(default=1, ge=0)


class NotificationPolicy(Frozen):
    routes: tuple[Route, ...] = ()
    escalation: Escalation = Escalation()
    shift_reminders_to_working_day: bool = Field(
        default=True,
        description="a pre-due reminder on a non-working day goes out on the working day before",
    )
    acknowledgement_days: int = Field(default=30, ge=1, description="ack link lifetime")

    def route(self, event_type: str) -> Route | None:
        for route in self.routes:
            if route.event == event_type:
                return route
        return None
