"""RFC 9457 problem details (``application/problem+json``) for every error the APIs return."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope, Send

from shared.http import catalogue
from shared.http.problem_types import ProblemType
from shared.i18n import DEFAULT_LANGUAGE, Language, Text, language_of, t
from shared.messaging.failures import TRANSIENT_ERRORS

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

# A PostgreSQL restart or a fail-over to a standby takes seconds.
RETRY_AFTER_DATABASE_SECONDS = 5


class FieldError(BaseModel):
    """One invalid input: where (``body.name``, ``query.year``), what is wrong, of which kind."""

    field: str
    message: str
    type: str


class Problem(BaseModel):
    """The body of every error response (the OpenAPI documents it under this name).

    ``type``, ``code``, ``title`` and ``status`` are always present: ``code`` is the short name
    of ``type`` (``docs/problems.md`` lists both), ``title`` and ``detail`` are in Chinese or,
    on ``Accept-Language: en``, English; ``instance`` is the request path. Validation failures
    list ``errors``; If-Match failures name the ``current_etag``. A problem may carry other
    members that say what to do next.
    """

    model_config = ConfigDict(extra="allow")

    type: str
    code: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    current_etag: str | None = None


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document of a catalogued kind
    (``shared.http.catalogue``), with a detail in both languages (:func:`shared.i18n.t`)."""

    def __init__(
        self,
        kind: ProblemType,
        detail: Text | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail.en if detail else kind.title.en)
        self.kind = kind
        self.status = status or kind.status  # another status only for a framework error
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}

    def document(self, instance: str, language: Language = DEFAULT_LANGUAGE) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.kind.type,
            "code": self.kind.code,
            "title": self.kind.title_in(language),
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail.in_language(language)
        body["instance"] = instance
        body.update(_in_language(self.extra, language))
        return body


def _in_language(value: Any, language: Language) -> Any:
    """Other members may carry texts too (an ``errors`` entry's ``message``): each in the
    answer's language, so a Chinese answer has no English sentence anywhere."""
    if isinstance(value, Text):
        return value.in_language(language)
    if isinstance(value, dict):
        return {key: _in_language(item, language) for key, item in value.items()}
    if isinstance(value, list):
        return [_in_language(item, language) for item in value]
    return value


def problem_response(problem: ProblemError, request: Request) -> JSONResponse:
    language = language_of(request.headers.get("accept-language"))
    return JSONResponse(
        problem.document(request.url.path, language),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers={**problem.headers, "Content-Language": language},
    )


async def send_problem(send: Send, scope: Scope, problem: ProblemError) -> None:
    """Answer from an ASGI middleware, before any route runs."""
    language = language_of(Headers(scope=scope).get("accept-language"))
    body = json.dumps(problem.document(scope["path"], language)).encode()
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in problem.headers.items()
    ]
    headers += [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"content-language", language.encode()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def not_found(resource: Text, identifier: str) -> ProblemError:
    return ProblemError(
        catalogue.NOT_FOUND,
        t(f"未找到{resource.zh} {identifier}", f"no {resource.en} {identifier}"),
    )


def forbidden(detail: Text) -> ProblemError:
    return ProblemError(catalogue.FORBIDDEN, detail)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each error's place, message and rule; never the input nor pydantic's ``ctx`` (they may
    hold what the caller sent, personal data included)."""
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors()
    ]


def invalid(errors: list[dict[str, Any]], detail: Text | None = None) -> ProblemError:
    """A 422 naming each invalid field, as a request validation failure does."""
    fields = ", ".join(error["field"] for error in errors)
    return ProblemError(
        catalogue.VALIDATION_FAILED,
        detail or t(f"以下输入无效：{fields}", f"invalid: {fields}"),
        extra={"errors": errors},
    )


def install_problem_handlers(app: FastAPI) -> None:
    # Starlette types every handler for Exception; each is registered below for one class, and
    # Starlette calls it only with an instance of that class.
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(cast(ProblemError, exc), request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(
            invalid(validation_errors(cast(RequestValidationError, exc))), request
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        error = cast(StarletteHTTPException, exc)
        kind = catalogue.CATALOGUE.by_status(error.status_code)
        # Starlette's own detail is the status phrase, which the title already says.
        detail = str(error.detail) if error.detail else ""
        phrase = HTTPStatus(error.status_code).phrase if error.status_code in _STATUSES else ""
        problem = ProblemError(
            kind,
            t(detail, detail) if detail and detail != phrase else None,
            status=error.status_code,
            headers=dict(error.headers or {}),
        )
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, TRANSIENT_ERRORS):
            # PostgreSQL restarting or failing over is the environment's, not a bug: nothing
            # committed (nor any Idempotency-Key claim), so the same request can be retried.
            log.warning("%s %s: %r, answered 503", request.method, request.url.path, exc)
            problem = ProblemError(
                catalogue.SERVICE_UNAVAILABLE,
                t("数据库暂不可用，请稍后重试", "the database is briefly unavailable; retry"),
                headers={"Retry-After": str(RETRY_AFTER_DATABASE_SECONDS)},
            )
            return problem_response(problem, request)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = ProblemError(catalogue.INTERNAL_ERROR, t("错误已记录", "the error was logged"))
        return problem_response(problem, request)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


_STATUSES = {status.value for status in HTTPStatus}
