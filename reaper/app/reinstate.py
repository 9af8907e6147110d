"""``reaper reinstate``: give seats back, audited, and leave those people alone for a while.

Where a seat goes back: ``--org ORG``, ``--enterprise`` (the configured enterprise), or by
default every scope where the audit log shows the reaper cancelled the person's seat and no
reinstatement has given it back since. Without ``--yes`` nothing is changed anywhere: the
command says what it would do. With ``--yes`` it takes the store's writer lock, asks GitHub
for the seats (``seating``), and for each person seated records in one transaction: the
``seat.reinstated`` audit entry, the removal of all their flags, the closing of any open
cancel intent there, and an exemption for ``REAPER_REINSTATE_EXEMPT_DAYS`` days.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from reaper.app.team_reinstate import (
    TeamPlan,
    TeamReinstater,
    say,
    say_teams,
    seat_scopes,
    team_plan,
)
from reaper.app.wiring import github_client, utc_now
from reaper.core.domain import enterprise_scope, scope_label
from reaper.cycle.seating import Seating, give_chunk
from reaper.errors import ReaperError
from reaper.github.batches import chunks
from reaper.logs import get_logger
from reaper.store import AuditEntry, Exemption, SqlStore, default_holder

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import TextIO

    from reaper.config.settings import Settings

log = get_logger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUSY = 3
CANCELLED = "seat.cancelled"
REINSTATED = "seat.reinstated"
REFUSED = "seat.reinstate_refused"
# A login or an org login: no spaces, slashes or colons (GitHub's own rules are checked there).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class UsageError(ReaperError):
    """The command as given cannot be carried out (exit 2); nothing was done."""


@dataclass(frozen=True, slots=True)
class Ask:
    """What the admin asked for on the command line."""

    logins: tuple[str, ...]
    reason: str
    by: str
    org: str | None = None
    enterprise: bool = False
    yes: bool = False


def default_by() -> str:
    """Who is asking, when ``--by`` is not given: the OS user, else ``unknown``."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (e.g. a bare container)
        return "unknown"
    return name.strip() or "unknown"


def reinstate(
    settings: Settings,
    ask: Ask,
    out: TextIO,
    err: TextIO,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Carry out ``ask`` (or say what it would do); return the exit code."""
    try:
        logins = _logins(ask)
        fixed = _fixed_scope(settings, ask)
        store = SqlStore(settings.state_url)
        try:
            enterprise = settings.github_enterprise
            if not ask.yes:
                teams = team_plan(store, logins, fixed, enterprise)
                plan = _plan(store, logins, fixed, teams)
                _say_dry_run(out, plan, clock(), _exempt_days(settings), teams)
                return EXIT_OK
            with store.lock(f"{default_holder()} reinstate") as held:
                if not held:
                    return _busy(store, err)
                teams = team_plan(store, logins, fixed, enterprise)
                plan = _plan(store, logins, fixed, teams)
                return Reinstater(settings, ask, store, out, err, clock).run(plan, teams)
        finally:
            store.close()
    except UsageError as exc:
        say(err, f"reaper reinstate: {exc}")
        return EXIT_USAGE


def _logins(ask: Ask) -> list[str]:
    """The logins, checked, each person once (the first spelling kept); the reason checked."""
    if not ask.reason.strip():
        raise UsageError("--reason must say why the seat goes back")
    given = ask.logins
    bad = [login for login in given if not _NAME.match(login)]
    if bad:
        raise UsageError(f"not a GitHub login: {', '.join(map(repr, bad))}")
    people: dict[str, str] = {}
    for login in given:
        people.setdefault(login.casefold(), login)
    return list(people.values())


def _fixed_scope(settings: Settings, ask: Ask) -> str | None:
    """The scope ``--org`` or ``--enterprise`` names (``None``: from the audit log)."""
    if ask.enterprise:
        if settings.github_enterprise is None:
            raise UsageError("--enterprise needs REAPER_GITHUB_ENTERPRISE (the enterprise slug)")
        return enterprise_scope(settings.github_enterprise)
    if ask.org is not None and not _NAME.match(ask.org):
        raise UsageError(f"not a GitHub organisation: {ask.org!r}")
    return ask.org


def _plan(
    store: SqlStore, logins: list[str], fixed: str | None, teams: TeamPlan
) -> dict[str, list[str]]:
    """Scope key -> logins to seat there, in the order given (``teams``: removals to undo)."""
    wanted = {
        login: seat_scopes(fixed, taken_from(store, login), login in teams) for login in logins
    }
    unknown = [login for login, scopes in wanted.items() if not scopes and login not in teams]
    if unknown:
        raise UsageError(
            f"the audit log shows no seat of {', '.join(unknown)} cancelled by the reaper and "
            "not given back since: say where to give it with --org ORG or --enterprise"
        )
    plan: dict[str, list[str]] = {}
    for login, scopes in wanted.items():
        for scope in scopes:
            plan.setdefault(scope, []).append(login)
    return plan


def taken_from(store: SqlStore, login: str) -> list[str]:
    """The scopes where the reaper cancelled ``login``'s grant and nobody gave it back since."""
    scopes: dict[str, None] = {}
    for entry in store.audit_log(login=login):
        if entry.event == CANCELLED:
            scopes[entry.org] = None
        elif entry.event == REINSTATED:
            scopes.pop(entry.org, None)
    return list(scopes)


def _exempt_days(settings: Settings) -> timedelta:
    return timedelta(days=settings.reinstate_exempt_days)


def _exempt_words(until: datetime, days: timedelta) -> str:
    if not days:
        return "not exempted (REAPER_REINSTATE_EXEMPT_DAYS=0)"
    return f"exempt until {until:%Y-%m-%d}"


def _say_dry_run(
    out: TextIO, plan: dict[str, list[str]], now: datetime, days: timedelta, teams: TeamPlan
) -> None:
    say(out, "DRY RUN: nothing is changed. Add --yes to reinstate.")
    where: dict[str, list[str]] = {}
    for scope, logins in plan.items():
        for login in logins:
            where.setdefault(login, []).append(scope_label(scope))
    exempt = _exempt_words(now + days, days)
    for login, labels in where.items():
        say(out, f"would reinstate {login} in {', '.join(labels)}, {exempt}")
    say_teams(out, teams, exempt)


def _busy(store: SqlStore, err: TextIO) -> int:
    holder = store.lock_holder()
    who = "another process" if holder is None else holder.holder
    log.warning("reinstate.skipped", reason="another reaper holds the lock", holder=who)
    say(
        err,
        f"reaper reinstate: the state store's lock is held by {who}: nothing was done; "
        "try again when it is free",
    )
    return EXIT_BUSY


@dataclass
class Reinstater:
    """Seats the planned people scope by scope, recording each chunk as soon as it lands."""

    settings: Settings
    ask: Ask
    store: SqlStore
    out: TextIO
    err: TextIO
    clock: Callable[[], datetime]

    def run(self, plan: dict[str, list[str]], teams: TeamPlan | None = None) -> int:
        """Give every planned seat back, then every team membership; 1 when any failed."""
        refused = 0
        done: set[tuple[str, str]] = set()
        with github_client(self.settings, clock=self.clock) as client:
            try:
                for scope, logins in plan.items():
                    for chunk in chunks(logins):
                        outcome = give_chunk(client, scope, chunk)
                        self._record(scope, outcome)
                        refused += len(outcome.refused)
                        done.update((scope, login) for login in chunk)
            except ReaperError as exc:
                return self._stopped(exc, plan, done)
            refused += self._teams().run(client, teams or {})
        return EXIT_FAILED if refused else EXIT_OK

    def _teams(self) -> TeamReinstater:
        days = _exempt_days(self.settings)

        def words(now: datetime) -> tuple[datetime | None, str]:
            return (now + days if days else None), _exempt_words(now + days, days)

        me = (self.settings, self.ask.by, self.ask.reason, self.store, self.out, self.err)
        return TeamReinstater(*me, self.clock, exempt_words=words)

    def _record(self, scope: str, outcome: Seating) -> None:
        now = self.clock()
        days = _exempt_days(self.settings)
        until = now + days
        asked = f"asked by {self.ask.by}: {self.ask.reason}"
        intents = self.store.unresolved_intents(scope)
        for login in outcome.seated:
            exempt = [Exemption(login, until, self.ask.reason, self.ask.by, now)] if days else []
            stale = {i.login for i in intents if i.login.casefold() == login.casefold()}
            self.store.commit(
                remove=self.store.flags_of(login),
                audit=[
                    AuditEntry(
                        now, scope, login, REINSTATED, f"{asked}, {_exempt_words(until, days)}"
                    )
                ],
                exempt=exempt,
                close_intents=[(scope, name, "reinstated") for name in sorted(stale)],
                close_at=now,
            )
            log.info(
                REINSTATED,
                org=scope,
                login=login,
                by=self.ask.by,
                exempt_until=until.isoformat() if days else None,
            )
            say(
                self.out,
                f"reinstated {login} in {scope_label(scope)}, {_exempt_words(until, days)}",
            )
        if outcome.refused:
            self.store.commit(
                audit=[
                    AuditEntry(now, scope, login, REFUSED, f"{asked}; GitHub: {why}")
                    for login, why in outcome.refused.items()
                ]
            )
        for login, why in outcome.refused.items():
            log.warning(REFUSED, org=scope, login=login, by=self.ask.by, error=why)
            say(self.err, f"GitHub will not give {login} a seat in {scope_label(scope)}: {why}")

    def _stopped(
        self, exc: ReaperError, plan: dict[str, list[str]], done: set[tuple[str, str]]
    ) -> int:
        left = [
            f"{login} in {scope_label(scope)}"
            for scope, logins in plan.items()
            for login in logins
            if (scope, login) not in done
        ]
        log.error("reinstate.stopped", error=str(exc), not_done=len(left))
        say(self.err, f"reaper reinstate: stopped: {exc}")
        say(self.err, f"not reinstated, or not recorded (run the command again): {', '.join(left)}")
        return EXIT_FAILED
