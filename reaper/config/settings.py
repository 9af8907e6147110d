"""Configuration: read once from ``REAPER_*`` environment variables, validated up front."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from reaper.config.checks import (
    Problem,
    cron_trigger,
    mask_password,
    never_fires,
    read_secret_files,
    state_url_problem,
    unknown_variables,
)
from reaper.core.policy import Policy
from reaper.errors import ConfigError

ENV_PREFIX = "REAPER_"
DEFAULT_SECRETS_DIR = Path("/run/secrets/reaper")
SECRET_FIELDS = ("github_token", "slack_bot_token", "slack_webhook_url", "slack_app_token")
_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,20}$")  # a user (U, W) or a user group (S)
# GitHub: alphanumerics and single hyphens, at most 39 characters; managed users add _shortcode.
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:_[A-Za-z0-9-]{1,39})?$")
_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,59})$")
_TEAM = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_CRON_FIELDS = 5

CommaList = Annotated[list[str], NoDecode]


def _true_or_false(value: object) -> object:
    """Accept only ``true`` or ``false`` (any case): ``no`` or ``0`` must not mean live."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else value
    if word not in {"true", "false"}:
        raise ValueError("use true or false")
    return word == "true"


Flag = Annotated[bool, BeforeValidator(_true_or_false)]


class Settings(BaseSettings):
    """Every setting of the reaper. See ``config/reaper.env.example`` for the meaning of each."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    github_token: SecretStr
    github_api_url: str = "https://api.github.com"
    github_api_version: str = "2022-11-28"
    github_orgs: CommaList = []
    github_enterprise: str | None = None
    github_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    github_max_attempts: int = Field(default=5, ge=1, le=20)
    github_max_wait_seconds: float = Field(default=900.0, ge=0)

    inactive_days: int = Field(default=60, ge=1, le=3650)
    grace_days: int = Field(default=14, ge=0, le=365)
    dry_run: Flag = True
    exempt_users: CommaList = []
    exempt_teams: CommaList = []
    activity: Literal["last_activity", "last_activity_or_authentication"] = "last_activity"
    reinstate_exempt_days: int = Field(default=30, ge=0, le=3650)

    slack_webhook_url: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_report: Literal["changes", "always"] = "changes"
    slack_dm: Flag = False
    slack_app_token: SecretStr | None = None
    slack_admins: CommaList = []
    keep_days: int = Field(default=30, ge=1, le=365)
    user_map_file: Path | None = None
    price_business: float = Field(default=19.0, ge=0)
    price_enterprise: float = Field(default=39.0, ge=0)

    max_cancellations: int = Field(default=50, ge=0)
    max_cancellation_percent: float = Field(default=10.0, ge=0, le=100)
    max_forget_percent: float = Field(default=20.0, ge=0, le=100)
    cycle_timeout_seconds: float = Field(default=3600.0, gt=0, le=86400)
    github_rate_limit_reserve: int = Field(default=100, ge=0)

    state_url: str = "sqlite:///reaper-state.db"
    schedule: str = "0 9 * * 1-5"
    run_on_start: Flag = False
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    http_port: int = Field(default=8080, ge=0, le=65535)

    @field_validator("github_orgs", "exempt_users", "exempt_teams", "slack_admins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("github_orgs")
    @classmethod
    def _orgs(cls, orgs: list[str]) -> list[str]:
        bad = [org for org in orgs if not _NAME.match(org)]
        if bad:
            raise ValueError(f"not a GitHub organisation name: {', '.join(map(repr, bad))}")
        return _unique(orgs)

    @field_validator("github_enterprise")
    @classmethod
    def _enterprise(cls, slug: str | None) -> str | None:
        if slug is None:
            return None
        slug = slug.strip()
        if not _SLUG.match(slug):
            raise ValueError(f"not a GitHub enterprise slug: {slug!r}")
        return slug

    @field_validator("exempt_users")
    @classmethod
    def _users(cls, users: list[str]) -> list[str]:
        bad = [user for user in users if not _NAME.match(user)]
        if bad:
            raise ValueError(f"not a GitHub username: {', '.join(map(repr, bad))}")
        return _unique(users)

    @field_validator("exempt_teams")
    @classmethod
    def _teams(cls, teams: list[str]) -> list[str]:
        bad = [team for team in teams if not _TEAM.match(team)]
        if bad:
            raise ValueError(f"not a team slug: {', '.join(map(repr, bad))}")
        return _unique(teams)

    @field_validator("slack_admins")
    @classmethod
    def _slack_ids(cls, ids: list[str]) -> list[str]:
        bad = [one for one in ids if not _SLACK_ID.match(one)]
        if bad:
            raise ValueError(
                f"not a Slack user ID (U..., W...) or user-group ID (S...): {', '.join(bad)}"
            )
        return list(dict.fromkeys(ids))

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and not token.get_secret_value().startswith("xapp-"):
            raise ValueError("an app-level token starts with xapp- (scope connections:write)")
        return token

    @field_validator("github_api_url", "slack_api_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        _require_http(url)
        return url

    @field_validator("slack_webhook_url")
    @classmethod
    def _secret_http_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None:
            _require_http(url.get_secret_value())
        return url

    @field_validator(*SECRET_FIELDS, mode="before")
    @classmethod
    def _one_word(cls, value: object) -> object:
        """Strip the newline a mounted file or ``echo`` leaves; whitespace inside is a typo."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            raise ValueError("is empty")
        if any(char.isspace() for char in value):
            raise ValueError("contains whitespace")
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, schedule: str) -> str:
        if len(schedule.split()) != _CRON_FIELDS:
            raise ValueError("needs five cron fields: minute hour day month weekday")
        try:
            cron_trigger(schedule)
        except ValueError as exc:
            raise ValueError(f"not a cron expression: {exc}") from None
        problem = never_fires(schedule)
        if problem:
            raise ValueError(problem)
        return schedule

    @field_validator("state_url")
    @classmethod
    def _state_url(cls, url: str) -> str:
        if not url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("use sqlite:///PATH or postgresql://USER@HOST/DB")
        problem = state_url_problem(url)
        if problem:
            raise ValueError(problem)
        return url

    @field_validator("user_map_file")
    @classmethod
    def _readable_file(cls, path: Path | None) -> Path | None:
        if path is not None:
            from reaper.identity.usermap import UserMapError, load_user_map  # noqa: PLC0415

            try:
                load_user_map(path)
            except UserMapError as exc:
                raise ValueError(str(exc)) from None
        return path

    @model_validator(mode="after")
    def _slack_bot_needs_channel(self) -> Settings:
        if not self.github_orgs and self.github_enterprise is None:
            raise ValueError(
                "REAPER_GITHUB_ORGS or REAPER_GITHUB_ENTERPRISE is required: name what to manage"
            )
        if self.slack_bot_token is not None and not self.slack_channel:
            raise ValueError("REAPER_SLACK_CHANNEL is required with REAPER_SLACK_BOT_TOKEN")
        if self.slack_app_token is not None and self.slack_bot_token is None:
            raise ValueError("REAPER_SLACK_APP_TOKEN needs REAPER_SLACK_BOT_TOKEN")
        if self.slack_dm and self.slack_bot_token is None:
            raise ValueError("REAPER_SLACK_DM needs REAPER_SLACK_BOT_TOKEN")
        return self

    @property
    def policy(self) -> Policy:
        """The decision settings for the pure core."""
        return Policy(
            inactive_days=self.inactive_days,
            grace_days=self.grace_days,
            exempt_users=frozenset(self.exempt_users),
            exempt_teams=frozenset(self.exempt_teams),
            activity=self.activity,
        )

    def secrets(self) -> list[str]:
        """Every secret value configured, for redaction."""
        values = (getattr(self, name) for name in SECRET_FIELDS)
        return [value.get_secret_value() for value in values if value is not None]

    def describe(self) -> dict[str, Any]:
        """Return the effective configuration for the start-up log line, secrets masked."""
        shown = self.model_dump(mode="json")
        for name in SECRET_FIELDS:
            shown[name] = "***" if getattr(self, name) is not None else None
        shown["state_url"] = mask_password(self.state_url)
        return shown


def _require_http(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")


def _unique(names: list[str]) -> list[str]:
    """Drop repeated names regardless of case (GitHub ignores it), keeping the first spelling."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(name.casefold(), name)
    return list(first.values())


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment (and overrides), or raise one ConfigError.

    Kubernetes-mounted secrets are read from ``REAPER_SECRETS_DIR`` (default
    ``/run/secrets/reaper``) when that folder exists: one file per variable name; a variable
    set in the environment wins over its file. A ``REAPER_*`` variable or file that is no
    setting is an error, so a mistyped safety setting never falls back to its default.
    """
    environ = dict(os.environ)
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    problems = unknown_variables(environ, known | {f"{ENV_PREFIX}SECRETS_DIR"})
    secrets_dir = Path(environ.get(f"{ENV_PREFIX}SECRETS_DIR", DEFAULT_SECRETS_DIR))
    from_files, file_problems = read_secret_files(secrets_dir, Settings.model_fields, environ)
    problems += file_problems
    settings = None
    try:
        settings = Settings(**{**from_files, **overrides})
    except ValidationError as exc:
        problems += _problems(exc)
    if settings is None or problems:
        raise ConfigError(_explain(problems))
    return settings


def _problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
        name = f"{ENV_PREFIX}{loc[0].upper()}" if loc else "configuration"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        problems.append((name, message))
    return problems


def _explain(problems: list[Problem]) -> str:
    lines = dict.fromkeys(f"  {name}: {message}" for name, message in problems)
    return "invalid configuration:\n" + "\n".join(lines)
