"""Writes ``docs/asyncapi.yaml`` (AsyncAPI 3.0) from the event models.

``python -m shared.events.asyncapi docs/asyncapi.yaml`` (``make asyncapi``); a unit test fails
when the committed document differs from what the models say.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from shared.events import ALL_EVENTS
from shared.events.envelope import DomainEvent, EventEnvelope


def _message_name(event_class: type[DomainEvent]) -> str:
    return f"{event_class.__name__}V{event_class.event_version}"


def _channel_name(topic: str) -> str:
    head, *rest = topic.split(".")
    return head + "".join(part.capitalize() for part in rest)


def _owner(topic: str) -> str:
    return topic.split(".", 1)[0]


CLOUDEVENTS_REQUIRED = ("id", "source", "specversion", "type")


def _envelope_schema(payload_ref: str, cloudevents_type: str) -> dict[str, Any]:
    schema = EventEnvelope.model_json_schema()
    properties = dict(schema["properties"])
    properties["type"] = {"type": "string", "const": cloudevents_type}
    properties["data"] = {"$ref": payload_ref}
    properties["source"] = {
        "type": "string",
        "format": "uri-reference",
        "description": "The deployment and service that wrote the event: "
        "`<EVENT_SOURCE_BASE>/<service>`, e.g. `https://ecom.swt.guizhou.gov.cn/awards` "
        "(default base `/ecom`). (source, id) identifies an event.",
    }
    for name in ("traceparent", "tracestate"):
        properties[name] = {
            "type": "string",
            "description": "CloudEvents distributed tracing extension: the W3C trace context "
            "of the request or process that wrote the event; absent when it had none. The "
            f"Kafka header `{name}` carries the same value.",
        }
    # CloudEvents 1.0 requires id and specversion; the model fills them by default, so its
    # schema calls them optional, but every published envelope carries both.
    required = {*schema.get("required", []), *CLOUDEVENTS_REQUIRED}
    return {
        "type": "object",
        "description": "CloudEvents 1.0 structured-mode envelope with W3C trace context",
        "required": [name for name in properties if name in required],
        "properties": properties,
    }


KAFKA_HEADERS = {
    "type": "object",
    "properties": {
        "content-type": {"type": "string", "const": "application/cloudevents+json; charset=utf-8"},
        "traceparent": {
            "type": "string",
            "description": "W3C trace context of the writer, the same as the envelope's",
        },
        "tracestate": {"type": "string", "description": "The same as the envelope's"},
    },
    "required": ["content-type"],
    "additionalProperties": False,
}

BINDING = (
    "Every message follows the CloudEvents Kafka protocol binding 1.0 in **structured content "
    "mode**: the record's value is the whole CloudEvent in the JSON event format (UTF-8), its "
    "`content-type` header is `application/cloudevents+json; charset=utf-8`, and no header "
    "starts with `ce_` (a reader such as the CloudEvents SDKs' `from_kafka` would take one for "
    "binary mode). The record's key is the event's `subject` (the aggregate id), which keeps "
    "each entity's events in order on one partition. Read a record with any CloudEvents SDK "
    "(Python: `cloudevents.core.bindings.kafka.from_structured_event` or `from_kafka_event`) "
    "or as plain JSON; route on the envelope's `type` (`<event>.v<version>`)."
)


def build_document(events: tuple[type[DomainEvent], ...] = ALL_EVENTS) -> dict[str, Any]:
    by_topic: dict[str, list[type[DomainEvent]]] = defaultdict(list)
    for event_class in events:
        by_topic[event_class.topic].append(event_class)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for topic in sorted(by_topic):
        channel = _channel_name(topic)
        channel_messages = {}
        for event_class in sorted(by_topic[topic], key=lambda c: c.cloudevents_type()):
            name = _message_name(event_class)
            payload_schema = event_class.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            for definition_name, definition in payload_schema.pop("$defs", {}).items():
                schemas[definition_name] = definition
            schemas[name] = payload_schema
            messages[name] = {
                "name": event_class.cloudevents_type(),
                "title": event_class.__name__,
                "summary": event_class.summary or event_class.__doc__ or "",
                "contentType": "application/cloudevents+json",
                "correlationId": {"location": "$message.payload#/subject"},
                "headers": KAFKA_HEADERS,
                "payload": _envelope_schema(
                    f"#/components/schemas/{name}", event_class.cloudevents_type()
                ),
                "bindings": {
                    "kafka": {"key": {"type": "string", "description": event_class.aggregate_field}}
                },
            }
            channel_messages[name] = {"$ref": f"#/components/messages/{name}"}
        channels[channel] = {
            "address": topic,
            "description": f"Events of the {topic} aggregate, keyed by aggregate id. "
            "Deployments may prefix topic names (KAFKA_TOPIC_PREFIX).",
            "messages": channel_messages,
        }
        refs = [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in channel_messages]
        operations[f"{_owner(topic)}Publishes{channel[0].upper()}{channel[1:]}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"The {_owner(topic)} service publishes through its transactional outbox.",
            "messages": refs,
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "E-commerce programmes: domain events",
            "version": "1.0.0",
            "description": "Events exchanged by the registry, submissions, awards and "
            "notifications services and offered to other government systems. Generated from "
            "the pydantic models in shared/src/shared/events; do not edit by hand.\n\n"
            f"{BINDING}\n\n"
            "Personal data: events carry what identifies a record (names, credit codes, shop "
            "ids, regions; an individual store owner's name) but never contact channels "
            "(phone, e-mail) or personal ID numbers. An update of such a field names it in "
            "`personal_data_changed`, without old or new values; read the record through the "
            "API (which masks it for callers who do not administer its region) if needed.",
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "local": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "The local stack (make up)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def render() -> str:
    return yaml.safe_dump(build_document(), allow_unicode=True, sort_keys=False, width=100)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "docs/asyncapi.yaml")
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
