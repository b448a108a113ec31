"""Registry settings: environment variables with the ``REGISTRY_`` prefix."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", frozen=True)

    service_name: str = "registry"
    http_port: int = 8001

    # Import jobs (the ``importer`` role): a job whose heartbeat is older than the lease is
    # claimed again; idle importers look for queued jobs this often.
    import_lease_seconds: float = Field(default=60.0, gt=0)
    import_poll_interval_seconds: float = Field(default=1.0, gt=0)
    import_batch_rows: int = Field(default=5_000, ge=1)
