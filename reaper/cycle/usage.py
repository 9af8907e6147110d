"""The usage-report step: a second opinion from GitHub's 28-day users report before any cancel.

Between the timing step and the blast-radius limits, every scope whose list holds a due
person (cancelled this run, or past their due date and waiting for the billing-cycle end)
has its latest 28-day users report read (``reaper.github.usage``: signed links
streamed without the token, only the due persons' records kept, plus one day mask per seat
holder seen active, for light use). The rules are ``reaper.core.usage``'s: a due person the
report shows active after their flag's activity is not cancelled and their flag is dropped
(reactivated, "records disagree"); with ``REAPER_USAGE_REPORT=require`` a scope whose report
cannot be read (or has bad records) has every cancel held. A dry run reads the same: it
changes no seat, only what the report says. The limits and the act step see the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.core.domain import Action
from reaper.core.policy import DAY
from reaper.core.timing import SAVES
from reaper.core.usage import HELD, hold, light_use, overrule
from reaper.errors import GitHubError
from reaper.github.usage import UsageScan, download, latest_report
from reaper.logs import get_logger
from reaper.report.summary import Prices
from reaper.report.usage import disagree_line, light_line, unavailable_line

if TYPE_CHECKING:
    from datetime import date, datetime

    import httpx

    from reaper.core.domain import Decision
    from reaper.core.usage import LightUse
    from reaper.cycle.plan import Plan
    from reaper.github import GitHubClient

log = get_logger(__name__)

_IN_USE = {Action.ACTIVE, Action.EXEMPT, Action.UNFLAG}


@dataclass(frozen=True, slots=True)
class UsageCheck:
    """The settings of the step: ``REAPER_USAGE_REPORT``, ``REAPER_LIGHT_USE_DAYS``, prices."""

    mode: str = "check"  # or "require", "off"
    light_days: int = 2
    timeout: float = 30.0  # REAPER_GITHUB_TIMEOUT_SECONDS: a download honours it too
    prices: Prices = field(default_factory=Prices)
    transport: httpx.BaseTransport | None = None  # downloads' transport (tests only)


def second_opinion(
    plan: Plan, check: UsageCheck, github: GitHubClient, now: datetime, inactive_days: int
) -> None:
    """Read the usage reports of the scopes with due persons; hold or keep who they say.

    Due: cancelled this run, or past their due date and waiting for the cycle end. Use the
    report shows more than ``inactive_days`` ago does not keep anyone.
    """
    if check.mode == "off":
        return
    due = [d for d in plan.decisions if _due(d, now)]
    if not due:
        return
    latest: dict[str, date] = {}
    light: list[LightUse] = []
    why: dict[str, str] = {}
    problems: dict[str, tuple[str, list[str]]] = {}
    for scope in plan.scans:
        members = plan.members(scope)
        wanted = [d.login for d in due if d.login.casefold() in members]
        if not wanted:
            continue
        holders = _holders(plan.decisions, members)
        problem = _read(
            scope, wanted, holders, check=check, github=github, latest=latest, light=light
        )
        if problem is not None:
            log.warning("usage_report.unavailable", scope=scope, mode=check.mode, reason=problem)
            problems[scope] = (problem, wanted)
            if check.mode == "require":
                why.update(dict.fromkeys((w.casefold() for w in wanted), problem))
    recent_from = (now - inactive_days * DAY).date()
    due_keys = {d.login.casefold() for d in due}
    decisions, found = overrule(plan.decisions, latest, due_keys, recent_from=recent_from)
    decisions = hold(decisions, why)
    plan.decisions = decisions
    for one in found:
        log.info(
            "usage_report.disagrees",
            org=one.org,
            login=one.login,
            seat_day=str(one.seat_day),
            report_day=str(one.report_day),
        )
        plan.reports[one.org].notes.append(disagree_line(one))
        plan.report_use[one.login.casefold()] = (one.login, one.report_day)
    kept = {d.login.casefold() for d in decisions if d.reason.startswith(HELD)}
    for scope, (problem, wanted) in problems.items():
        count = sum(1 for w in wanted if w.casefold() in kept)
        section = scope if scope in plan.reports else next(d.org for d in due if d.login in wanted)
        line = unavailable_line(scope, problem, require=check.mode == "require", held=count)
        plan.reports[section].notes.append(line)
    _list_light(plan, light, check)  # last: a renderer that clips notes keeps the ones above


def _list_light(plan: Plan, light: list[LightUse], check: UsageCheck) -> None:
    """One light-use line per section, for the seat holders whose seat record says in use."""
    in_use = {d.login.casefold() for d in plan.decisions if d.action in _IN_USE}
    sections: dict[str, list[LightUse]] = {}
    for user in light:
        key = user.login.casefold()
        if key in in_use:  # not someone the second opinion just changed; each person once
            in_use.discard(key)
            sections.setdefault(user.org, []).append(user)
    for section, users in sections.items():
        line = light_line(users, check.light_days, check.prices)
        if line is not None and section in plan.reports:
            plan.reports[section].notes.append(line)


def _due(d: Decision, now: datetime) -> bool:
    """Cancelled this run, or due and kept only to wait for the billing-cycle end."""
    if d.action is Action.CANCEL:
        return True
    due_at = d.flag.due_at if d.flag is not None else None
    waits = d.action is Action.IN_GRACE and d.reason.endswith(SAVES)
    return waits and due_at is not None and due_at <= now


def _holders(
    decisions: list[Decision], members: frozenset[str]
) -> dict[str, tuple[str, str, str | None]]:
    """Seat holders of a list whose seat record says in use: (section, login, plan type)."""
    return {
        d.login.casefold(): (d.org, d.login, d.seat.plan_type if d.seat else None)
        for d in decisions
        if d.action in _IN_USE and d.login.casefold() in members
    }


def _read(
    scope: str,
    wanted: list[str],
    holders: dict[str, tuple[str, str, str | None]],
    *,
    check: UsageCheck,
    github: GitHubClient,
    latest: dict[str, date],
    light: list[LightUse],
) -> str | None:
    """Read one scope's report into ``latest`` and list its light use; say why not, if not."""
    try:
        links = latest_report(github, scope)
        scan = UsageScan(
            holders=frozenset(holders) if check.light_days else frozenset(), start=links.start
        )
        for url in links.links:
            download(url, wanted, timeout=check.timeout, scan=scan, transport=check.transport)
    except GitHubError as exc:
        return str(exc)
    for login, day in scan.latest.items():
        latest[login] = max(day, latest.get(login, day))
    light.extend(light_use(scan.days, holders, check.light_days))
    log.info(
        "usage_report.read",
        scope=scope,
        records=scan.records,
        bad=scan.bad,
        due=len(wanted),
        seen=len(scan.latest),
    )
    if scan.bad:
        return f"{scan.bad} bad record{'s' if scan.bad != 1 else ''} of {scan.records} skipped"
    return None
