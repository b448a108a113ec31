"""Who writes and reads which Kafka topic, read from the code (not from the manifests).

- A service writes the topics of the event classes its own source constructs (its outbox, sent
  by its relay), ``audit.checkpoint`` (every relay runs the audit chain's auditor,
  ``shared.audit.checkpoint``) and, when it runs a consumer, its dead-letter topic.
- A service reads the ``TOPICS`` of the consumer module its ``__main__`` names, in the consumer
  group named after the service (``ServiceSettings.consumer_group``).
- The topics of event classes no service constructs come from outside systems, named by the
  topic's first segment (``credit.record``: the credit system; ``finance.payment``: finance).
"""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from shared.events import ALL_EVENTS
from shared.events.audit import AuditCheckpointRecorded
from shared.messaging.consumer import dead_letter_topic

ROOT = Path(__file__).resolve().parents[3]
SERVICES_DIR = ROOT / "services"


@dataclass(frozen=True)
class Access:
    writes: frozenset[str]
    reads: frozenset[str] = frozenset()
    groups: frozenset[str] = field(default_factory=frozenset)


def services() -> list[str]:
    return sorted(
        path.parent.name
        for path in SERVICES_DIR.glob("*/src/*/__main__.py")
        if path.parent.name == path.parents[2].name
    )


def _main_module(service: str) -> ast.Module:
    path = SERVICES_DIR / service / "src" / service / "__main__.py"
    return ast.parse(path.read_text(encoding="utf-8"))


def consumer_module(service: str) -> str | None:
    """The ``consumer_module="…"`` the service's ``__main__`` passes to ``service_roles``."""
    for node in ast.walk(_main_module(service)):
        if isinstance(node, ast.keyword) and node.arg == "consumer_module":
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return None


def consumed_topics(service: str) -> frozenset[str]:
    module = consumer_module(service)
    if module is None:
        return frozenset()
    return frozenset(importlib.import_module(module).TOPICS)


def consumer_group(service: str) -> str:
    """``ServiceSettings.consumer_group`` without a topic prefix: the service's name."""
    config = importlib.import_module(f"{service}.config")
    (settings_class,) = [
        value
        for name, value in vars(config).items()
        if name.endswith("Settings") and getattr(value, "__module__", "") == config.__name__
    ]
    name: str = settings_class.model_fields["service_name"].default
    return name


@cache
def _source(service: str) -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted((SERVICES_DIR / service / "src").rglob("*.py"))
    )


def constructed_topics(service: str) -> frozenset[str]:
    text = _source(service)
    return frozenset(
        event.topic for event in ALL_EVENTS if re.search(rf"\b{event.__name__}\(", text)
    )


def service_access(service: str) -> Access:
    reads = consumed_topics(service)
    writes = set(constructed_topics(service)) | {AuditCheckpointRecorded.topic}
    groups = set()
    if reads:
        writes.add(dead_letter_topic("", service))
        groups.add(consumer_group(service))
    return Access(frozenset(writes), reads, frozenset(groups))


def external_topics() -> dict[str, frozenset[str]]:
    """Topics written by no service, by the outside system that owns them (first segment)."""
    written = set().union(*(service_access(s).writes for s in services()))
    outside: dict[str, set[str]] = {}
    for event in ALL_EVENTS:
        if event.topic not in written:
            outside.setdefault(event.topic.split(".", 1)[0], set()).add(event.topic)
    return {owner: frozenset(topics) for owner, topics in outside.items()}
