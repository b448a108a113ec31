"""The awards HTTP API."""

from fastapi import FastAPI

from awards.config import AwardsSettings
from shared.audit.api import install_audit
from shared.service.app import create_service_app


def create_app(settings: AwardsSettings | None = None) -> FastAPI:
    settings = settings or AwardsSettings()
    app = create_service_app(
        settings=settings,
        title="Awards",
        description="Demonstration applications, reviews, designations, rewards and yearly evaluation.",
        routers=[],
    )
    install_audit(app, settings)  # request facts and /v1/audit (docs/audit.md)
    return app
