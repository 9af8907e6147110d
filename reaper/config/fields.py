"""The forms a setting's value may take, each checked as it is read: names, URLs, secrets, cron.

Each type is a field's Python type with its checks attached (pydantic ``Annotated``
validators), so a setting names its form in one word (``github_orgs: OrgNames = []``). A
check raises ``ValueError``; its message is what start-up and ``reaper check`` show.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, SecretStr
from pydantic_settings import NoDecode

from reaper.config.checks import cron_trigger, never_fires, state_url_problem
from reaper.core.teams import parse_team_ref

_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,20}$")  # a user (U, W) or a user group (S)
# GitHub: alphanumerics and single hyphens, at most 39 characters; managed users add _shortcode.
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:_[A-Za-z0-9-]{1,39})?$")
_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,59})$")
_TEAM = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_CRON_FIELDS = 5
_DOMAIN = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


def _true_or_false(value: object) -> object:
    """Accept only ``true`` or ``false`` (any case): ``no`` or ``0`` must not mean live."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else value
    if word not in {"true", "false"}:
        raise ValueError("use true or false")
    return word == "true"


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _unique(names: list[str]) -> list[str]:
    """Drop repeated names regardless of case (GitHub ignores it), keeping the first spelling."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(name.casefold(), name)
    return list(first.values())


def _orgs(orgs: list[str]) -> list[str]:
    bad = [org for org in orgs if not _NAME.match(org)]
    if bad:
        raise ValueError(f"not a GitHub organisation name: {', '.join(map(repr, bad))}")
    return _unique(orgs)


def _users(users: list[str]) -> list[str]:
    bad = [user for user in users if not _NAME.match(user)]
    if bad:
        raise ValueError(f"not a GitHub username: {', '.join(map(repr, bad))}")
    return _unique(users)


def _teams(teams: list[str]) -> list[str]:
    bad = [team for team in teams if not _TEAM.match(team)]
    if bad:
        raise ValueError(f"not a team slug: {', '.join(map(repr, bad))}")
    return _unique(teams)


def _reclaim_teams(teams: list[str]) -> list[str]:
    """``ORG/TEAM_SLUG`` or ``ent:TEAM_SLUG`` each, repeats (regardless of case) dropped."""
    refs, bad = [], []
    for team in teams:
        try:
            refs.append(parse_team_ref(team).label)
        except ValueError:
            bad.append(team)
    if bad:
        raise ValueError(f"not ORG/TEAM_SLUG or ent:TEAM_SLUG: {', '.join(map(repr, bad))}")
    return _unique(refs)


def _slack_ids(ids: list[str]) -> list[str]:
    bad = [one for one in ids if not _SLACK_ID.match(one)]
    if bad:
        raise ValueError(
            f"not a Slack user ID (U..., W...) or user-group ID (S...): {', '.join(bad)}"
        )
    return list(dict.fromkeys(ids))


def _identity_sources(sources: list[str]) -> list[str]:
    from reaper.identity.choose import SOURCES  # noqa: PLC0415

    bad = [one for one in sources if one.lower() not in SOURCES]
    if bad:
        raise ValueError(f"not an identity source ({', '.join(SOURCES)}): {', '.join(bad)}")
    if not sources:
        raise ValueError(f"name at least one of {', '.join(SOURCES)}")
    return list(dict.fromkeys(one.lower() for one in sources))


def _domains(domains: list[str]) -> list[str]:
    bad = [d for d in domains if not _DOMAIN.match(d.lstrip("@"))]
    if bad:
        raise ValueError(f"not an e-mail domain: {', '.join(map(repr, bad))}")
    return list(dict.fromkeys(d.lstrip("@").casefold() for d in domains))


def _optional_http_url(url: str | None) -> str | None:
    if url is not None:
        _require_http(url)
    return url


def _enterprise(slug: str | None) -> str | None:
    if slug is None:
        return None
    slug = slug.strip()
    if not _SLUG.match(slug):
        raise ValueError(f"not a GitHub enterprise slug: {slug!r}")
    return slug


def _require_http(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")


def _http_url(url: str) -> str:
    _require_http(url)
    return url


def _secret_http_url(url: SecretStr | None) -> SecretStr | None:
    if url is not None:
        _require_http(url.get_secret_value())
    return url


def _one_word(value: object) -> object:
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


def _app_token(token: SecretStr | None) -> SecretStr | None:
    if token is not None and not token.get_secret_value().startswith("xapp-"):
        raise ValueError("an app-level token starts with xapp- (scope connections:write)")
    return token


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


#: Schedules known to be valid and to fire (a test checks them with APScheduler).
KNOWN_GOOD_SCHEDULES = frozenset({"0 9 * * 1-5"})


def _cron(schedule: str) -> str:
    if schedule in KNOWN_GOOD_SCHEDULES:
        return schedule  # the default needs no APScheduler import at every start (issue 21)
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


def _state_url(url: str) -> str:
    if not url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
        raise ValueError("use sqlite:///PATH or postgresql://USER@HOST/DB")
    problem = state_url_problem(url)
    if problem:
        raise ValueError(problem)
    return url


def _readable_file(path: Path | None) -> Path | None:
    if path is not None:
        from reaper.identity.usermap import UserMapError, load_user_map  # noqa: PLC0415

        try:
            load_user_map(path)
        except UserMapError as exc:
            raise ValueError(str(exc)) from None
    return path


#: ``true`` or ``false``, nothing else.
Flag = Annotated[bool, BeforeValidator(_true_or_false)]
#: A comma-separated list, read as it is (not as JSON).
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_split_commas)]
#: GitHub organisation logins, repeats (regardless of case) dropped.
OrgNames = Annotated[CommaList, AfterValidator(_orgs)]
#: GitHub usernames, repeats (regardless of case) dropped.
UserNames = Annotated[CommaList, AfterValidator(_users)]
#: Team slugs, repeats (regardless of case) dropped.
TeamSlugs = Annotated[CommaList, AfterValidator(_teams)]
#: Teams to reclaim seats from: ``ORG/TEAM_SLUG`` or ``ent:TEAM_SLUG``, repeats dropped.
ReclaimTeams = Annotated[CommaList, AfterValidator(_reclaim_teams)]
#: Slack user and user-group IDs, repeats dropped.
SlackIds = Annotated[CommaList, AfterValidator(_slack_ids)]
#: Identity sources in the order they are tried, each named once.
IdentitySources = Annotated[CommaList, AfterValidator(_identity_sources)]
#: E-mail domains (``example.com``), case-folded, repeats dropped.
EmailDomains = Annotated[CommaList, AfterValidator(_domains)]
#: An ``http://`` or ``https://`` URL, or unset (a default is derived).
OptionalHttpUrl = Annotated[str | None, AfterValidator(_optional_http_url)]
#: A GitHub enterprise slug, surrounding blanks stripped.
EnterpriseSlug = Annotated[str | None, AfterValidator(_enterprise)]
#: An ``http://`` or ``https://`` URL.
HttpUrl = Annotated[str, AfterValidator(_http_url)]
#: A secret: one word, the newline a file leaves stripped.
Secret = Annotated[SecretStr, BeforeValidator(_one_word)]
#: A secret that may be left unset.
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(_one_word)]
#: A secret ``http://`` or ``https://`` URL (a webhook), may be left unset.
SecretHttpUrl = Annotated[
    SecretStr | None, BeforeValidator(_one_word), AfterValidator(_secret_http_url)
]
#: A Slack app-level token (``xapp-``), may be left unset.
AppToken = Annotated[SecretStr | None, BeforeValidator(_one_word), AfterValidator(_app_token)]
#: A log level, in any case.
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)]
#: A five-field cron expression that fires.
CronSchedule = Annotated[str, AfterValidator(_cron)]
#: A SQLite or PostgreSQL URL for the state store.
StateUrl = Annotated[str, AfterValidator(_state_url)]
#: A user map file that loads.
UserMapFile = Annotated[Path | None, AfterValidator(_readable_file)]
