"""``/docs`` and ``/redoc`` work on a network without the internet: every script, style and
icon they load is served by the service itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tests.unit.shared.test_openapi_document import APPS

CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    # Swagger UI's initializer names its assets in script text, not only in tags.
    quoted = re.findall(r"""['"](https?://[^'"]+|/[^'"\s]+\.(?:js|css|png))['"]""", html)
    return parser.urls + quoted


@pytest.fixture(scope="module", params=sorted(APPS))
def client(request: pytest.FixtureRequest) -> TestClient:
    return TestClient(APPS[request.param]())  # no lifespan: nothing connects


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_from_the_service(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    urls = references(response.text)
    assert urls, "the page names its assets"
    assert not [url for url in urls if "://" in url or url.startswith("//")], urls
    assets = [url for url in urls if url.endswith(tuple(CONTENT_TYPES))]
    assert assets
    for url in assets:
        answer = client.get(url)
        assert answer.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert CONTENT_TYPES[suffix] in answer.headers["content-type"], url
        assert answer.content


def test_the_docs_page_names_the_document_and_no_public_validator(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "/openapi.json" in html
    assert '"validatorUrl": null' in html
