"""Docker cannot run here, so the container files are checked against the program itself."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml

from bot.cli import cli
from bot.settings import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTING_NAMES = {f"ERAS_{name.upper()}" for name in Settings.model_fields}


def _is_eras_command(words: list[str]) -> bool:
    """True when ``eras WORDS…`` names a real (sub)command of the program."""
    command: click.Command = cli
    for word in words:
        if word.startswith("-"):
            break
        if not isinstance(command, click.Group):
            return True  # the rest are the command's own arguments
        sub = command.get_command(click.Context(command), word)
        if sub is None:
            return False
        command = sub
    return not isinstance(command, click.Group)


def test_compose_has_database_migration_and_bot() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"db", "migrate", "bot"}
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["bot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_commands_are_real_eras_commands() -> None:
    assert COMPOSE["services"]["migrate"]["command"] == ["db", "upgrade"]
    assert COMPOSE["services"]["bot"]["command"] == ["run"]
    for name in ("migrate", "bot"):
        assert _is_eras_command(COMPOSE["services"][name]["command"])
    assert not _is_eras_command(["db", "upgarde"])


def test_compose_sets_only_variables_the_program_reads() -> None:
    for name in ("migrate", "bot"):
        variables = set(COMPOSE["services"][name]["environment"])
        assert variables <= SETTING_NAMES, variables - SETTING_NAMES
    assert {"ERAS_DATABASE_URL", "ERAS_TELEGRAM_TOKEN"} <= set(
        COMPOSE["services"]["bot"]["environment"]
    )


def test_compose_database_urls_use_the_async_driver_and_the_db_service() -> None:
    # The migration runs as the owner; the bot as eras_app (deploy/postgres/roles.sql).
    for name, role in (("migrate", "eras"), ("bot", "eras_app")):
        url = COMPOSE["services"][name]["environment"]["ERAS_DATABASE_URL"]
        assert re.match(rf"postgresql\+asyncpg://{role}:.*@db:5432/eras$", url)


def test_compose_creates_the_application_s_role_on_the_database_s_first_start() -> None:
    mounts = COMPOSE["services"]["db"]["volumes"]
    assert any(
        m.startswith("./deploy/postgres/initdb.sh:/docker-entrypoint-initdb.d/") for m in mounts
    )
    assert "./deploy/postgres/roles.sql:/eras/roles.sql:ro" in mounts
    assert "ERAS_AUDIT_KEY" in COMPOSE["services"]["bot"]["environment"]


def test_the_image_runs_eras_and_ships_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["eras"]' in dockerfile
    assert 'CMD ["run"]' in dockerfile
    for package in ("bot", "flows", "db", "migrations"):
        assert f"COPY {package} ./{package}" in dockerfile
    assert "eras" in _console_scripts()


def _console_scripts() -> dict[str, str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return dict(project["scripts"])


def test_compose_passes_every_setting_eras_run_requires_and_refuses_to_start_without() -> None:
    bot = COMPOSE["services"]["bot"]["environment"]
    for field in Settings.RUN_REQUIRES:
        assert field in Settings.model_fields, field
        name = f"ERAS_{field.upper()}"
        assert name in bot, f"docker-compose.yml does not pass {name}, which `eras run` needs"
        # `${NAME:?…}`: compose itself refuses to start while it is unset.
        assert str(bot[name]).startswith(f"${{{name}:?"), bot[name]


@pytest.mark.parametrize("field", sorted(Settings.RUN_REQUIRES))
def test_each_setting_run_requires_is_one_it_refuses_to_start_without(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in Settings.RUN_REQUIRES:  # the settings read the environment too
        monkeypatch.delenv(f"ERAS_{name.upper()}", raising=False)
    given = {"telegram_token": "1:abc", "emergency_number": "112", "audit_key": "k" * 32}
    assert set(given) == set(Settings.RUN_REQUIRES)  # a new one is given here too
    method = Settings.RUN_REQUIRES[field]
    assert getattr(Settings.model_validate(given), method)()  # given: taken
    with pytest.raises(ConfigError, match=f"ERAS_{field.upper()}"):
        getattr(Settings.model_validate({k: v for k, v in given.items() if k != field}), method)()


def test_every_setting_eras_run_requires_is_on_the_list() -> None:
    source = (ROOT / "bot" / "cli" / "run.py").read_text()
    called = set(re.findall(r"config\.(require_\w+)\(", source))
    assert called - {"require_webhook"} == set(Settings.RUN_REQUIRES.values())


def test_compose_serves_the_console_on_the_port_it_listens_on() -> None:
    bot = COMPOSE["services"]["bot"]
    port = bot["environment"]["ERAS_HTTP_LISTEN"].rsplit(":", 1)[1]
    assert any(str(p).endswith(f":{port}") for p in bot["ports"]), bot["ports"]
    assert str(bot["environment"]["ERAS_PUBLIC_URL"]).endswith(f":{port}}}")
