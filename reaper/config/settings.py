"""Configuration: read once from ``REAPER_*`` environment variables, validated up front.

``Settings`` lists the settings in groups; each field's type names the form its value must
take and carries its checks (``reaper.config.fields``). Checks across settings are the
model validator's. ``load_settings`` reads them, with Kubernetes secret files, and turns
every problem into one ``ConfigError``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reaper.config import app_fields, fields
from reaper.config.checks import Problem, mask_password, read_secret_files, unknown_variables
from reaper.core.policy import Policy
from reaper.core.teams import TeamRef, parse_team_ref
from reaper.errors import ConfigError

ENV_PREFIX = "REAPER_"
DEFAULT_SECRETS_DIR = Path("/run/secrets/reaper")
SECRET_FIELDS = (
    "github_token",
    "github_app_private_key",
    "slack_bot_token",
    "slack_webhook_url",
    "slack_app_token",
)


class Settings(BaseSettings):
    """Every setting of the reaper. See ``config/reaper.env.example`` for the meaning of each."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    # GitHub: the API and what it manages. (Field order is the order of the start-up log
    # line and of configuration errors.)
    github_token: fields.OptionalSecret = None
    github_app_id: app_fields.AppId = None
    github_app_private_key: app_fields.PrivateKey = None
    github_app_installation_id: app_fields.InstallationId = None
    github_api_url: fields.HttpUrl = "https://api.github.com"
    github_api_version: str = "2022-11-28"
    github_orgs: fields.OrgNames = []
    github_enterprise: fields.EnterpriseSlug = None
    github_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    github_max_attempts: int = Field(default=5, ge=1, le=20)
    github_max_wait_seconds: float = Field(default=900.0, ge=0)
    github_graphql_url: fields.OptionalHttpUrl = None  # derived from github_api_url when unset

    # The policy: who is idle, how long the grace lasts, who is left alone.
    inactive_days: int = Field(default=60, ge=1, le=3650)
    grace_days: int = Field(default=14, ge=0, le=365)
    dry_run: fields.Flag = True
    exempt_users: fields.UserNames = []
    exempt_teams: fields.TeamSlugs = []
    activity: Literal["last_activity", "last_activity_or_authentication"] = "last_activity"
    reinstate_exempt_days: int = Field(default=30, ge=0, le=3650)
    reclaim_teams: fields.ReclaimTeams = []
    reclaim_team_maintainers: fields.Flag = False

    # Slack and the report: where warnings and summaries go, who may click, what seats cost.
    slack_webhook_url: fields.SecretHttpUrl = None
    slack_bot_token: fields.OptionalSecret = None
    slack_channel: str | None = None
    slack_api_url: fields.HttpUrl = "https://slack.com/api/"
    slack_report: Literal["changes", "always"] = "changes"
    slack_dm: fields.Flag = False
    slack_app_token: fields.AppToken = None
    slack_admins: fields.SlackIds = []
    keep_days: int = Field(default=30, ge=1, le=365)
    user_map_file: fields.UserMapFile = None
    identity: fields.IdentitySources = ["map", "saml", "scim", "verified"]
    email_domains: fields.EmailDomains = []
    identity_max_age_days: int = Field(default=7, ge=1, le=365)
    price_business: float = Field(default=19.0, ge=0)
    price_enterprise: float = Field(default=39.0, ge=0)

    # Safety: how much one cycle may do, and for how long.
    max_cancellations: int = Field(default=50, ge=0)
    max_cancellation_percent: float = Field(default=10.0, ge=0, le=100)
    max_forget_percent: float = Field(default=20.0, ge=0, le=100)
    cycle_timeout_seconds: float = Field(default=3600.0, gt=0, le=86400)
    github_rate_limit_reserve: int = Field(default=100, ge=0)

    # Billing-cycle timing: cancel a due person on the last run before the cycle ends.
    cancel_timing: Literal["due", "cycle_end"] = "due"
    billing_cycle_day: int | None = Field(default=None, ge=1, le=28)
    cycle_margin_days: int = Field(default=2, ge=0, le=27)
    usage_report: Literal["check", "require", "off"] = "check"
    light_use_days: int = Field(default=2, ge=0, le=28)

    # The service: state, schedule, logs, HTTP.
    state_url: fields.StateUrl = "sqlite:///reaper-state.db"
    schedule: fields.CronSchedule = "0 9 * * 1-5"
    run_on_start: fields.Flag = False
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: fields.LogLevel = "INFO"
    http_port: int = Field(default=8080, ge=0, le=65535)

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
        if self.github_enterprise is None and any(ref.enterprise for ref in self.reclaim_team_refs):
            raise ValueError(
                "REAPER_RECLAIM_TEAMS names an ent: team: it needs REAPER_GITHUB_ENTERPRISE"
            )
        return self

    @model_validator(mode="after")
    def _github_credentials(self) -> Settings:
        problem = app_fields.credentials_problem(
            token=self.github_token is not None,
            app_id=self.github_app_id is not None,
            private_key=self.github_app_private_key is not None,
            installation_id=self.github_app_installation_id is not None,
            orgs=self.github_orgs,
            enterprise=self.github_enterprise,
        )
        if problem:
            raise ValueError(problem)
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

    @property
    def reclaim_team_refs(self) -> list[TeamRef]:
        """The teams of ``REAPER_RECLAIM_TEAMS``, parsed."""
        return [parse_team_ref(team) for team in self.reclaim_teams]

    def secrets(self) -> list[str]:
        """Every secret value configured, for redaction."""
        values = (getattr(self, name) for name in SECRET_FIELDS)
        found = [value.get_secret_value() for value in values if value is not None]
        return found + app_fields.key_lines(self.github_app_private_key)

    def describe(self) -> dict[str, Any]:
        """Return the effective configuration for the start-up log line, secrets masked."""
        shown = self.model_dump(mode="json")
        for name in SECRET_FIELDS:
            shown[name] = "***" if getattr(self, name) is not None else None
        shown["state_url"] = mask_password(self.state_url)
        return shown


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
        if not any("REAPER_GITHUB_TOKEN is required" in message for _, message in problems):
            problems += app_fields.no_credentials({**environ, **from_files, **overrides})
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
