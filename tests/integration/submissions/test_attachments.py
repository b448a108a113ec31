"""Attachments (the written development report, 发展情况) on real PostgreSQL: stored once by
content, size-capped, type-checked by content, read only within the report's scope."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from submissions.api.app import create_app
from submissions.config import SubmissionsSettings
from tests.integration.submissions.conftest import (
    Clock,
    open_window_with_two_reporters,
    window_id,
)

W = window_id(2025)
Auth = Callable[..., dict[str, str]]
BASE = f"/v1/windows/{W}/reports/D1/attachments"
PDF = b"%PDF-1.7\n" + "发展情况报告".encode() * 100
LIMIT = 4096


def reporter(auth: Auth, entity: str) -> dict[str, str]:
    return auth("operator", None, enterprise_ids=[entity], subject=f"user-{entity}")


@pytest.fixture(scope="module")
def api(
    submissions_settings: Callable[..., SubmissionsSettings], clock: Clock
) -> Iterator[TestClient]:
    app = create_app(submissions_settings(attachment_max_bytes=LIMIT))
    app.state.clock = clock
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module", autouse=True)
def opened(api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock) -> None:
    open_window_with_two_reporters(api, auth, designate, clock)


def upload(
    api: TestClient, headers: dict[str, str], content: bytes, content_type: str
) -> tuple[int, dict[str, object]]:
    response = api.post(
        f"{BASE}?filename=发展情况.pdf",
        content=content,
        headers={**headers, "Content-Type": content_type},
    )
    return response.status_code, response.json()


def test_an_attachment_is_stored_once_by_content_and_read_in_scope(
    api: TestClient, auth: Auth
) -> None:
    me = reporter(auth, "E-D1")
    status, stored = upload(api, me, PDF, "application/pdf")
    assert status == 201, stored
    assert stored["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert stored["size_bytes"] == len(PDF) and stored["filename"] == "发展情况.pdf"
    # The same content again: the same attachment, not a second one.
    assert upload(api, me, PDF, "application/pdf")[0] == 201
    listed = api.get(BASE, headers=me).json()["items"]
    assert [a["sha256"] for a in listed] == [stored["sha256"]]

    content = api.get(f"{BASE}/{stored['sha256']}", headers=me)
    assert content.status_code == 200 and content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    city = api.get(f"{BASE}/{stored['sha256']}", headers=auth("city_bureau", "520100"))
    assert city.status_code == 200
    for outsider in (reporter(auth, "E-D2"), auth("city_bureau", "520300")):
        assert api.get(f"{BASE}/{stored['sha256']}", headers=outsider).status_code == 404
        assert api.get(BASE, headers=outsider).status_code == 404
        assert upload(api, outsider, PDF, "application/pdf")[0] == 404
    # Attaching before the first submission does not count as submitting.
    completeness = api.get(f"/v1/windows/{W}/completeness", headers=auth()).json()
    assert completeness["province"]["submitted"] == 0


def test_size_and_type_are_checked(api: TestClient, auth: Auth) -> None:
    me = reporter(auth, "E-D1")
    assert upload(api, me, b"%PDF-" + b"x" * LIMIT, "application/pdf")[0] == 413
    assert upload(api, me, b"MZ\x90\x00 an executable", "application/pdf")[0] == 422
    assert upload(api, me, b"#!/bin/sh\n", "application/x-sh")[0] == 415
    assert upload(api, me, b"", "application/pdf")[0] == 422
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    assert upload(api, me, png, "image/png")[0] == 201
