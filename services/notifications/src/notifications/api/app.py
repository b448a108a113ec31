"""The notifications HTTP API. Its lifespan (``shared.service.app``) builds the pool and keeps
it and the settings on ``app.state``, which only ``api/deps.py`` reads."""

from fastapi import FastAPI

from notifications.api.routes import acknowledgements, deliveries, inbox, recipients
from notifications.config import NotificationsSettings
from shared.audit.api import install_audit
from shared.http.rate_limit import RouteClasses
from shared.service.app import create_service_app


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    app = create_service_app(
        settings=settings,
        title="Notifications",
        description="Deadline reminders, escalations and status notices; the in-app inbox.",
        routers=[inbox.router, deliveries.router, recipients.router, acknowledgements.router],
        secret_paths=[acknowledgements.PREFIX],
        route_classes=RouteClasses(public=(acknowledgements.PREFIX,)),
    )
    install_audit(app, settings)  # request facts and /v1/audit (docs/audit.md)
    return app
