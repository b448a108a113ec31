"""The submissions HTTP API."""

from fastapi import FastAPI

from shared.service.app import create_service_app
from submissions.config import SubmissionsSettings


def create_app(settings: SubmissionsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or SubmissionsSettings(),
        title="Submissions",
        description="Reporting windows, the annual report due 10 December, review by city bureau then province.",
        routers=[],
    )
