"""A worker module as a service names one (``TASK_QUEUE``, ``WORKFLOWS``, ``activities``), for
the worker-role test; the workflow and activity are the tracing test's echo."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from shared.settings import ServiceSettings
from tests.integration.temporal_echo import EchoWorkflow, echo

TASK_QUEUE = f"worker-role-{uuid.uuid4().hex[:8]}"
WORKFLOWS = [EchoWorkflow]


async def activities(settings: ServiceSettings, pool: asyncpg.Pool) -> Sequence[Callable[..., Any]]:
    return [echo]
