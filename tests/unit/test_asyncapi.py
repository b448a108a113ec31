"""The committed AsyncAPI document matches the event models."""

from pathlib import Path

from shared.events import ALL_EVENTS
from shared.events.asyncapi import build_document, render

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


def test_committed_asyncapi_document_is_current() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "docs/asyncapi.yaml is stale: run `make asyncapi` and commit the result"
    )


def test_every_event_type_and_version_has_a_message() -> None:
    document = build_document()
    names = {message["name"] for message in document["components"]["messages"].values()}
    assert names == {event.cloudevents_type() for event in ALL_EVENTS}
    assert document["asyncapi"] == "3.0.0"


def test_every_envelope_requires_the_cloudevents_attributes() -> None:
    document = build_document()
    for message in document["components"]["messages"].values():
        required = message["payload"]["required"]
        assert {"id", "specversion", "source", "type", "subject", "time", "data"} <= set(required)
