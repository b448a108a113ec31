"""The awards HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from awards import bootstrap
from awards.api.routes import (
    applications,
    credit,
    designations,
    experts,
    payments,
    reward_budgets,
    rewards,
    standing,
)
from awards.bootstrap import TemporalConnection
from awards.config import AwardsSettings
from awards.handlers.steps import StepTargets
from shared.audit.api import install_audit
from shared.http.rate_limit import RouteClasses
from shared.service.app import create_service_app
from shared.service.openapi import add_components


def create_app(
    settings: AwardsSettings | None = None, *, temporal: TemporalConnection | None = None
) -> FastAPI:
    """``temporal``: a Temporal connection other than the settings' (a test's own server)."""
    settings = settings or bootstrap.settings()

    async def on_start(app: FastAPI) -> None:
        await bootstrap.start_api(app, settings)
        app.state.step_targets = StepTargets()
        app.state.temporal = temporal or bootstrap.temporal(
            settings, timeout_seconds=bootstrap.API_TEMPORAL_TIMEOUT_SECONDS
        )

    app = create_service_app(
        settings=settings,
        title="Awards",
        description=(
            "Demonstration applications, city and provincial review, public notice and "
            "designation (one Temporal workflow per application); credit records; experts."
        ),
        routers=[
            applications.router,
            applications.steps_router,
            standing.router,
            designations.router,
            credit.router,
            experts.router,
            rewards.router,
            reward_budgets.router,
            payments.router,
        ],
        on_start=on_start,
        on_stop=bootstrap.stop_api,
        route_classes=RouteClasses(public=("/callbacks/",)),  # signed by finance, no token
    )
    add_components(app, models=payments.MODELS, security_schemes=payments.SECURITY_SCHEMES)
    install_audit(app, settings)  # request facts and /v1/audit (docs/audit.md)
    return app
