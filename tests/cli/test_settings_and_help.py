"""The program explains itself, and refuses a bad environment in one clear line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import EXIT_CONFIG, ConfigError, Settings, load_settings


def eras(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ERAS_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_help_lists_the_command_groups() -> None:
    result = eras("--help")
    assert result.returncode == 0
    commands = result.stdout.split("Commands:")[1]
    for group in ("db", "run", "sandbox"):
        assert f"  {group} " in commands


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/eras", "not a url", "sqlite+aiosqlite://", "oracle+cx://x/y"],
)
def test_a_bad_database_url_is_one_clear_line_and_exit_2(url: str) -> None:
    result = eras("db", "current", ERAS_DATABASE_URL=url)
    assert result.returncode == EXIT_CONFIG == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("eras: configuration error: ERAS_DATABASE_URL:")
    assert "Traceback" not in result.stderr


def test_a_password_in_a_bad_url_is_not_echoed() -> None:
    result = eras("db", "current", ERAS_DATABASE_URL="mysql://eras:s3cret-pw@db/eras")
    assert result.returncode == 2
    assert "s3cret-pw" not in result.stderr


def test_running_without_a_token_names_the_variable() -> None:
    result = eras("run")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "eras: configuration error: ERAS_TELEGRAM_TOKEN: required to talk to Telegram "
        "(from BotFather)"
    )


def test_a_malformed_token_is_refused_without_echoing_it() -> None:
    result = eras("run", ERAS_TELEGRAM_TOKEN="hunter2-not-a-token")
    assert result.returncode == 2
    assert "ERAS_TELEGRAM_TOKEN" in result.stderr
    assert "hunter2" not in result.stderr


def test_plain_driver_names_are_given_async_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERAS_DATABASE_URL", "postgresql://eras@db:5432/eras")
    assert load_settings().database_url == "postgresql+asyncpg://eras@db:5432/eras"
    monkeypatch.setenv("ERAS_DATABASE_URL", "sqlite:///ward.sqlite3")
    assert load_settings().database_url == "sqlite+aiosqlite:///ward.sqlite3"


def test_the_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ERAS_"):
            monkeypatch.delenv(name)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///eras.sqlite3"
    assert settings.bot_api_base_url == "https://api.telegram.org/bot"
    with pytest.raises(ConfigError, match="ERAS_TELEGRAM_TOKEN"):
        settings.require_token()


def test_requests_go_to_the_configured_bot_api_root() -> None:
    settings = Settings(telegram_api_url="http://127.0.0.1:8081/", telegram_token="1:abc")
    assert settings.bot_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.bot_file_base_url == "http://127.0.0.1:8081/file/bot"
    assert settings.require_token() == "1:abc"


def test_every_bad_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERAS_TELEGRAM_API_URL", "ftp://example")
    monkeypatch.setenv("ERAS_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "ERAS_TELEGRAM_API_URL" in str(error.value)
    assert "ERAS_LOG_LEVEL" in str(error.value)


def test_running_without_an_emergency_number_names_the_variable() -> None:
    result = eras("run", ERAS_TELEGRAM_TOKEN="123:abc")
    assert result.returncode == 2
    assert "ERAS_EMERGENCY_NUMBER" in result.stderr


def test_running_without_an_audit_key_names_the_variable() -> None:
    result = eras("run", ERAS_TELEGRAM_TOKEN="123:abc", ERAS_EMERGENCY_NUMBER="112")
    assert result.returncode == 2
    assert "ERAS_AUDIT_KEY: required" in result.stderr
    short = eras(
        "run", ERAS_TELEGRAM_TOKEN="123:abc", ERAS_EMERGENCY_NUMBER="112", ERAS_AUDIT_KEY="abc"
    )
    assert short.returncode == 2
    assert "ERAS_AUDIT_KEY: must be at least 32 characters" in short.stderr


def test_webhook_mode_needs_its_url_and_secret() -> None:
    ready = {"ERAS_TELEGRAM_TOKEN": "123:abc", "ERAS_EMERGENCY_NUMBER": "112"}
    result = eras("run", "--webhook", **ready)
    assert result.returncode == 2
    assert "ERAS_PUBLIC_URL and ERAS_WEBHOOK_SECRET: both required" in result.stderr
    weak = eras("run", "--webhook", **ready, ERAS_WEBHOOK_SECRET="short!secret")
    assert weak.returncode == 2
    assert "ERAS_WEBHOOK_SECRET: must be 16 to 256 characters" in weak.stderr
    assert "short!secret" not in weak.stderr


def test_the_public_url_gives_the_console_and_the_webhook_their_addresses() -> None:
    settings = Settings(
        public_url="https://eras.example.org/", webhook_secret="s3cret-for-the-ward-0123"
    )
    assert settings.console_url == "https://eras.example.org"
    assert settings.require_webhook()[0] == "https://eras.example.org/telegram/updates"
    assert settings.listen == "127.0.0.1:8080" and settings.deprecated == []


def test_telegram_sign_in_needs_an_https_public_address() -> None:
    for public_url in ({}, {"ERAS_PUBLIC_URL": "http://eras.example.org"}):
        result = eras("patient", "purge", "--dry-run", ERAS_TELEGRAM_LOGIN="true", **public_url)
        assert result.returncode == 2
        assert result.stderr.startswith(
            "eras: configuration error: ERAS_TELEGRAM_LOGIN: needs ERAS_PUBLIC_URL, an https"
        )
    settings = Settings(
        public_url="https://eras.example.org/", telegram_login=True, telegram_token="123:abc"
    )
    assert settings.telegram_login_url == "https://eras.example.org/telegram-sign-in"
    assert settings.telegram_login_token() == "123:abc"
    assert Settings(public_url="https://eras.example.org").telegram_login_url is None


def test_the_old_webhook_names_still_work_for_a_release_with_a_warning() -> None:
    settings = Settings(
        webhook_url="https://eras.example.org/hook",
        webhook_listen="0.0.0.0:8443",
        webhook_secret="s3cret-for-the-ward-0123",
    )
    assert settings.require_webhook()[0] == "https://eras.example.org/hook"
    assert settings.console_url == "https://eras.example.org"
    assert settings.listen == "0.0.0.0:8443"
    result = eras("run", ERAS_WEBHOOK_URL="https://eras.example.org/hook")
    assert "ERAS_WEBHOOK_URL is deprecated" in result.stderr
    assert "use ERAS_PUBLIC_URL" in result.stderr


def test_the_bot_refuses_to_start_with_an_invalid_protocol_file(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "knee.yaml").write_text("id: knee\nversion: 1\nitems: [\n")
    result = eras(
        "run",
        ERAS_TELEGRAM_TOKEN="123:abc",
        ERAS_EMERGENCY_NUMBER="112",
        ERAS_PROTOCOLS_DIR=str(folder),
    )
    assert result.returncode == 2
    assert f"{folder / 'knee.yaml'}:" in result.stderr
    assert "not starting" in result.stderr


@pytest.mark.parametrize("days", ["0", "-5", "a year"])
def test_a_retention_period_is_a_positive_number_of_days(days: str) -> None:
    result = eras("patient", "purge", "--dry-run", ERAS_RETENTION_DAYS=days)
    assert result.returncode == 2
    assert result.stderr.startswith("eras: configuration error: ERAS_RETENTION_DAYS:")


def test_a_setting_of_the_wrong_kind_reads_as_a_sentence_naming_it() -> None:
    result = eras("patient", "purge", "--dry-run", ERAS_RETENTION_DAYS="a year")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "eras: configuration error: ERAS_RETENTION_DAYS: must be a whole number"
    )
    assert "pydantic" not in result.stderr
