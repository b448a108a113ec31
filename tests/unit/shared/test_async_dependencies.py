"""Every route's dependencies are ``async def``: FastAPI runs a plain ``def`` dependency on its
thread pool, a hop to a worker thread and back per dependency and per request (on the awards
API's step route, three such hops were ≈ 10 % of its samples). Reading ``app.state`` needs no
thread. Routes' own endpoints may stay ``def`` where they block on purpose; none does here."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from tests.unit.shared.test_openapi_document import APPS


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependencies(sub)


def _runs_inline(call: Any) -> bool:
    target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


@pytest.mark.parametrize("service", sorted(APPS))
def test_no_route_sends_a_dependency_to_the_thread_pool(service: str) -> None:
    app = APPS[service]()
    sync = sorted(
        {
            f"{route.path}: {getattr(call, '__qualname__', call)}"
            for route in app.routes
            if isinstance(route, APIRoute)
            for call in _dependencies(route.dependant)
            if not _runs_inline(call)
        }
    )
    assert sync == []


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_endpoint_runs_on_the_event_loop(service: str) -> None:
    app = APPS[service]()
    sync = sorted(
        route.path
        for route in app.routes
        if isinstance(route, APIRoute) and not inspect.iscoroutinefunction(route.endpoint)
    )
    assert sync == []
