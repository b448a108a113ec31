"""Submissions settings: environment variables with the ``SUBMISSIONS_`` prefix."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class SubmissionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBMISSIONS_", extra="ignore", frozen=True)

    service_name: str = "submissions"
    http_port: int = 8002
    # The written development report (发展情况) and its figures: a PDF or Word file, a scan.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # The worker starts the clock of every window-year the programmes call for (a year a
    # revision adds included) this often, and at once when a revision arrives.
    clock_reconcile_seconds: float = Field(default=300.0, gt=0)
