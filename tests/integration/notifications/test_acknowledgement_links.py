"""The acknowledgement link: a GET (a mail scanner, a WeCom or DingTalk link preview, the person
opening it) only shows a zh-CN page; the page's POST acknowledges once; the token never shows in
the access log or in the spans."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from notifications.api.app import create_app
from notifications.config import NotificationsSettings
from shared.events.submissions import MissingReporters
from tests.integration.notifications.support import SECRET, deadline_event, fetch, handle
from tests.support.polling import wait_for

PREVIEW_BOTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) wxwork/4.1.0 (MicroMessenger/6.2) WeChat/2.0.4",
    "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 DingTalk(7.0.40) Mobile",
    "Mozilla/5.0 (compatible; Barracuda Link Protection)",
)
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _link(dsn: str, region: str) -> tuple[str, str]:
    """A fresh reminder to one county bureau: its link's path and its event id."""
    envelope = deadline_event(
        -14, [MissingReporters(region_code=region, level="county", designation_ids=["Q1"])]
    )
    asyncio.run(handle(dsn, envelope))
    row = fetch(
        dsn, "SELECT payload->>'ack_url' AS url FROM deliveries WHERE event_id = $1", envelope.id
    )[0]
    return row["url"].removeprefix("http://testserver"), envelope.id


def _acknowledged(dsn: str, event_id: str) -> list[object]:
    rows = fetch(dsn, "SELECT acknowledged_at FROM deliveries WHERE event_id = $1", event_id)
    return [row["acknowledged_at"] for row in rows]


def test_a_preview_bot_fetching_the_link_changes_nothing(
    service: tuple[TestClient, str],
) -> None:
    client, dsn = service
    path, event_id = _link(dsn, "520111")
    for agent in PREVIEW_BOTS:
        page = client.get(path, headers={**BROWSER, "User-Agent": agent})
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert '<form method="post">' in page.text and "确认已知悉" in page.text
        assert "http" not in page.text.split("<body>")[1]  # nothing loaded from elsewhere
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in page.headers["content-security-policy"]
    described = client.get(path, headers={"User-Agent": PREVIEW_BOTS[0]}).json()
    assert described["acknowledged_at"] is None and described["region_code"] == "520111"
    assert _acknowledged(dsn, event_id) == [None]
    audit = "SELECT 1 FROM audit_log WHERE action = 'delivery.acknowledged' AND resource_id = $1"
    assert fetch(dsn, audit, described["delivery_id"]) == []


def test_the_post_acknowledges_once_and_a_repeat_says_so(service: tuple[TestClient, str]) -> None:
    client, dsn = service
    path, event_id = _link(dsn, "520112")
    first = client.post(path)
    assert first.status_code == 200, first.text
    assert first.json()["acknowledged"] == 1 and first.json()["already"] is False
    at = _acknowledged(dsn, event_id)
    assert at[0] is not None
    again = client.post(path)
    assert again.json()["acknowledged"] == 0 and again.json()["already"] is True
    assert _acknowledged(dsn, event_id) == at
    audit = fetch(
        dsn,
        "SELECT 1 FROM audit_log WHERE action = 'delivery.acknowledged' AND resource_id = $1",
        first.json()["delivery_id"],
    )
    assert len(audit) == 1
    page = client.post(path, headers=BROWSER)
    assert page.status_code == 200 and "此前已于" in page.text
    shown = client.get(path, headers=BROWSER)
    assert "<form" not in shown.text and "无需再次确认" in shown.text
    forged = client.post(path + "x", headers=BROWSER)
    assert forged.status_code == 401 and "链接无效" in forged.text


def test_the_token_is_in_no_span(
    service: tuple[TestClient, str], span_exporter: InMemorySpanExporter
) -> None:
    client, dsn = service
    path, _ = _link(dsn, "520113")
    token = path.rsplit("/", 1)[1]
    span_exporter.clear()
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200
    spans = span_exporter.get_finished_spans()
    server = [span for span in spans if span.name.startswith(("GET /ack", "POST /ack"))]
    assert {span.name for span in server} >= {
        "GET /acknowledgements/{token}",
        "POST /acknowledgements/{token}",
    }
    for span in spans:
        assert token not in span.name
        for value in (span.attributes or {}).values():
            assert token not in str(value), span.name
    targets = {str((span.attributes or {}).get("http.target")) for span in server}
    assert "/acknowledgements/{token}" in targets


@pytest.fixture
def served(service: tuple[TestClient, str], stack: object) -> Iterator[str]:
    """The same API behind a real uvicorn (whose access log is what production writes)."""
    client, _ = service
    settings: NotificationsSettings = client.app.state.settings  # type: ignore[attr-defined]
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_config=None, access_log=True
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, bool, seconds=30, message="uvicorn did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _access(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "uvicorn.access"]


def test_the_token_is_not_in_the_access_log(
    service: tuple[TestClient, str], served: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, dsn = service
    path, _ = _link(dsn, "520114")
    token = path.rsplit("/", 1)[1]
    # Another test's uvicorn may have set up its default logging, which stops "uvicorn.access"
    # from propagating to the root logger that caplog listens on: listen on it directly.
    access = logging.getLogger("uvicorn.access")
    access.addHandler(caplog.handler)
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        assert httpx.get(served + path).status_code == 200
        assert httpx.post(served + path).status_code == 200
        # the access line is written after the response, by the server's thread
        lines = wait_for(lambda: _access(caplog), lambda found: len(found) >= 2, seconds=10)
    access.removeHandler(caplog.handler)
    for record in caplog.records:
        assert token not in record.getMessage()
    assert any("/acknowledgements/{token}" in record.getMessage() for record in lines)
    assert SECRET not in caplog.text
