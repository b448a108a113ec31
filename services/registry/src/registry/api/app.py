"""The registry HTTP API."""

from fastapi import FastAPI

from registry.api.routes import (
    enterprises,
    exports,
    imports,
    programmes,
    records,
    residents,
)
from registry.config import RegistrySettings
from registry.data.regions import load_country_regions
from registry.domain.regions import RegionTree
from registry.entities.definitions import ALL_SPECS, ENTERPRISE
from shared.audit.api import install_audit
from shared.http.body_limit import UPLOAD_SLACK
from shared.http.rate_limit import RouteClasses
from shared.programmes import load_programmes
from shared.service.app import create_service_app


async def _on_start(app: FastAPI) -> None:
    app.state.regions = RegionTree(load_country_regions())
    app.state.programmes = load_programmes(app.state.settings.programmes_dir)


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    routers = [
        enterprises.router,
        residents.router,
        programmes.router,
        imports.router,
        imports.jobs_router,
        exports.router,
    ]
    for spec in ALL_SPECS:
        prepare = enterprises.prepare_enterprise if spec is ENTERPRISE else None
        routers.append(records.records_router(spec, prepare_create=prepare))
    settings = settings or RegistrySettings()
    app = create_service_app(
        settings=settings,
        title="Registry",
        description="Enterprises, stores, parks and bases, teams, brands and products, in the "
        "GB/T 2260 region hierarchy; programme targets and progress.",
        routers=routers,
        on_start=_on_start,
        idempotency_exempt=("/v1/imports",),
        route_classes=RouteClasses(bulk=(("POST", r"^/v1/imports/"),)),
        large_bodies=(("POST", r"^/v1/imports/", settings.max_upload_bytes + UPLOAD_SLACK),),
    )
    install_audit(app, settings)  # request facts and /v1/audit (docs/audit.md)
    return app
