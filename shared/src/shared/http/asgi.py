"""Answering with a problem document from a pure ASGI middleware (outside FastAPI's exception
handlers, which only see what the routes raise)."""

from __future__ import annotations

import json

from starlette.types import Scope, Send

from shared.http.problems import PROBLEM_JSON, ProblemError


async def send_problem(send: Send, scope: Scope, problem: ProblemError) -> None:
    body = json.dumps(problem.document(scope["path"]), ensure_ascii=False).encode()
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in problem.headers.items()
    ]
    headers += [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
