"""Who calls comes first: a route that needs a bearer token answers 401 to a caller without a
valid one, whatever else is wrong with the request.

FastAPI reads and parses a JSON body before it solves any dependency (the verified caller is
one), so a body that is not JSON (422) or not UTF-8 (400) would be judged, and the answer
would tell an anonymous caller about the route's input, before anyone asked who sent it.
Everything else a route checks comes after its dependencies, the caller first. Rather than
take FastAPI's body parsing apart, the handlers of those two errors ask for the caller first
when the route needs one. A valid token was verified moments before (the rate limiter
remembers it for the request), so this costs nothing when the request is answered, and one
look-up when it is refused.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shared.auth import current_principal
from shared.http.problems import ProblemError, problem_response
from shared.service.openapi import needs_token

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


async def verify_caller_first(request: Request) -> None:
    """Raises the 401 problem when the matched route needs a caller and this one has no valid
    token; nothing for a public route."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and needs_token(route):
        await current_principal(request)


def _after_the_caller(
    handler: Handler, *, statuses: frozenset[int] | None = None
) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", None)
        if statuses is None or status in statuses:
            try:
                await verify_caller_first(request)
            except ProblemError as problem:
                return problem_response(problem, request)
        answer = handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    return handle


def install_caller_first(app: FastAPI) -> None:
    """Wraps the problem handlers (``install_problem_handlers``, installed before) of the two
    errors FastAPI raises while it reads a body: invalid JSON (``RequestValidationError``) and a
    body it cannot decode (an HTTP 400)."""
    validation = app.exception_handlers[RequestValidationError]
    http = app.exception_handlers[StarletteHTTPException]
    app.add_exception_handler(RequestValidationError, _after_the_caller(validation))
    app.add_exception_handler(
        StarletteHTTPException, _after_the_caller(http, statuses=frozenset({400}))
    )
