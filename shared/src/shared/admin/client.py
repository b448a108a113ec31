"""The services' REST APIs as ``ecom-admin`` calls them: bearer token, Idempotency-Key on every
POST, problem+json answers raised as ``ApiProblem``.

Synchronous (``httpx.Client``): a command does one thing at a time and shows its progress.
Tests pass an ``httpx.MockTransport``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

SERVICES = ("registry", "submissions", "awards", "notifications")
LOCAL_URLS = {
    "registry": "http://127.0.0.1:8001",
    "submissions": "http://127.0.0.1:8002",
    "awards": "http://127.0.0.1:8003",
    "notifications": "http://127.0.0.1:8004",
}
IMPORT_KINDS = ("enterprises", "stores", "residents")
IMPORT_MODES = ("dry_run", "all_or_nothing", "good_rows")
ENDED = frozenset({"succeeded", "rejected", "failed"})
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_CHUNK = 256 * 1024

# Every route the commands call: (service, method, path template). Checked against the
# services' OpenAPI documents (tests/unit/admin/test_admin_routes.py).
ROUTES = {
    "start_import": ("registry", "POST", "/v1/imports/{kind}"),
    "import_job": ("registry", "GET", "/v1/import-jobs/{job_id}"),
    "programme_progress": ("registry", "GET", "/v1/programmes/{programme_id}/progress"),
    "calendar_year": ("registry", "GET", "/v1/calendars/{year}"),
    "load_calendar_year": ("registry", "PUT", "/v1/calendars/{year}"),
    "open_window": ("submissions", "POST", "/v1/windows"),
    "resend_delivery": ("notifications", "POST", "/v1/deliveries/{delivery_id}/resend"),
}


class ApiProblem(Exception):
    """A 4xx/5xx answer: its status and, for problem+json, its title, detail and code."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        body: Mapping[str, Any] = {}
        if response.headers.get("content-type", "").startswith(
            ("application/problem+json", "application/json")
        ):
            try:
                parsed = response.json()
                body = parsed if isinstance(parsed, dict) else {}
            except ValueError:
                body = {}
        self.title = str(body.get("title") or response.reason_phrase)
        self.detail = str(body.get("detail") or response.text[:500] or "")
        self.code = body.get("code")
        super().__init__(f"{self.status} {self.title}: {self.detail}".rstrip(": "))


@dataclass
class AdminClient:
    token: str
    urls: Mapping[str, str] = field(default_factory=lambda: dict(LOCAL_URLS))
    language: str = "zh-CN"
    timeout_seconds: float = 60.0
    transport: httpx.BaseTransport | None = None
    _clients: dict[str, httpx.Client] = field(default_factory=dict, init=False, repr=False)

    def _client(self, service: str) -> httpx.Client:
        if service not in self._clients:
            self._clients[service] = httpx.Client(
                base_url=self.urls[service].rstrip("/"),
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Accept-Language": self.language,
                    "User-Agent": "ecom-admin",
                },
                timeout=self.timeout_seconds,
                transport=self.transport,
            )
        return self._clients[service]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def call(
        self, route: str, *, idempotency_key: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One of ``ROUTES``, its path parameters filled from ``path`` (a mapping)."""
        service, method, template = ROUTES[route]
        path = template.format_map(
            {key: quote(str(value), safe="") for key, value in kwargs.pop("path", {}).items()}
        )
        return self.request(service, method, path, idempotency_key=idempotency_key, **kwargs)

    def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if method.upper() == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        response = self._client(service).request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise ApiProblem(response)
        return response

    # --- registry ---------------------------------------------------------------------------

    def start_import(
        self,
        kind: str,
        path: Path,
        *,
        mode: str,
        on_sent: Callable[[int], None] = lambda _n: None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Upload one CSV or XLSX file; the job as queued (or as it ended, for the same file's
        earlier run)."""
        size = path.stat().st_size
        content_type = XLSX_TYPE if path.suffix.lower() == ".xlsx" else "text/csv"

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as file:
                while chunk := file.read(UPLOAD_CHUNK):
                    yield chunk
                    on_sent(len(chunk))

        response = self.call(
            "start_import",
            path={"kind": kind},
            params={"mode": mode, "file_name": path.name},
            headers={"Content-Type": content_type, "Content-Length": str(size)},
            content=chunks(),
            idempotency_key=idempotency_key,
        )
        job: dict[str, Any] = response.json()
        return job

    def import_job(self, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self.call("import_job", path={"job_id": job_id}).json()
        return job

    def programme_progress(
        self, programme_id: str, *, year: int | None = None, by: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if year is not None:
            params["year"] = year
        if by is not None:
            params["by"] = by
        progress: dict[str, Any] = self.call(
            "programme_progress", path={"programme_id": programme_id}, params=params
        ).json()
        return progress

    # --- submissions ------------------------------------------------------------------------

    def open_window(
        self, programme_id: str, window: str, year: int, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        opened: dict[str, Any] = self.call(
            "open_window",
            json={"programme_id": programme_id, "window": window, "year": year},
            idempotency_key=idempotency_key,
        ).json()
        return opened

    def load_calendar_year(
        self, year: int, *, holidays: list[str], workdays: list[str]
    ) -> dict[str, Any]:
        """Load a year's holidays and 调休 workdays, or correct a year there is: the year is read
        first and its ETag sent as If-Match, so a correction replaces exactly what was read."""
        try:
            etag = self.call("calendar_year", path={"year": year}).headers.get("ETag")
        except ApiProblem as problem:
            if problem.status != 404:
                raise
            etag = None
        loaded: dict[str, Any] = self.call(
            "load_calendar_year",
            path={"year": year},
            json={"holidays": holidays, "workdays": workdays},
            headers={"If-Match": etag} if etag else {},
        ).json()
        return loaded

    # --- notifications ----------------------------------------------------------------------

    def resend_delivery(
        self, delivery_id: str, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        delivery: dict[str, Any] = self.call(
            "resend_delivery", path={"delivery_id": delivery_id}, idempotency_key=idempotency_key
        ).json()
        return delivery
