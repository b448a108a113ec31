"""The awards HTTP API."""

from fastapi import FastAPI

from awards.config import AwardsSettings
from shared.service.app import create_service_app


def create_app(settings: AwardsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or AwardsSettings(),
        title="Awards",
        description="Demonstration applications, reviews, designations, rewards and yearly evaluation.",
        routers=[],
    )
