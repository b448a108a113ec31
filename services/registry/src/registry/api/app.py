"""The registry HTTP API."""

from fastapi import FastAPI

from registry.api.routes import enterprises
from registry.config import RegistrySettings
from shared.service.app import create_service_app


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or RegistrySettings(),  # type: ignore[call-arg]
        title="Registry",
        description="Enterprises, stores, parks and bases, teams, brands and programme targets.",
        routers=[enterprises.router],
    )
