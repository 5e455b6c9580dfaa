"""Server settings, read from ``USHER_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.lifecycle import RESERVATION_TTL

# Development defaults. They let a newcomer start the server with no configuration; production refuses them.
DEFAULT_SECRET_KEY = "usher-development-secret-key-change-me"  # noqa: S105 - refused in production
DEFAULT_WEBHOOK_SECRET = "usher-development-webhook-secret-change-me"  # noqa: S105 - refused in production


def default_database_url() -> str:
    """The embedded default: a SQLite file in the user's data directory."""
    directory = Path(user_data_dir("usher", appauthor=False))
    return f"sqlite:///{directory / 'usher.sqlite3'}"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class InsecureSettingsError(ValueError):
    """Production mode was asked for with a development secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="USHER_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = Field(default_factory=default_database_url)
    # Encrypts the organizations' ticket-signing keys at rest and signs pairing codes.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    # Shared with the payment provider; the webhook's HMAC is computed with it.
    payment_webhook_secret: SecretStr = SecretStr(DEFAULT_WEBHOOK_SECRET)
    public_base_url: str = "http://127.0.0.1:8000"
    database_pool_size: int = 20

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "Usher <tickets@usher.invalid>"

    hold_minutes: int = Field(default=RESERVATION_TTL // timedelta(minutes=1), ge=1)
    # PostgreSQL: reserve with one statement (seats + rows) instead of one per step; see server/bookings/fastpath.py.
    booking_single_statement: bool = True
    occurrence_horizon_days: int = Field(default=90, ge=1)
    # Background jobs (hold sweeper, mail delivery, occurrence generation) run inside the server process.
    run_jobs: bool = True

    @property
    def hold_timedelta(self) -> timedelta:
        """How long reserved tickets wait for payment."""
        return timedelta(minutes=self.hold_minutes)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.environment is not Environment.PRODUCTION:
            return self
        weak = [
            name
            for name, value, default in (
                ("USHER_SECRET_KEY", self.secret_key, DEFAULT_SECRET_KEY),
                ("USHER_PAYMENT_WEBHOOK_SECRET", self.payment_webhook_secret, DEFAULT_WEBHOOK_SECRET),
            )
            if value.get_secret_value() == default or len(value.get_secret_value()) < 32
        ]
        if weak:
            raise InsecureSettingsError(
                "refusing to start in production with default or short secrets: "
                + ", ".join(weak)
                + " (set each to at least 32 random characters)"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
