"""Configuration: defaults, parsing, and one clear message naming every bad variable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from reaper.config.checks import cron_trigger
from reaper.config.settings import load_settings
from reaper.errors import ConfigError

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


def required(env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    env.setenv("REAPER_GITHUB_TOKEN", TOKEN)
    env.setenv("REAPER_GITHUB_ORGS", "acme")
    return env


def config_error(env: pytest.MonkeyPatch, **variables: str) -> str:
    for name, value in variables.items():
        env.setenv(f"REAPER_{name}", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    return str(caught.value)


def test_mistyped_variables_are_refused_with_the_closest_name(
    clean_env: pytest.MonkeyPatch,
) -> None:
    """A misspelt REAPER_ variable stops the start, named with the setting it was meant to be."""
    message = config_error(
        required(clean_env), EXEMPT_USER="alice", MAX_CANCELATIONS="1", BANANA="yellow"
    )
    assert "REAPER_EXEMPT_USER: unknown variable; did you mean REAPER_EXEMPT_USERS?" in message
    assert "REAPER_MAX_CANCELATIONS: unknown variable; did you mean REAPER_MAX_CANCELLATIONS?" in (
        message
    )
    assert "REAPER_BANANA: unknown variable\n" in f"{message}\n"


def test_kubernetes_service_links_are_not_settings(clean_env: pytest.MonkeyPatch) -> None:
    """The variables Kubernetes adds for a Service named "reaper" are not taken for typos."""
    for name, value in {
        "SERVICE_HOST": "10.0.0.7",
        "SERVICE_PORT": "8080",
        "SERVICE_PORT_HTTP": "8080",
        "PORT": "tcp://10.0.0.7:8080",
        "PORT_8080_TCP": "tcp://10.0.0.7:8080",
        "PORT_8080_TCP_ADDR": "10.0.0.7",
        "PORT_8080_TCP_PROTO": "tcp",
    }.items():
        clean_env.setenv(f"REAPER_{name}", value)
    assert load_settings(github_token=TOKEN, github_orgs="acme").http_port == 8080
    message = config_error(required(clean_env), PORT="9090")
    assert "REAPER_PORT: unknown variable; did you mean REAPER_HTTP_PORT?" in message


def test_mistyped_secret_file_is_refused(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A mounted secret file named like no setting is refused; Kubernetes' own files are not."""
    secrets = tmp_path / "secrets"
    (secrets / "..2026_11_22").mkdir(parents=True)
    (secrets / "..data").symlink_to("..2026_11_22")
    (secrets / "password").write_text("not ours")
    (secrets / "REAPER_SLACK_WEBHOOK").write_text("https://hooks.example/T/B/sekrit\n")
    clean_env.setenv("REAPER_SECRETS_DIR", str(secrets))
    message = config_error(required(clean_env))
    assert message.splitlines()[1:] == [
        "  REAPER_SLACK_WEBHOOK: unknown secret file; did you mean REAPER_SLACK_WEBHOOK_URL?"
    ]


@pytest.mark.parametrize("value", ["no", "0", "1", "yes", "off", "on", "", "false!"])
@pytest.mark.parametrize("name", ["DRY_RUN", "SLACK_DM", "RUN_ON_START"])
def test_booleans_are_only_true_or_false(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """Only true or false is a boolean: REAPER_DRY_RUN=no must not go live."""
    message = config_error(required(clean_env), **{name: value})
    assert f"REAPER_{name}: use true or false" in message


def test_booleans_ignore_case_and_surrounding_space(clean_env: pytest.MonkeyPatch) -> None:
    """TRUE, False and False with a trailing newline are booleans."""
    required(clean_env)
    clean_env.setenv("REAPER_DRY_RUN", " False\n")
    clean_env.setenv("REAPER_RUN_ON_START", "TRUE")
    settings = load_settings()
    assert (settings.dry_run, settings.run_on_start) == (False, True)


@pytest.mark.parametrize("schedule", ["0 9 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_a_schedule_that_never_fires_is_refused(
    clean_env: pytest.MonkeyPatch, schedule: str
) -> None:
    """A cron expression naming a date that does not exist is a configuration error."""
    message = config_error(required(clean_env), SCHEDULE=schedule)
    assert "REAPER_SCHEDULE: never fires" in message


def test_a_rare_schedule_is_accepted(clean_env: pytest.MonkeyPatch) -> None:
    """Once every leap year is rare, not never."""
    required(clean_env).setenv("REAPER_SCHEDULE", "0 0 29 2 *")
    assert load_settings().schedule == "0 0 29 2 *"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://reaper:hunter2@db:notaport/reaper",
        "postgresql://reaper:hunter2@db:99999/reaper",
        "postgresql+psycopg://reaper:hunter2@[::1/reaper",
        "postgresql://reaper:hun@ter2@db:5432x/reaper",
    ],
)
def test_a_state_url_that_does_not_parse_is_refused(
    clean_env: pytest.MonkeyPatch, url: str
) -> None:
    """A state URL with a bad port or no shape is refused at start, its password masked."""
    message = config_error(required(clean_env), STATE_URL=url)
    assert "REAPER_STATE_URL: " in message
    assert "***" in message
    assert "hunter2" not in message
    assert "ter2" not in message


def test_an_unreadable_secret_file_is_a_configuration_error(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A secret file that is a folder, a dangling link or not text names its variable."""
    secrets = tmp_path / "secrets"
    (secrets / "REAPER_GITHUB_TOKEN").mkdir(parents=True)
    (secrets / "REAPER_SLACK_BOT_TOKEN").symlink_to(tmp_path / "gone")
    (secrets / "REAPER_SLACK_WEBHOOK_URL").write_bytes(b"https://hooks.example/\xff\xfe")
    clean_env.setenv("REAPER_SECRETS_DIR", str(secrets))
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    message = config_error(clean_env)
    assert "REAPER_GITHUB_TOKEN: cannot read the file" in message
    assert "REAPER_SLACK_BOT_TOKEN: cannot read the file" in message
    assert "REAPER_SLACK_WEBHOOK_URL: the file" in message
    assert "is not UTF-8 text" in message


def test_a_secrets_dir_that_is_no_folder_is_refused(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """REAPER_SECRETS_DIR naming a file is an error, not a silent skip of the secrets."""
    not_a_folder = tmp_path / "secrets"
    not_a_folder.write_text("REAPER_GITHUB_TOKEN=x\n")
    message = config_error(required(clean_env), SECRETS_DIR=str(not_a_folder))
    assert "REAPER_SECRETS_DIR: " in message
    assert "is not a folder" in message


def test_the_environment_wins_over_a_secret_file(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A variable set in the environment takes precedence over its mounted file."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "REAPER_GITHUB_TOKEN").write_text("ghp_fromTHEfile\n")
    (secrets / "REAPER_GRACE_DAYS").write_text("7\n")
    clean_env.setenv("REAPER_SECRETS_DIR", str(secrets))
    required(clean_env)
    settings = load_settings()
    assert settings.github_token.get_secret_value() == TOKEN
    assert settings.grace_days == 7


def test_tokens_lose_surrounding_whitespace(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The newline `echo token > file` leaves is stripped from every secret."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "REAPER_SLACK_BOT_TOKEN").write_text("xoxb-from-file\n")
    clean_env.setenv("REAPER_SECRETS_DIR", str(secrets))
    clean_env.setenv("REAPER_GITHUB_TOKEN", f"  {TOKEN}\n")
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    clean_env.setenv("REAPER_SLACK_CHANNEL", "#seats")
    clean_env.setenv("REAPER_SLACK_WEBHOOK_URL", "https://hooks.example/T/B/x\r\n")
    settings = load_settings()
    assert settings.secrets() == [TOKEN, "xoxb-from-file", "https://hooks.example/T/B/x"]


@pytest.mark.parametrize("name", ["GITHUB_TOKEN", "SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"])
def test_a_token_with_whitespace_inside_is_refused(
    clean_env: pytest.MonkeyPatch, name: str
) -> None:
    """Whitespace inside a secret is a paste error, named without showing the secret."""
    required(clean_env).setenv("REAPER_SLACK_CHANNEL", "#seats")
    message = config_error(clean_env, **{name: "sekrit one\ttwo"})
    assert f"REAPER_{name}: contains whitespace" in message
    assert "sekrit" not in message


def test_names_are_unique_regardless_of_case(clean_env: pytest.MonkeyPatch) -> None:
    """Orgs acme and ACME are one org (and one exempt user or team); the first spelling is kept."""
    for name, value in {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_ORGS": "acme,Acme-Labs,ACME,acme-labs",
        "EXEMPT_USERS": "Alice,bob,alice,BOB",
        "EXEMPT_TEAMS": "Leads,leads",
    }.items():
        clean_env.setenv(f"REAPER_{name}", value)
    settings = load_settings()
    assert settings.github_orgs == ["acme", "Acme-Labs"]
    assert settings.exempt_users == ["Alice", "bob"]
    assert settings.exempt_teams == ["Leads"]


@pytest.mark.parametrize(
    ("schedule", "days"),
    [
        ("0 9 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0 9 * * 0", ["Sun"]),
        ("0 9 * * 7", ["Sun"]),
        ("0 9 * * 5-7", ["Fri", "Sat", "Sun"]),
        ("0 9 * * */2", ["Sun", "Tue", "Thu", "Sat"]),
        ("0 9 * * mon,WED", ["Mon", "Wed"]),
        ("0 9 * * fri-sun", ["Fri", "Sat", "Sun"]),
        ("0 9 * * *", ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]),
    ],
)
def test_schedule_weekdays_are_numbered_as_in_cron(schedule: str, days: list[str]) -> None:
    """Weekday 1 is Monday and 0 or 7 Sunday, as in cron (APScheduler 3 counts from Monday=0)."""
    trigger = cron_trigger(schedule)
    week_end = datetime(2026, 3, 8, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, datetime(2026, 3, 1, tzinfo=UTC))  # a Sunday
    fired = set()
    while fire is not None and fire < week_end:
        fired.add(fire.strftime("%a"))
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    assert fired == set(days)


@pytest.mark.parametrize("weekday", ["8", "sat-mon", "1,,2", "1/0", "someday"])
def test_a_weekday_cron_does_not_know_is_refused(
    clean_env: pytest.MonkeyPatch, weekday: str
) -> None:
    """A weekday field outside 0-7 and sun-sat is a configuration error."""
    message = config_error(required(clean_env), SCHEDULE=f"0 9 * * {weekday}")
    assert "REAPER_SCHEDULE: not a cron expression" in message
