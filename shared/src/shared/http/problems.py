"""RFC 9457 problem details (``application/problem+json``) for every error the APIs return."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One invalid input: where (``body.name``, ``query.year``), what is wrong, of which kind."""

    field: str
    message: str
    type: str


class Problem(BaseModel):
    """The body of every error response (the OpenAPI documents it under this name).

    ``type``, ``title`` and ``status`` are always present; ``detail`` when there is one;
    ``instance`` is the request path. Validation failures list ``errors``; If-Match failures
    name the ``current_etag``. A problem may carry other members that say what to do next.
    """

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    current_etag: str | None = None


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        *,
        status: int,
        title: str,
        detail: str | None = None,
        type: str = "about:blank",
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.extra = extra or {}
        self.headers = headers or {}

    def document(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = instance
        body.update(self.extra)
        return body


def problem_response(problem: ProblemError, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.document(request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def not_found(resource: str, identifier: str) -> ProblemError:
    return ProblemError(status=404, title="Not found", detail=f"no {resource} {identifier}")


def conflict(detail: str, **extra: Any) -> ProblemError:
    return ProblemError(status=409, title="Conflict", detail=detail, extra=extra)


def forbidden(detail: str) -> ProblemError:
    return ProblemError(status=403, title="Forbidden", detail=detail)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc)
        fields = ", ".join(error["field"] for error in errors)
        problem = ProblemError(
            status=422,
            title="Validation failed",
            detail=f"invalid: {fields}",
            extra={"errors": errors},
        )
        return problem_response(problem, request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        problem = ProblemError(
            status=exc.status_code,
            title=_TITLES.get(exc.status_code, "Error"),
            detail=str(exc.detail) if exc.detail else None,
            headers=dict(exc.headers or {}),
        )
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = ProblemError(status=500, title="Internal error", detail="the error was logged")
        return problem_response(problem, request)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Validation failed",
    428: "Precondition required",
}
