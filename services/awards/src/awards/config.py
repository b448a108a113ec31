"""Awards settings: environment variables with the ``AWARDS_`` prefix."""

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, event_source_of

# Processes pass the deployment's source (settings.event_source); this is for tests and tools.
DEFAULT_EVENT_SOURCE = event_source_of("awards")


class AwardsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AWARDS_", extra="ignore", frozen=True)

    service_name: str = "awards"
    http_port: int = 8003
    # Where the API starts application workflows. The worker role always serves
    # awards.workflows.types.TASK_QUEUE (the same name); only tests and benchmarks, which run
    # their own worker, change this.
    task_queue: str = "awards-applications"
    # Set ProgrammeId, ProgrammeYear, DemonstrationCategory, RegionCode and ApplicationStatus on
    # each workflow (registered by deploy/local/stack.sh and compose). Off only for a server
    # that cannot register them, such as the time-skipping test server.
    search_attributes: bool = True
    # Rewards (docs/rewards.md). Finance signs its REST callback with HMAC-SHA256 over the raw
    # body using this shared secret; without one the callback refuses every request (401).
    finance_callback_secret: SecretStr | None = None
