"""Who writes and reads which Kafka topic, read from the code (not from the manifests).

- A service writes the topics of the event classes its own source constructs (its outbox, sent
  by its relay), ``audit.checkpoint`` (every relay runs the audit chain's auditor,
  ``shared.audit.checkpoint``) and, when it runs a consumer, its dead-letter topic.
- A service reads the topics its consumer is wired with (``service_roles(consumer_module=…)``'s
  ``TOPICS``, or the topics a ``run_consumer``/``consumer_role`` call of the service passes), in
  the consumer group named after the service (``ServiceSettings.consumer_group``).
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
from typing import Any

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


def _service_files(service: str) -> list[Path]:
    return sorted((SERVICES_DIR / service / "src").rglob("*.py"))


def _module_name(service: str, path: Path) -> str:
    relative = path.relative_to(SERVICES_DIR / service / "src").with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.Module) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, attribute) of every import in a file, functions' included."""
    names: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
    return names


def _resolve(expression: ast.expr, imports: dict[str, tuple[str, str | None]], here: str) -> Any:
    """The value of a name (``TOPICS``) or attribute (``designations.TOPICS``) in a file."""
    if isinstance(expression, ast.Name):
        if expression.id not in imports:
            return getattr(importlib.import_module(here), expression.id)
        module, attribute = imports[expression.id]
        if attribute is None:
            return importlib.import_module(module)
        try:
            return importlib.import_module(f"{module}.{attribute}")
        except ModuleNotFoundError:
            return getattr(importlib.import_module(module), attribute)
    if isinstance(expression, ast.Attribute):
        return getattr(_resolve(expression.value, imports, here), expression.attr)
    raise ValueError(f"cannot read the topics from {ast.dump(expression)}")


def consumer_modules(service: str) -> list[str]:
    """Where the service wires its consumer: the ``consumer_module="…"`` given to
    ``service_roles``, or the module whose ``run_consumer``/``consumer_role`` call it makes."""
    found = []
    for path in _service_files(service):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "consumer_module":
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    found.append(node.value.value)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                "run_consumer",
                "consumer_role",
            ):
                found.append(_module_name(service, path))
    return found


def consumer_module(service: str) -> str | None:
    modules = consumer_modules(service)
    return modules[0] if modules else None


def consumed_topics(service: str) -> frozenset[str]:
    """The topics the service's consumer subscribes to, read where it is wired."""
    topics: set[str] = set()
    for path in _service_files(service):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = _imports(tree)
        here = _module_name(service, path)
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "consumer_module":
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    topics |= set(importlib.import_module(node.value.value).TOPICS)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                "run_consumer",
                "consumer_role",
            ):
                given = [k.value for k in node.keywords if k.arg == "topics"] or node.args[1:2]
                (expression,) = given
                topics |= set(_resolve(expression, imports, here))
    return frozenset(topics)


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
