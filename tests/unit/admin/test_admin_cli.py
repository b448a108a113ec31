"""``ecom-admin`` against mocked services (``httpx.MockTransport``): what each command sends
(path, token, Idempotency-Key, body), what it shows, and its exit status."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from shared.admin.cli import Wiring, app

TOKEN = "tok-123"
JOB_ID = "6f1c2a52-1d8e-4c1e-9a57-3d1f2f1b0a01"
Handler = Callable[[httpx.Request], httpx.Response]


def job(status: str, processed: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": JOB_ID,
        "kind": "stores",
        "mode": "good_rows",
        "status": status,
        "committed": status == "succeeded",
        "file_name": "stores.csv",
        "file_sha256": "0" * 64,
        "total_rows": 3,
        "processed_rows": processed,
        "progress": processed / 3,
        "loaded_rows": processed,
        "skipped_rows": 0,
        "error_rows": 0,
        "errors_total": 0,
        "errors": [],
        "failure": None,
        **extra,
    }


def problem(status: int, title: str, detail: str) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"content-type": "application/problem+json"},
        json={"type": "about:blank", "title": title, "status": status, "detail": detail},
    )


class Recorder:
    """The requests seen, answered by ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.read())
        self.requests.append(request)
        return self.handler(request)


def run(recorder: Recorder, *args: str, replay: Any = None) -> Any:
    wiring = Wiring(transport=httpx.MockTransport(recorder), sleep=lambda _s: None)
    if replay is not None:
        wiring.replay = replay
    return CliRunner().invoke(app, ["--token", TOKEN, *args], obj=wiring)


@pytest.fixture
def stores_csv(tmp_path: Path) -> Path:
    path = tmp_path / "stores.csv"
    path.write_text("店铺名称,平台\n一号店,淘宝\n二号店,京东\n三号店,拼多多\n", encoding="utf-8")
    return path


def test_import_uploads_the_file_and_follows_the_job_to_its_end(stores_csv: Path) -> None:
    reads = iter([job("running", 2), job("succeeded", 3)])

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json=job("queued", 0))
        return httpx.Response(200, json=next(reads))

    recorder = Recorder(answer)
    result = run(recorder, "imports", "run", "stores", str(stores_csv), "--mode", "good_rows")

    assert result.exit_code == 0, result.output
    upload = recorder.requests[0]
    assert upload.method == "POST"
    assert upload.url.path == "/v1/imports/stores"
    assert upload.url.params["mode"] == "good_rows"
    assert upload.url.params["file_name"] == "stores.csv"
    assert upload.headers["authorization"] == f"Bearer {TOKEN}"
    assert upload.headers["content-type"] == "text/csv"
    assert upload.headers["idempotency-key"]
    assert recorder.bodies[0] == stores_csv.read_bytes()
    assert [r.url.path for r in recorder.requests[1:]] == [f"/v1/import-jobs/{JOB_ID}"] * 2
    assert all("idempotency-key" not in r.headers for r in recorder.requests[1:])
    assert "succeeded" in result.output
    assert "loaded 3" in result.output


def test_an_xlsx_file_is_sent_as_xlsx(tmp_path: Path) -> None:
    workbook = tmp_path / "residents.xlsx"
    workbook.write_bytes(b"PK\x03\x04not really")
    recorder = Recorder(lambda _r: httpx.Response(200, json=job("succeeded", 3)))

    result = run(recorder, "imports", "run", "residents", str(workbook))

    assert result.exit_code == 0, result.output
    assert (
        recorder.requests[0]
        .headers["content-type"]
        .startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    assert recorder.requests[0].url.params["mode"] == "dry_run"


def test_a_rejected_import_exits_1_with_its_counts(stores_csv: Path) -> None:
    ended = job("rejected", 3, loaded_rows=0, error_rows=1)
    recorder = Recorder(lambda _r: httpx.Response(200, json=ended))

    result = run(recorder, "imports", "run", "stores", str(stores_csv), "--mode", "all_or_nothing")

    assert result.exit_code == 1
    assert "rejected" in result.output
    assert "bad 1" in result.output


def test_a_refused_upload_prints_the_problem_and_exits_1(stores_csv: Path) -> None:
    recorder = Recorder(lambda _r: problem(413, "Payload Too Large", "文件超过 200 MiB"))

    result = run(recorder, "imports", "run", "stores", str(stores_csv))

    assert result.exit_code == 1
    assert "413" in result.output
    assert "文件超过 200 MiB" in result.output


def test_an_unknown_import_kind_is_a_usage_error(stores_csv: Path) -> None:
    recorder = Recorder(lambda _r: httpx.Response(500))

    result = run(recorder, "imports", "run", "shops", str(stores_csv))

    assert result.exit_code == 2
    assert recorder.requests == []


def test_resend_posts_each_delivery_and_exits_1_if_one_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/d-1/resend"):
            return httpx.Response(200, json={"id": "d-1", "status": "queued", "channel": "email"})
        return problem(409, "Conflict", "the delivery is sent")

    recorder = Recorder(answer)
    result = run(recorder, "deliveries", "resend", "d-1", "d-2")

    assert result.exit_code == 1
    assert [r.url.path for r in recorder.requests] == [
        "/v1/deliveries/d-1/resend",
        "/v1/deliveries/d-2/resend",
    ]
    assert all(r.url.host == "127.0.0.1" and r.url.port == 8004 for r in recorder.requests)
    assert all(r.headers["idempotency-key"] for r in recorder.requests)
    assert "d-1: queued (email)" in result.output
    assert "the delivery is sent" in result.output


def test_open_window_posts_the_programme_window_and_year() -> None:
    opened = {
        "id": "guizhou-2023:annual-report:2026",
        "status": "open",
        "due_at": "2026-12-10T16:00:00Z",
        "locks_at": "2026-12-31T16:00:00Z",
    }
    recorder = Recorder(lambda _r: httpx.Response(201, json=opened))

    result = run(
        recorder,
        "--submissions-url",
        "http://submissions.test:9002",
        "windows",
        "open",
        "guizhou-2023",
        "annual-report",
        "2026",
    )

    assert result.exit_code == 0, result.output
    [request] = recorder.requests
    assert str(request.url) == "http://submissions.test:9002/v1/windows"
    assert json.loads(recorder.bodies[0]) == {
        "programme_id": "guizhou-2023",
        "window": "annual-report",
        "year": 2026,
    }
    assert "guizhou-2023:annual-report:2026: open" in result.output


def test_progress_shows_each_target_and_area() -> None:
    progress = {
        "programme_id": "guizhou-2023",
        "year": 2026,
        "as_of": "2026-12-06",
        "targets": [
            {
                "id": "stores",
                "name": "网店数量",
                "comparison": "at_least",
                "target": "1000",
                "unit": "store",
                "current": "750",
                "share_met": "0.75",
                "met": False,
                "by_area": [
                    {"region_code": "520100", "name": "贵阳市", "current": "400"},
                ],
            }
        ],
    }
    recorder = Recorder(lambda _r: httpx.Response(200, json=progress))

    result = run(recorder, "--lang", "en", "programmes", "progress", "guizhou-2023", "--by", "city")

    assert result.exit_code == 0, result.output
    [request] = recorder.requests
    assert request.url.path == "/v1/programmes/guizhou-2023/progress"
    assert request.url.params["by"] == "city"
    assert request.headers["accept-language"] == "en"
    assert "网店数量" in result.output
    assert "75.0%" in result.output
    assert "520100" in result.output


def test_dlq_replay_runs_ecom_dlq_with_every_further_option() -> None:
    calls: list[list[str]] = []
    recorder = Recorder(lambda _r: httpx.Response(500))
    result = run(
        recorder,
        "dlq",
        "replay",
        "--consumer",
        "notifications",
        "--bootstrap-servers",
        "kafka:9093",
        "--topic-prefix",
        "prod.",
        "--security-protocol",
        "SASL_SSL",
        replay=calls.append,
    )

    assert result.exit_code == 0, result.output
    assert calls == [
        [
            "replay",
            "--consumer",
            "notifications",
            "--bootstrap-servers",
            "kafka:9093",
            "--topic-prefix",
            "prod.",
            "--security-protocol",
            "SASL_SSL",
        ]
    ]
    assert recorder.requests == []


def test_dlq_replay_is_ecom_dlq_itself() -> None:
    """Without a stand-in, the command runs ``ecom-dlq``'s own entry point."""
    from shared.admin.cli import Wiring as RealWiring
    from shared.messaging import dlq_cli

    assert RealWiring().replay is dlq_cli.main


def test_a_command_that_calls_a_service_needs_a_token() -> None:
    recorder = Recorder(lambda _r: httpx.Response(200, json={}))
    wiring = Wiring(transport=httpx.MockTransport(recorder))

    result = CliRunner(env={"ECOM_TOKEN": ""}).invoke(
        app, ["windows", "open", "p", "w", "2026"], obj=wiring
    )

    assert result.exit_code == 2
    assert "ECOM_TOKEN" in result.output
    assert recorder.requests == []


def test_calendar_load_reads_the_year_first_and_replaces_what_it_read(tmp_path: Path) -> None:
    year_file = tmp_path / "2027.yaml"
    year_file.write_text("holidays: [2027-01-01, 2027-02-06]\nworkdays: [2027-02-14]\n")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"year": 2027}, headers={"ETag": '"0"'})
        return httpx.Response(200, json=json.loads(request.content))

    recorder = Recorder(answer)
    result = run(
        recorder, "--registry-url", "http://registry.test:9001", "calendar", "load", "2027",
        str(year_file),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    get, put = recorder.requests
    assert (get.method, str(get.url)) == ("GET", "http://registry.test:9001/v1/calendars/2027")
    assert put.method == "PUT" and put.headers["If-Match"] == '"0"'
    assert json.loads(recorder.bodies[1]) == {
        "holidays": ["2027-01-01", "2027-02-06"],
        "workdays": ["2027-02-14"],
    }
    assert "2027: 2 holidays, 1 workdays loaded" in result.output


def test_calendar_load_of_a_year_there_is_none_of_sends_no_if_match(tmp_path: Path) -> None:
    year_file = tmp_path / "2088.json"
    year_file.write_text('{"holidays": ["2088-01-01"], "workdays": []}')

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(404, json={"title": "Not found"})
        return httpx.Response(201, json=json.loads(request.content))

    recorder = Recorder(answer)
    result = run(recorder, "calendar", "load", "2088", str(year_file))

    assert result.exit_code == 0, result.output
    assert "If-Match" not in recorder.requests[1].headers
