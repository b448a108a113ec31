"""Notifications settings: environment variables with the ``NOTIFICATIONS_`` prefix."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

DEVELOPMENT_ACK_SECRET = "development-acknowledgement-secret-change-me"


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", frozen=True)

    service_name: str = "notifications"
    http_port: int = 8004
    # Signs the acknowledgement links (HS256); rotate it to void every outstanding link.
    ack_secret: SecretStr = SecretStr(DEVELOPMENT_ACK_SECRET)
    public_base_url: str = Field(
        default="http://127.0.0.1:8004", description="where acknowledgement links point"
    )
    # Webhook / robot / SMS URLs on loopback or private ranges are refused unless allowed
    # (tests and on-premises receivers).
    allow_private_endpoints: bool = False
    # The sender role: how many deliveries a round claims, and the SMTP server for e-mail.
    sender_batch_size: int = Field(default=200, ge=1, le=5000)
    sender_poll_interval_seconds: float = Field(default=1.0, gt=0)
    sender_concurrency: int = Field(default=64, ge=1, le=1000)
    # Sends in flight per endpoint (a receiver that hangs holds at most these slots).
    sender_per_endpoint: int = Field(default=8, ge=1, le=1000)
    webhook_max_attempts: int = Field(default=6, ge=1)
    retry_initial_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    robot_messages_per_minute: int = Field(default=20, ge=1)
    robot_throttle_hold_seconds: float = Field(default=600.0, ge=0)
    # How often the sender checks that the working-day calendar has the years needed now
    # (docs/calendar.md): the province is told once per year, however often this runs.
    calendar_check_seconds: float = Field(default=3600.0, gt=0)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: str = Field(default="none", pattern="^(none|starttls|tls)$")
    smtp_sender: str = "noreply@example.gov.cn"
    smtp_ca_file: str | None = Field(
        default=None, description="CA bundle the relay's certificate is checked against"
    )
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    sms_access_key_id: str | None = None
    sms_access_key_secret: SecretStr | None = None
    sms_sign_name: str = "电商示范"
    sms_template_code: str = "SMS_000000"

    @model_validator(mode="after")
    def _refuse_development_ack_secret(self) -> NotificationsSettings:
        if self.is_production and self.ack_secret.get_secret_value() == DEVELOPMENT_ACK_SECRET:
            raise ValueError("NOTIFICATIONS_ACK_SECRET must be set in production")
        return self
