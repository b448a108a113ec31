"""The submissions HTTP API."""

from fastapi import FastAPI

from shared.audit.api import install_audit
from shared.http.body_limit import UPLOAD_SLACK
from shared.http.rate_limit import RouteClasses
from shared.service.app import create_service_app
from submissions import bootstrap
from submissions.api.routes import (
    attachments,
    completeness,
    drafts,
    extensions,
    reports,
    statistics,
    statistics_published,
    statistics_reports,
    statistics_roster,
    windows,
)
from submissions.config import SubmissionsSettings


def create_app(settings: SubmissionsSettings) -> FastAPI:
    async def _on_start(app: FastAPI) -> None:
        # The programmes are read as the app starts, never at import, and kept current.
        await bootstrap.start_api(app, settings)

    app = create_service_app(
        settings=settings,
        title="Submissions",
        description="Reporting windows, the annual report due 10 December, review by city "
        "bureau then province, completeness, extensions and reopenings.",
        routers=[
            windows.router,
            reports.router,
            drafts.router,
            attachments.router,
            extensions.router,
            completeness.router,
        ],
        route_classes=RouteClasses(bulk=(("POST", r"/attachments$"),)),
        # The rush's write: a submission takes its key in the statement or transaction that
        # makes it (submissions.api.routes.reports), one round trip fewer per report.
        idempotency_taken_by_route=(r"/v1/windows/[^/]+/reports/[^/]+/versions",),
        large_bodies=(("POST", r"/attachments$", settings.attachment_max_bytes + UPLOAD_SLACK),),
        on_start=_on_start,
        on_stop=bootstrap.stop_api,
    )
    app.include_router(statistics.router)  # statistics monitoring (docs/statistics.md)
    app.include_router(statistics_published.router)
    app.include_router(statistics_reports.router)
    app.include_router(statistics_roster.router)
    install_audit(app, settings)  # request facts and /v1/audit (docs/audit.md)
    return app
