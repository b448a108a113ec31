"""The consumer's subscriptions match the event catalogue: every topic it reads is a catalogued
topic (so it has its KafkaTopic and its AsyncAPI channel), every event it handles comes on a
topic it reads, and every route of a programme file names an event it handles (a route it
would silently ignore is refused when the consumer starts)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from notifications.consumers.subscriptions import TOPICS, Context, RoutingMisconfigured, handlers
from notifications.domain.ack_tokens import Links
from shared.events import default_catalog
from shared.programmes import load_programmes
from shared.programmes.loader import ProgrammeFileError, parse_programme
from shared.programmes.notifications import NotificationPolicy, Route

LINKS = Links("unit-ack-secret", "http://testserver", dt.timedelta(days=30))


def _context() -> Context:
    return Context(load_programmes("shared/programmes"), LINKS)


def test_every_topic_read_is_a_catalogued_topic_and_every_handled_event_comes_on_one() -> None:
    catalogued = {event.event_type: event.topic for event in default_catalog().classes()}
    handled = handlers(_context())
    assert set(TOPICS) <= set(catalogued.values())
    for event_type in handled:
        assert event_type in catalogued, event_type
        assert catalogued[event_type] in TOPICS, event_type
    assert {catalogued[event_type] for event_type in handled} == set(TOPICS)


def test_every_route_of_the_shipped_programmes_is_handled() -> None:
    handled = handlers(_context())
    for programme in load_programmes("shared/programmes").values():
        for route in programme.notifications.routes:
            assert route.event in handled, (programme.id, route.event)


def test_a_route_for_an_event_the_consumer_does_not_handle_is_refused() -> None:
    programmes = load_programmes("shared/programmes")
    programme = next(iter(programmes.values()))
    bad = programme.model_copy(
        update={
            "notifications": NotificationPolicy(
                routes=(Route(event="submissions.window.opend", to=("city_bureau",)),)
            )
        }
    )
    with pytest.raises(RoutingMisconfigured, match=r"submissions\.window\.opend"):
        handlers(Context({programme.id: bad}, LINKS))


def test_a_programme_file_routing_to_an_unknown_channel_or_audience_is_refused() -> None:
    path = Path("shared/programmes/guizhou-shibaiqianwan-2023.yaml")
    text = path.read_text(encoding="utf-8")
    route = "{event: submissions.report.accepted, to: [operator], channels: [inbox, email]}"
    assert route in text
    with pytest.raises(ProgrammeFileError) as fax:
        parse_programme(
            text.replace("channels: [inbox, email]}", "channels: [inbox, fax]}"), path=path
        )
    assert fax.value.field is not None and fax.value.field.startswith("notifications.routes.")
    assert fax.value.field.endswith(".channels.1") and "'dingtalk'" in fax.value.reason
    with pytest.raises(ProgrammeFileError) as mayor:
        parse_programme(
            text.replace(
                "to: [operator], channels: [inbox, email]}",
                "to: [mayor], channels: [inbox, email]}",
            ),
            path=path,
        )
    assert mayor.value.field is not None and mayor.value.field.endswith(".to.0")
