"""The registry's Kafka consumer: it keeps each entity's demonstration status
(``designations``) and the published statistics that measure targets (``statistics``)."""

from __future__ import annotations

from registry.consumers import designations, statistics
from shared.messaging.consumer import Handler

TOPICS = designations.TOPICS + statistics.TOPICS


def handlers() -> dict[str, Handler]:
    return {**designations.handlers(), **statistics.handlers()}
