"""Configuration: defaults, parsing, and one clear message naming every bad variable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reaper.errors import ConfigError
from reaper.settings import load_settings

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "ghp_settingsSECRET123"


def test_defaults_are_safe(clean_env: pytest.MonkeyPatch) -> None:
    """Without settings beyond token and orgs, the reaper is a dry run on a daily-ish schedule."""
    clean_env.setenv("REAPER_GITHUB_TOKEN", TOKEN)
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme, acme-labs ,acme")
    settings = load_settings()
    assert settings.dry_run is True
    assert settings.github_orgs == ["acme", "acme-labs"]
    assert settings.github_api_url == "https://api.github.com"
    assert settings.state_url.startswith("sqlite:///")
    assert settings.exempt_users == []


def test_lists_and_numbers_are_parsed(clean_env: pytest.MonkeyPatch) -> None:
    """Comma-separated lists and numbers come from plain environment strings."""
    for name, value in {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_ORGS": "acme",
        "EXEMPT_USERS": "alice,bob",
        "EXEMPT_TEAMS": "leads",
        "INACTIVE_DAYS": "45",
        "GRACE_DAYS": "0",
        "DRY_RUN": "false",
        "LOG_LEVEL": "debug",
    }.items():
        clean_env.setenv(f"REAPER_{name}", value)
    settings = load_settings()
    assert settings.policy.exempt_users == frozenset({"alice", "bob"})
    assert settings.policy.exempt_teams == frozenset({"leads"})
    assert (settings.inactive_days, settings.grace_days, settings.dry_run) == (45, 0, False)
    assert settings.log_level == "DEBUG"


def test_every_bad_variable_is_named(clean_env: pytest.MonkeyPatch) -> None:
    """One error lists every bad variable at once."""
    clean_env.setenv("REAPER_INACTIVE_DAYS", "ninety")
    clean_env.setenv("REAPER_GRACE_DAYS", "-1")
    clean_env.setenv("REAPER_GITHUB_API_URL", "ftp://example")
    clean_env.setenv("REAPER_SCHEDULE", "every day")
    clean_env.setenv("REAPER_GITHUB_ORGS", "good,bad org")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    for name in (
        "REAPER_GITHUB_TOKEN",
        "REAPER_INACTIVE_DAYS",
        "REAPER_GRACE_DAYS",
        "REAPER_GITHUB_API_URL",
        "REAPER_SCHEDULE",
        "REAPER_GITHUB_ORGS",
    ):
        assert name in message


def test_bot_token_needs_a_channel(clean_env: pytest.MonkeyPatch) -> None:
    """A Slack bot token without a channel is a configuration error."""
    clean_env.setenv("REAPER_GITHUB_TOKEN", TOKEN)
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    clean_env.setenv("REAPER_SLACK_BOT_TOKEN", "xoxb-secret")
    with pytest.raises(ConfigError, match="REAPER_SLACK_CHANNEL"):
        load_settings()


def test_secrets_never_show(clean_env: pytest.MonkeyPatch) -> None:
    """Tokens stay out of repr, the start-up description and error messages."""
    clean_env.setenv("REAPER_GITHUB_TOKEN", TOKEN)
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    clean_env.setenv("REAPER_SLACK_WEBHOOK_URL", "https://hooks.example/T/B/sekrit")
    settings = load_settings()
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.describe())
    assert "sekrit" not in str(settings.describe())
    clean_env.setenv("REAPER_GRACE_DAYS", "x")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert TOKEN not in str(caught.value)


def test_mounted_secret_files_are_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A token mounted as a file in REAPER_SECRETS_DIR is used."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "REAPER_GITHUB_TOKEN").write_text(TOKEN)
    clean_env.setenv("REAPER_SECRETS_DIR", str(secrets))
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    assert load_settings().github_token.get_secret_value() == TOKEN


def test_broken_user_map_is_refused_at_start(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A user map that cannot be read stops the start with the file and line named."""
    users = tmp_path / "users.csv"
    users.write_text("login,email\nalice\n")
    clean_env.setenv("REAPER_GITHUB_TOKEN", TOKEN)
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    clean_env.setenv("REAPER_USER_MAP_FILE", str(users))
    with pytest.raises(ConfigError, match=r"REAPER_USER_MAP_FILE: .*users.csv, line 2"):
        load_settings()
