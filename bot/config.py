"""Every environment variable the bot reads, in one class."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    slack_signing_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_state_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    redis_url: str = "redis://localhost:6379/0"
    talkturo_api_url: str = "https://api.talkturo.com/api"
    talkturo_api_token: SecretStr | None = None
    bot_encryption_key: SecretStr | None = None
    slash_command: str = "/talkturo"
    host: str = "0.0.0.0"
    port: int = 3000
    log_level: str = "INFO"

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)


class SettingsError(Exception):
    """A required setting is missing; the message names it and says how to fix it."""


def require(settings: Settings, *names: str) -> None:
    """Raise one clear message naming every missing variable."""
    missing = [name.upper() for name in names if not getattr(settings, name)]
    if missing:
        raise SettingsError(
            f"Missing setting{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            "Set them in the environment (see README.md, Settings)."
        )
