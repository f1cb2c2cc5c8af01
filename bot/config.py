"""Settings from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOKEN_PATTERN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{20,}$")
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_FILE_URL = "https://api.telegram.org/file/bot"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = Field(default="", repr=False)
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    telegram_api_file_url: str = ""
    database_url: str = "sqlite:///./data/iop-bot.sqlite3"
    bot_timezone: str = "Europe/Stockholm"
    bot_language: Literal["sv", "en"] = "sv"
    bot_mode: Literal["polling", "webhook"] = "polling"
    # The bot's own web server (webhook, calendar feed, /healthz): plain HTTP on a local port
    # behind the operator's TLS proxy, which is reached at PUBLIC_URL.
    public_url: str = ""
    web_listen: str = "127.0.0.1"
    web_port: int = 8080
    webhook_path: str = "telegram"
    webhook_secret_token: str = Field(default="", repr=False)
    # How long a process holds a stored update it is handling before another may take it over.
    update_lease_seconds: float = 60.0
    dispatcher_interval_seconds: float = 30.0
    reminder_lease_seconds: int = 300
    rate_limit_overall_per_second: float = 30.0
    rate_limit_group_per_minute: int = 20
    # "telegram": delivery.ratelimit (counts messages only, replies before reminder bursts);
    # "ptb": PTB's AIORateLimiter (counts every request naming a chat), kept as the baseline
    # the benchmarks compare against.
    rate_limiter: Literal["telegram", "ptb"] = "telegram"
    log_level: str = "INFO"

    @field_validator("bot_timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("expected an address such as https://bot.example.org")
        return value

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_token(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @property
    def web_enabled(self) -> bool:
        """The web server runs in webhook mode, and in polling mode when PUBLIC_URL is set."""
        return self.bot_mode == "webhook" or bool(self.public_url)

    @property
    def webhook_url(self) -> str:
        return f"{self.public_url}/{self.webhook_path.strip('/')}"

    def calendar_url(self, secret: str) -> str:
        """The subscription address: webcal:// on the public host (calendar apps subscribe)."""
        base = re.sub(r"^https?://", "webcal://", self.public_url)
        return f"{base}/kalender/{secret}.ics"

    def webhook_secret(self) -> str:
        """WEBHOOK_SECRET_TOKEN, or one derived from the token: every process behind the
        address derives the same, and it reveals nothing about the token."""
        if self.webhook_secret_token:
            return self.webhook_secret_token
        digest = hashlib.sha256(("webhook-secret:" + self.telegram_bot_token).encode()).hexdigest()
        return digest[:48]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def file_base_url(self) -> str:
        if self.telegram_api_file_url:
            return self.telegram_api_file_url
        if self.telegram_api_base_url.endswith("/bot"):
            return self.telegram_api_base_url[: -len("/bot")] + "/file/bot"
        return DEFAULT_API_FILE_URL

    def require_token(self) -> str:
        token = self.telegram_bot_token.strip()
        if not token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: put it in .env (see .env.example) "
                "or the environment."
            )
        if not TOKEN_PATTERN.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected '<digits>:<secret>' "
                "as given by @BotFather)."
            )
        return token

    def require_web(self) -> None:
        if self.bot_mode == "webhook" and not self.public_url:
            raise SettingsError(
                "BOT_MODE=webhook needs PUBLIC_URL: the https address of your TLS proxy, "
                "e.g. https://bot.example.org"
            )


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper()
        raise SettingsError(f"setting {field}: {first['msg']}") from None
