"""The registry HTTP API."""

from fastapi import FastAPI

from registry import bootstrap
from registry.api.routes import (
    calendars,
    enterprises,
    exports,
    imports,
    programme_revisions,
    programmes,
    records,
    residents,
)
from registry.config import RegistrySettings
from registry.domain.entities.definitions import ALL_SPECS
from shared.audit.api import install_audit
from shared.http.body_limit import UPLOAD_SLACK
from shared.http.rate_limit import RouteClasses
from shared.service.app import create_service_app


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    routers = [
        enterprises.router,
        residents.router,
        programmes.router,
        programme_revisions.router,
        imports.router,
        imports.jobs_router,
        exports.router,
        calendars.router,
    ]
    routers.extend(records.records_router(spec) for spec in ALL_SPECS)
    settings = settings or bootstrap.load_settings()
    app = create_service_app(
        settings=settings,
        title="Registry",
        description="Enterprises, stores, parks and bases, teams, brands and products, in the "
        "GB/T 2260 region hierarchy; programme targets and progress.",
        routers=routers,
        on_start=bootstrap.start_api,
        on_stop=bootstrap.stop_api,
        idempotency_exempt=("/v1/imports",),
        route_classes=RouteClasses(bulk=(("POST", r"^/v1/imports/"),)),
        large_bodies=(("POST", r"^/v1/imports/", settings.max_upload_bytes + UPLOAD_SLACK),),
    )
    install_audit(app, settings)  # request facts and /v1/audit (docs/audit.md)
    return app
