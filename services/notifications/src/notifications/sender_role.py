"""Wiring of the ``sender`` role: the channels built from settings, the liveness probe
(``GET /livez`` on ``NOTIFICATIONS_LIVENESS_PORT``, like the relay), and the loop."""

from __future__ import annotations

import asyncio

import httpx

from notifications.channels.base import Channel
from notifications.channels.email import EmailChannel
from notifications.channels.robots import DingTalkRobot, WeComRobot
from notifications.channels.sms import AliyunSms, SmsChannel
from notifications.channels.webhook import WebhookChannel
from notifications.config import NotificationsSettings
from notifications.egress import egress_client
from notifications.sender import Sender
from shared.db.pool import close_pool, create_pool
from shared.service.entrypoints import configure_logging, stop_event_on_signals
from shared.service.liveness import Heartbeat, liveness_endpoint
from shared.telemetry import setup_telemetry


def build_channels(
    settings: NotificationsSettings, client: httpx.AsyncClient
) -> dict[str, Channel]:
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
    pool: object, settings: NotificationsSettings, channels: dict[str, Channel]
) -> Sender:
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


async def sender_role(settings: NotificationsSettings, stop: asyncio.Event | None = None) -> None:
    stop = stop or stop_event_on_signals()
    heartbeat = Heartbeat(settings.liveness_timeout_seconds)
    pool = await create_pool(settings.database_url, min_size=1, max_size=8)
    limits = httpx.Limits(max_connections=settings.sender_concurrency)
    try:
        async with (
            liveness_endpoint(heartbeat, settings.http_host, settings.liveness_port),
            egress_client(allow_private=settings.allow_private_endpoints, limits=limits) as client,
        ):
            sender = sender_for(pool, settings, build_channels(settings, client))
            await sender.run(stop, heartbeat.beat, settings.sender_poll_interval_seconds)
    finally:
        await close_pool(pool)


def run_sender(settings: NotificationsSettings | None = None) -> None:
    settings = settings or NotificationsSettings()
    configure_logging()
    setup_telemetry(settings.service_name)
    asyncio.run(sender_role(settings))
