"""The notifications HTTP API."""

from fastapi import FastAPI

from notifications.api.routes import inbox
from notifications.config import NotificationsSettings
from shared.service.app import create_service_app


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or NotificationsSettings(),
        title="Notifications",
        description="Deadline reminders, escalations and status notices; the in-app inbox.",
        routers=[inbox.router],
    )
