"""Awards settings: environment variables with the ``AWARDS_`` prefix."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AwardsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AWARDS_", extra="ignore", frozen=True)

    service_name: str = "awards"
    http_port: int = 8003
