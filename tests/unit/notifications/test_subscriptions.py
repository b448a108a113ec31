"""The consumer's subscriptions match the event catalogue: every topic it reads is a catalogued
topic (so it has its KafkaTopic and its AsyncAPI channel), every event it handles comes on a
topic it reads, and every route of a programme file names an event it handles (a route it
would silently ignore is refused when the consumer starts)."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications.consumers.handlers import TOPICS, Context, RoutingMisconfigured, handlers
from notifications.ledger import Links
from shared.events import default_catalog
from shared.programmes import load_programmes
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
