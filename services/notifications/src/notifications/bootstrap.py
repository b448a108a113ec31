"""What each process of the service is built from, built once: the settings, the programmes,
the consumer's context, the sender's pool, HTTP client and channels and its watch of the
working-day calendar; and the roles
``python -m notifications api|relay|consumer|sender|migrate`` run.

The API's pool and settings are the app factory's (``api/app.py``, lifespan), which its routes
read through ``api/deps.py``. The consumer's handlers and the sender get what they need from
here: neither reads settings or the environment itself. A role's own modules load only when
that role runs (the channels' clients for the sender, the templates for the consumer)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from notifications.domain.ack_tokens import Links
from shared.db.pool import close_pool, create_pool
from shared.messaging.consumer import Handler
from shared.programmes import Programme
from shared.programmes.catalogue import ProgrammeCatalogue
from shared.service.entrypoints import (
    configure_logging,
    consumer_role,
    service_roles,
    stop_event_on_signals,
)
from shared.service.liveness import Heartbeat, liveness_endpoint
from shared.telemetry import setup_telemetry

if TYPE_CHECKING:
    import asyncpg
    import httpx

    from notifications.channels.base import Channel
    from notifications.handlers.notices import Context
    from notifications.sender import Sender
    from notifications.sender.calendar_watch import CalendarWatch

# How long a message's acknowledgement link stays valid when its programme does not say
# (reminders use the programme's ``acknowledgement_days``).
ACK_LINK_LIFETIME = dt.timedelta(days=30)


def ack_links(settings: NotificationsSettings) -> Links:
    return Links(
        settings.ack_secret.get_secret_value(), settings.public_base_url, ACK_LINK_LIFETIME
    )


def consumer_context(
    settings: NotificationsSettings, programmes: Mapping[str, Programme] | None = None
) -> Context:
    """What the consumer's handlers share; the programmes are the files unless given (the
    consumer role gives its live catalogue, which takes revisions without a restart)."""
    from notifications.handlers.notices import Context

    loaded = (
        ProgrammeCatalogue.from_files(settings.programmes_dir) if programmes is None else programmes
    )
    return Context(loaded, ack_links(settings))


def consumer_handlers(
    settings: NotificationsSettings, programmes: Mapping[str, Programme] | None = None
) -> dict[str, Handler]:
    """The consumer's table of handlers, checked against the programmes and the templates."""
    from notifications.consumers.subscriptions import handlers

    return handlers(consumer_context(settings, programmes))


async def consumer_process(settings: NotificationsSettings) -> None:
    """The consumer with its programme catalogue, kept current while it runs."""
    from notifications.consumers.subscriptions import TOPICS

    programmes = ProgrammeCatalogue.from_files(settings.programmes_dir)
    async with programmes.kept_current(settings.database_url, settings.programme_refresh_seconds):
        await consumer_role(settings, TOPICS, consumer_handlers(settings, programmes))


def build_channels(
    settings: NotificationsSettings, client: httpx.AsyncClient
) -> dict[str, Channel]:
    from notifications.channels.email import EmailChannel
    from notifications.channels.robots import DingTalkRobot, WeComRobot
    from notifications.channels.sms import AliyunSms, SmsChannel
    from notifications.channels.webhook import WebhookChannel

    inbox_url = settings.public_base_url.rstrip("/") + "/v1/inbox"
    sms = None
    if settings.sms_access_key_id and settings.sms_access_key_secret:
        sms = AliyunSms(
            client,
            endpoint=settings.sms_endpoint,
            access_key_id=settings.sms_access_key_id,
            access_key_secret=settings.sms_access_key_secret.get_secret_value(),
            sign_name=settings.sms_sign_name,
            template_code=settings.sms_template_code,
        )
    return {
        "webhook": WebhookChannel(client),
        "wecom": WeComRobot(client, inbox_url),
        "dingtalk": DingTalkRobot(client, inbox_url),
        "sms": SmsChannel(sms),
        "email": EmailChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            security=settings.smtp_security,
            ca_file=settings.smtp_ca_file,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        ),
    }


def sender_for(
    pool: asyncpg.Pool, settings: NotificationsSettings, channels: dict[str, Channel]
) -> Sender:
    from notifications.sender import Sender

    return Sender(
        pool,
        channels,
        concurrency=settings.sender_concurrency,
        batch_size=settings.sender_batch_size,
        max_attempts=settings.webhook_max_attempts,
        retry_initial=settings.retry_initial_seconds,
        retry_max=settings.retry_max_seconds,
        robot_per_minute=settings.robot_messages_per_minute,
        throttle_hold=settings.robot_throttle_hold_seconds,
        allow_private=settings.allow_private_endpoints,
        per_endpoint=settings.sender_per_endpoint,
    )


def calendar_watch(
    pool: asyncpg.Pool,
    settings: NotificationsSettings,
    clock: Callable[[], dt.datetime] | None = None,
) -> CalendarWatch:
    """The sender's watch of the working-day calendar, with the programme files (whose
    provinces are told), its own calendar and the clock (the wall clock unless given)."""
    from notifications.domain.calendar_notice import KIND
    from notifications.domain.rendering import check_templates
    from notifications.sender.calendar_watch import CalendarWatch, utc_now
    from shared.working_days import WorkingDayCalendar

    check_templates((KIND,))
    return CalendarWatch(
        pool,
        WorkingDayCalendar(),
        ProgrammeCatalogue.from_files(settings.programmes_dir),
        ack_links(settings),
        clock=clock or utc_now,
        every_seconds=settings.calendar_check_seconds,
    )


def sender_limits(settings: NotificationsSettings) -> httpx.Limits:
    """As many connections kept alive as the sender may have open: with httpx's default (20)
    below its concurrency (64), every send beyond the twentieth closed its connection after
    the answer and the next opened one again (a TCP and TLS handshake per delivery)."""
    import httpx

    return httpx.Limits(
        max_connections=settings.sender_concurrency,
        max_keepalive_connections=settings.sender_concurrency,
    )


async def sender_role(settings: NotificationsSettings, stop: asyncio.Event | None = None) -> None:
    """The sender process: its liveness probe (``GET /livez`` on
    ``NOTIFICATIONS_LIVENESS_PORT``, like the relay), its pool and HTTP client, the loop and,
    beside it, the watch of the working-day calendar, until ``stop`` (SIGTERM/SIGINT by
    default)."""
    from notifications.channels.egress import egress_client

    stop = stop or stop_event_on_signals()
    heartbeat = Heartbeat(settings.liveness_timeout_seconds)
    pool = await create_pool(settings.database_url, min_size=1, max_size=8)
    limits = sender_limits(settings)
    try:
        async with (
            liveness_endpoint(heartbeat, settings.http_host, settings.liveness_port),
            egress_client(allow_private=settings.allow_private_endpoints, limits=limits) as client,
        ):
            sender = sender_for(pool, settings, build_channels(settings, client))
            watch = asyncio.create_task(calendar_watch(pool, settings).run(stop))
            try:
                await sender.run(stop, heartbeat.beat, settings.sender_poll_interval_seconds)
            finally:
                stop.set()
                await watch
    finally:
        await close_pool(pool)


def run_sender(settings: NotificationsSettings) -> None:
    configure_logging()
    setup_telemetry(settings.service_name)
    asyncio.run(sender_role(settings))


def roles(settings: NotificationsSettings | None = None) -> dict[str, Callable[[], None]]:
    """Every role of the service, built on one settings object (read from the environment
    here unless given)."""
    resolved = settings or NotificationsSettings()

    def consumer() -> None:
        configure_logging()
        setup_telemetry(resolved.service_name)
        asyncio.run(consumer_process(resolved))

    return {
        **service_roles(
            resolved, migrations_dir=MIGRATIONS_DIR, app_factory="notifications.api.app:create_app"
        ),
        "consumer": consumer,
        "sender": lambda: run_sender(resolved),
    }
