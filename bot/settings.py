"""One validated settings object, read from the environment (prefix ``ERAS_``).

A wrong setting stops the program with one line naming the variable: never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.plain_errors import sentences
from db.engine import DEFAULT_DATABASE_URL, normalise_database_url

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_LISTEN = "127.0.0.1:8080"
# Where Telegram posts updates, under ERAS_PUBLIC_URL.
WEBHOOK_PATH = "/telegram/updates"
# Where Telegram's "Open console" (LoginUrl) buttons sign staff in, under ERAS_PUBLIC_URL.
TELEGRAM_SIGN_IN_PATH = "/telegram-sign-in"
# The key under which the database sessions carry that address (or None) to whoever draws
# a team's card or digest: set once, where the sessions are made.
TELEGRAM_LOGIN_URL = "telegram_login_url"

# Exit code for configuration errors, documented in the README.
EXIT_CONFIG = 2


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Telegram allows 1–256 such characters; fewer than 16 would be guessable.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


class Settings(BaseSettings):
    """Everything the program can be told from outside."""

    model_config = SettingsConfigDict(env_prefix="ERAS_", extra="ignore")

    # What `eras run` refuses to start without (beyond what has a default): each field with
    # the method it checks it by. A test holds `eras run` to this list (every require_ it
    # calls but the webhook's, which only --webhook needs) and docker-compose.yml to passing
    # every one.
    RUN_REQUIRES: ClassVar[dict[str, str]] = {
        "telegram_token": "require_token",
        "emergency_number": "require_emergency_number",
        "audit_key": "require_audit_key",
    }

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL; sqlite+aiosqlite:///FILE or postgresql+asyncpg://…",
    )
    telegram_token: SecretStr | None = Field(None, description="The bot's token from BotFather")
    telegram_api_url: str = Field(
        DEFAULT_TELEGRAM_API_URL,
        description="Root URL of the Bot API server; requests go to {url}/bot{token}/{method}",
    )
    protocols_dir: Path | None = Field(
        None, description="Folder of the hospital's own protocol files (*.yaml)"
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    bot_username: str | None = Field(
        None, description="The bot's @username for enrolment links (else asked of Telegram)"
    )
    emergency_number: str | None = Field(
        None, description="The emergency number patients are told to call, e.g. 112 or 911"
    )
    public_url: str | None = Field(
        None,
        description="The https address people and Telegram reach the console and the webhook at",
    )
    http_listen: str | None = Field(
        None, description=f"The address and port the console listens on (default {DEFAULT_LISTEN})"
    )
    telegram_login: bool = Field(
        False,
        description="True once the bot's domain is set with BotFather (/setdomain) to "
        "ERAS_PUBLIC_URL's: alert cards and the digest carry Telegram sign-in buttons",
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Webhook mode: the secret Telegram sends back in every request"
    )
    # The names before ERAS_PUBLIC_URL and ERAS_HTTP_LISTEN: still read, with a warning.
    webhook_url: str | None = Field(None, description="Deprecated: use ERAS_PUBLIC_URL")
    webhook_listen: str | None = Field(None, description="Deprecated: use ERAS_HTTP_LISTEN")
    audit_key: SecretStr | None = Field(
        None,
        description="A secret of at least 32 characters: seals the audit log's checkpoints "
        "and keys the hourly tally of unknown Telegram accounts",
    )
    health_token: SecretStr | None = Field(
        None,
        description="A secret of at least 32 characters: GET /health with it as a bearer "
        "token shows the details (without, only ok or not)",
    )
    stranger_updates_days: int = Field(
        7,
        ge=1,
        description="Days the raw updates of accounts that are neither staff nor patients "
        "are kept before they are deleted",
    )
    fhir_namespace: UUID | None = Field(
        None,
        description="A UUID of this deployment's own (e.g. `python -c 'import uuid; "
        "print(uuid.uuid4())'`): FHIR exports name their resources by it; never change it",
    )
    retention_days: int | None = Field(
        None,
        ge=1,
        description="Days after a follow-up ends before its patient is erased (unset: never)",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value.strip())

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        # The message must never echo the token itself.
        if value is not None and not _TOKEN.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return value

    @field_validator("protocols_dir")
    @classmethod
    def _protocols_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"no such folder: {value}")
        return value

    @field_validator("bot_username")
    @classmethod
    def _bot_username(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("@")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", value):
            raise ValueError(f"not a Telegram username: {value!r}")
        return value

    @field_validator("emergency_number")
    @classmethod
    def _emergency_number(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9][0-9 +-]{1,15}", value.strip()):
            raise ValueError(f"not a phone number: {value!r}")
        return value.strip() if value else None

    @field_validator("public_url", "webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+/?\S*$", value.strip()):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value.strip() if value else None

    @field_validator("telegram_login")
    @classmethod
    def _telegram_login(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not (info.data.get("public_url") or "").startswith("https://"):
            raise ValueError(
                "needs ERAS_PUBLIC_URL, an https address on the domain set with BotFather "
                "(/setdomain)"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token; the message never echoes it.
        if value is not None and not _WEBHOOK_SECRET.match(value.get_secret_value()):
            raise ValueError("must be 16 to 256 characters: letters, digits, _ and -")
        return value

    @field_validator("audit_key", "health_token")
    @classmethod
    def _audit_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("http_listen", "webhook_listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"not HOST:PORT: {value!r}")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @property
    def bot_api_base_url(self) -> str:
        """What python-telegram-bot calls ``base_url``: it appends the token and method."""
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_file_base_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"

    def require_emergency_number(self) -> str:
        # Patients are told to call this number on a red flag: never guess it.
        if self.emergency_number is None:
            raise ConfigError(
                "ERAS_EMERGENCY_NUMBER: required, the number patients call in an emergency "
                "(e.g. 112 in Europe, 911 in North America)"
            )
        return self.emergency_number

    @property
    def listen(self) -> str:
        """HOST:PORT of the one HTTP server: the console, /health and the webhook."""
        return self.http_listen or self.webhook_listen or DEFAULT_LISTEN

    @property
    def console_url(self) -> str:
        """Where people open the console (sign-in links point here), without a final /."""
        if self.public_url is not None:
            return self.public_url.rstrip("/")
        if self.webhook_url is not None:
            parts = urlsplit(self.webhook_url)
            return f"{parts.scheme}://{parts.netloc}"
        return f"http://{self.listen}"

    @property
    def telegram_login_url(self) -> str | None:
        """Where an "Open console" LoginUrl button points, or None: without the domain set
        with BotFather, the button asks the bot for a sign-in link in a private chat."""
        return self.console_url + TELEGRAM_SIGN_IN_PATH if self.telegram_login else None

    def telegram_login_token(self) -> str | None:
        """The bot's token, which checks Telegram's sign-in: only with ERAS_TELEGRAM_LOGIN."""
        return self.require_token() if self.telegram_login else None

    def session_info(self) -> dict[str, object]:
        """What every database session carries for the use cases that draw buttons."""
        return {TELEGRAM_LOGIN_URL: self.telegram_login_url}

    @property
    def deprecated(self) -> list[str]:
        """One line for each setting read under its old name."""
        old = (("webhook_url", "ERAS_PUBLIC_URL"), ("webhook_listen", "ERAS_HTTP_LISTEN"))
        return [
            f"ERAS_{name.upper()} is deprecated and will be removed in the next release: use {new}"
            for name, new in old
            if getattr(self, name) is not None
        ]

    def require_webhook(self) -> tuple[str, str]:
        """The URL Telegram posts to and the secret, both required in webhook mode.

        The URL is ERAS_PUBLIC_URL with WEBHOOK_PATH, or the old ERAS_WEBHOOK_URL as given."""
        url = self.webhook_url
        if url is None and self.public_url is not None:
            url = self.public_url.rstrip("/") + WEBHOOK_PATH
        if url is None or self.webhook_secret is None:
            raise ConfigError(
                "ERAS_PUBLIC_URL and ERAS_WEBHOOK_SECRET: both required in webhook mode "
                "(the secret: 16 to 256 letters, digits, _ or -)"
            )
        return url, self.webhook_secret.get_secret_value()

    @property
    def health_secret(self) -> str | None:
        return self.health_token.get_secret_value().strip() if self.health_token else None

    def audit_key_bytes(self) -> bytes | None:
        if self.audit_key is None:
            return None
        return self.audit_key.get_secret_value().strip().encode()

    def require_fhir_namespace(self) -> UUID:
        if self.fhir_namespace is None:
            raise ConfigError(
                "ERAS_FHIR_NAMESPACE: required to export, a UUID of this deployment's own that "
                "never changes (e.g. `python -c 'import uuid; print(uuid.uuid4())'`)"
            )
        return self.fhir_namespace

    def require_audit_key(self) -> bytes:
        # Without it, a log cut short on SQLite and a stranger's tally could not be keyed.
        if (key := self.audit_key_bytes()) is None:
            raise ConfigError(
                "ERAS_AUDIT_KEY: required, a secret of at least 32 characters that never "
                "changes (e.g. `openssl rand -hex 32`); keep it apart from the database"
            )
        return key

    def require_token(self) -> str:
        if self.telegram_token is None:
            raise ConfigError("ERAS_TELEGRAM_TOKEN: required to talk to Telegram (from BotFather)")
        return self.telegram_token.get_secret_value().strip()


def load_settings() -> Settings:
    """Read the environment, turning pydantic's report into one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = sentences(exc, _variable, show_input=False)  # settings hold secrets
        raise ConfigError("; ".join(lines)) from None


def _variable(loc: tuple[int | str, ...]) -> str:
    return f"ERAS_{str(loc[0]).upper()}" if loc else "the settings"
