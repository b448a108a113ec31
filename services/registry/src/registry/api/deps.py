"""FastAPI dependencies of the registry API (``Annotated`` aliases, as in the routes): what
``registry.bootstrap`` built for the process, read from the app's state here and nowhere else.
``async`` so FastAPI calls them inline rather than on its thread pool (a hop per request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from registry.config import RegistrySettings
from registry.handlers.common import Context


async def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


async def get_settings(request: Request) -> RegistrySettings:
    settings: RegistrySettings = request.app.state.settings
    return settings


Ctx = Annotated[Context, Depends(get_context)]
Settings = Annotated[RegistrySettings, Depends(get_settings)]
