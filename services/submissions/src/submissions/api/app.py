"""The submissions HTTP API."""

from fastapi import FastAPI

from shared.audit.api import install_audit
from shared.service.app import create_service_app
from submissions.config import SubmissionsSettings


def create_app(settings: SubmissionsSettings | None = None) -> FastAPI:
    settings = settings or SubmissionsSettings()
    app = create_service_app(
        settings=settings,
        title="Submissions",
        description="Reporting windows, the annual report due 10 December, review by city bureau then province.",
        routers=[],
    )
    install_audit(app, settings)  # request facts and /v1/audit (docs/audit.md)
    return app
