"""Checks of the configuration that pydantic's field validators cannot make on their own.

Each check returns problems as ``(variable, message)`` pairs, so ``load_settings`` can put
them into the one message that names every bad variable. Nothing here ever quotes a secret.
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from pathlib import Path

    from apscheduler.triggers.cron import CronTrigger

PREFIX = "REAPER_"
Problem = tuple[str, str]
# Kubernetes adds these for every Service in the namespace; a Service named "reaper" gives
# REAPER_SERVICE_HOST, REAPER_PORT_8080_TCP_ADDR and so on. They are not settings.
_SERVICE_LINK = re.compile(
    r"^REAPER_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT_\d+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)$"
)
_SERVICE_LINK_URL = re.compile(r"^(tcp|udp|sctp)://")
_NEVER = timedelta(days=5 * 366)
# Greedy up to the last "@": masking too much is safe, showing part of a password is not.
_PASSWORD = re.compile(r"(://[^/@:]*:).*@")


def unknown_variables(
    environ: Mapping[str, str], known: Collection[str], *, source: str = "variable"
) -> list[Problem]:
    """Name every ``REAPER_*`` entry of ``environ`` that is no setting, with the closest one."""
    problems = []
    for name, value in environ.items():
        upper = name.upper()
        if upper.startswith(PREFIX) and upper not in known and not _is_service_link(upper, value):
            problems.append((name, f"unknown {source}{_suggestion(upper, known)}"))
    return problems


def _is_service_link(name: str, value: str) -> bool:
    if name == "REAPER_PORT":
        return bool(_SERVICE_LINK_URL.match(value))
    return bool(_SERVICE_LINK.match(name))


def _suggestion(name: str, known: Iterable[str]) -> str:
    # Compare without the shared prefix, which would make every name look alike.
    stems = {k.removeprefix(PREFIX): k for k in known}
    close = difflib.get_close_matches(name.removeprefix(PREFIX), stems, n=1)
    return f"; did you mean {stems[close[0]]}?" if close else ""


def read_secret_files(
    folder: Path, fields: Collection[str], environ: Mapping[str, str]
) -> tuple[dict[str, str], list[Problem]]:
    """Read the mounted secret files of ``folder``: one file per variable, named like it.

    Returns the values (by field name) of the variables the environment does not set, and a
    problem for each file that is no setting or cannot be read. Other files (Kubernetes'
    ``..data`` links, keys without the prefix) are left alone. A missing folder is no problem.
    """
    variable = f"{PREFIX}SECRETS_DIR"
    if not folder.exists():
        return {}, []
    if not folder.is_dir():
        return {}, [(variable, f"{folder} is not a folder")]
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        return {}, [(variable, f"cannot list {folder}: {exc.strerror or exc}")]
    known = {f"{PREFIX}{field.upper()}": field for field in fields}
    in_env = {name.upper() for name in environ}
    names = {entry.name: "" for entry in entries}
    problems = unknown_variables(names, known, source="secret file")
    values: dict[str, str] = {}
    for entry in entries:
        field = known.get(entry.name.upper())
        if field is None or entry.name.upper() in in_env:
            continue
        try:
            values[field] = entry.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            problems.append((entry.name, f"the file {entry} is not UTF-8 text"))
        except OSError as exc:
            problems.append((entry.name, f"cannot read the file {entry}: {exc.strerror or exc}"))
    return values, problems


def cron_trigger(schedule: str, *, years: str | None = None) -> CronTrigger:
    """Build the APScheduler trigger for a crontab ``schedule``, weekdays numbered as in cron.

    APScheduler 3 counts weekdays from Monday = 0, so its ``from_crontab`` reads ``1-5`` as
    Tuesday to Saturday. Here the weekday field is read as cron reads it (0 or 7 = Sunday) and
    handed over as names. ``years`` limits the years searched (see ``never_fires``).
    """
    from apscheduler.triggers.cron import CronTrigger  # noqa: PLC0415  (slow import)

    minute, hour, day, month, weekday = schedule.split()
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(weekday),
        year=years,
        timezone=UTC,
    )


def _weekday_names(field: str) -> str:
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.lower().split(","):
        base, _, step = item.partition("/")
        first, _, last = base.partition("-")
        if base == "*":
            first, last = "0", "6"
        start = _weekday(first)
        end = _weekday(last) if last else (6 if step else start)
        if end < start and end == 0:  # "5-0" or "fri-sun": up to Sunday
            end = 7
        if end < start or not (step or "1").isdigit() or int(step or "1") < 1:
            raise ValueError(f"weekday {item!r} is not a cron weekday range")
        days.update(n % 7 for n in range(start, end + 1, int(step or "1")))
    return ",".join(_DAYS[n] for n in sorted(days, key=lambda n: (n + 6) % 7))


_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _weekday(text: str) -> int:
    if text in _DAYS:
        return _DAYS.index(text)
    if text.isdigit() and int(text) <= 7:  # cron allows 7 for Sunday
        return int(text)
    raise ValueError(f"{text!r} is not a weekday (0-7 or sun-sat)")


def never_fires(schedule: str, now: datetime | None = None) -> str | None:
    """Say why a valid cron ``schedule`` would not fire within five years, or ``None``."""
    now = now or datetime.now(UTC)
    # The year range bounds the search: without it APScheduler walks to year 9999 on 31 Feb.
    trigger = cron_trigger(schedule, years=f"{now.year}-{now.year + 6}")
    fire = trigger.get_next_fire_time(None, now)
    if fire is None or fire - now > _NEVER:
        return "never fires (no such date within five years)"
    return None


def state_url_problem(url: str) -> str | None:
    """Say why ``url`` is no database URL the store can open, or ``None``."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415  (slow import)
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    shown = mask_password(url)
    try:
        port = make_url(url).port
    except (ArgumentError, ValueError):
        return f"not a database URL: {shown}"
    if port is not None and not 0 < port <= 65535:  # the TCP port range
        return f"port {port} is out of range: {shown}"
    return None


def mask_password(url: str) -> str:
    """Replace the password of a URL with ``***``, even when the rest does not parse."""
    return _PASSWORD.sub(r"\1***@", url, count=1)
