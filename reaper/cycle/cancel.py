"""The act step of a live cycle: re-check each due person, then remove their grants, audited.

Only the orchestrator calls this, and only in a live run. Every cancel is accounted for:

1. the persons acted on are those whose re-check, cancels and team removals fit GitHub's
   hourly budget, oldest due date first; the others wait for the next cycle
   (``reaper.core.budget``);
2. each due person is re-read right before, by whichever is cheaper for each list: one read
   per person, or one fresh read of the whole list under the scan's completeness rules;
3. a cancel intent (and ``cancel.requested``) is stored per grant before any request; when
   that write fails, nothing is sent;
4. grants go in chunks of at most 100 usernames per scope; a refused chunk is split in
   halves to find the refused names; each accepted user is logged (``seat.cancel_accepted``)
   before anything else can fail; a short ``seats_cancelled`` is checked by re-reading;
5. a person counts as cancelled only when no grant is left; one still granted through a team
   needs a person, and saved nothing. The flag, the audit rows and the closed intents are one
   transaction; when it is lost, the next cycle's ``reaper.cycle.reconcile`` records what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.core import budget
from reaper.core.domain import Action, BadSeat, Decision, Person, Seat, scope_label
from reaper.core.policy import decide_person, keep
from reaper.core.teams import promote, team_grants, team_scope
from reaper.cycle.allowance import allowance, tightest
from reaper.errors import GitHubError, GitHubUnavailableError
from reaper.github import parse_seat, scan_org
from reaper.github.batches import chunks, halving
from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.core.policy import Policy
    from reaper.cycle.plan import Plan
    from reaper.github import GitHubClient

log = get_logger(__name__)

CANCELLED, NOT_CANCELLED, REFUSED, UNSURE = "cancelled", "not cancelled", "refused", "unsure"


def is_cancelled(record: object, org: str) -> bool | None:
    """Tell from a re-read seat record whether its cancel took: True, False, or None (unsure).

    ``None`` as a record (GitHub answered 404) means the seat is gone, which counts as
    cancelled; an unreadable record tells nothing.
    """
    if record is None:
        return True
    seat = parse_seat(org, record)
    if isinstance(seat, BadSeat):
        return None
    return seat.pending_cancellation_date is not None


def removable(decision: Decision, fixed: dict[str, str]) -> tuple[str, ...]:
    """The scopes where a due person's grant can be cancelled per user."""
    if decision.person is None:
        return ()
    grants = decision.person.live
    return tuple(
        dict.fromkeys(g.org for g in grants if not g.assigning_team and g.org not in fixed)
    )


@dataclass
class Canceller:
    """Re-checks and cancels the due persons of a plan, and reports what happened to each."""

    github: GitHubClient
    policy: Policy
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    reserve: int = 0
    reclaim: frozenset[str] = frozenset()  # the teams a due person may be removed from
    enterprise: str | None = None  # REAPER_GITHUB_ENTERPRISE: where its teams' requests go

    def select(self, plan: Plan) -> list[Decision]:
        """Hold the due persons that do not fit the hourly budget; return those that do."""
        due = sorted(plan.cancels(), key=lambda d: (d.due_at is None, d.due_at, d.login))
        costs = [
            budget.Due(
                d.login,
                tuple(k for k in plan.scans if d.login.casefold() in plan.members(k)),
                removable(d, plan.fixed),
                tuple(
                    (k, team_scope(k, self.enterprise)) for k in team_grants(d.person, self.reclaim)
                ),
            )
            for d in due
        ]
        pages = {key: scan.pages for key, scan in plan.scans.items()}
        scopes = {s for c in costs for s in (*c.lists, *c.cancels)}
        left = allowance(self.github, scopes, self.reserve, self.clock())
        least = tightest(left)
        remaining = None if least is None else least + self.reserve
        fits = budget.within(costs, pages, left)
        if fits < len(due):
            waiting = {d.login.casefold() for d in due[fits:]}
            why = (
                f"{len(due) - fits} due persons left for the next cycle: GitHub's hourly request "
                f"budget ({remaining} left, {self.reserve} kept in reserve) covers {fits} now, "
                "oldest due date first"
            )
            log.warning("cycle.budget_short", acting=fits, waiting=len(due) - fits, left=remaining)
            for section in {d.org for d in due[fits:]}:
                plan.reports[section].note_error(why)
            plan.decisions = [
                keep(d, "left for the next cycle (hourly request budget)")
                if d.action is Action.CANCEL and d.login.casefold() in waiting
                else d
                for d in plan.decisions
            ]
        return due[:fits]

    def recheck(self, due: list[Decision], plan: Plan, now: datetime) -> list[Decision]:
        """Re-read the due persons, the cheaper way per list, and decide again on what is read."""
        fresh: dict[str, list[Seat]] = {d.login.casefold(): [] for d in due}
        failed: dict[str, str] = {}
        for key, scan in plan.scans.items():
            wanted = [k for k in fresh if k in plan.members(key)]
            if not wanted:
                continue
            if budget.recheck_by_list(len(wanted), scan.pages):
                self._reread_list(key, wanted, fresh, failed)
            else:
                self._reread_each(key, wanted, fresh, failed)
        checked = []
        for d in due:
            k = d.login.casefold()
            if k in failed:
                plan.reports[d.org].fail(
                    f"could not re-read {d.login} before cancelling, kept: {failed[k]}"
                )
                checked.append(keep(d, "not re-read, kept for the next cycle"))
                continue
            if not fresh[k]:
                checked.append(Decision(d.org, d.login, Action.FORGET, "seat gone", None, d.flag))
                continue
            person = Person(d.login, _unique(fresh[k]), d.org)
            again = decide_person(person, d.flag, now, self.policy, fixed=plan.fixed)
            again = promote(again, self.reclaim, plan.fixed)  # REAPER_RECLAIM_TEAMS
            if again.action is not Action.CANCEL:
                log.info("seat.cancel_skipped", org=d.org, login=d.login, reason=again.reason)
            checked.append(again)
        return checked

    def _reread_list(
        self, key: str, wanted: list[str], fresh: dict[str, list[Seat]], failed: dict[str, str]
    ) -> None:
        log.info("org.recheck", org=key, how="list", persons=len(wanted))
        scan = scan_org(self.github, key, sleep=self.sleep)
        if not scan.complete:
            for k in wanted:
                failed[k] = f"the list of {scope_label(key)} could not be read again: {scan.error}"
            return
        for bad in scan.bad:
            if bad.login and bad.login.casefold() in fresh:
                failed[bad.login.casefold()] = f"its record is unreadable: {bad.reason}"
        for seat in scan.seats:
            if seat.login.casefold() in fresh:
                fresh[seat.login.casefold()].append(seat)

    def _reread_each(
        self, key: str, wanted: list[str], fresh: dict[str, list[Seat]], failed: dict[str, str]
    ) -> None:
        log.info("org.recheck", org=key, how="each", persons=len(wanted))
        for k in wanted:
            try:
                records = self.github.get_grants(key, k)
            except GitHubError as exc:
                failed[k] = str(exc)
                continue
            for record in records:
                seat = parse_seat(key, record)
                if isinstance(seat, BadSeat) or seat.login.casefold() != k:
                    failed[k] = "the re-read record is unreadable"
                    break
                fresh[k].append(seat)

    # -- cancelling -------------------------------------------------------------------------

    def send(self, scope: str, logins: list[str]) -> dict[str, tuple[str, str]]:
        """Cancel ``logins`` in ``scope`` in chunks: each login's (outcome, detail)."""
        outcomes: dict[str, tuple[str, str]] = {}
        for chunk in chunks(logins):
            for batch, answer in halving(
                lambda names: self.github.cancel_seats(scope, names), chunk, scope=scope
            ):
                if isinstance(answer, GitHubError):
                    unsure = isinstance(answer, GitHubUnavailableError)
                    outcomes.update(
                        (n, (UNSURE if unsure else REFUSED, str(answer))) for n in batch
                    )
                else:
                    self._accepted(scope, batch, answer, outcomes)
        return outcomes

    def _accepted(
        self, scope: str, chunk: list[str], count: int, outcomes: dict[str, tuple[str, str]]
    ) -> None:
        """GitHub took the request: trust its count, or re-read each user when it is short."""
        for login in chunk:  # first, before anything else can fail: who GitHub accepted
            log.info("seat.cancel_accepted", org=scope, login=login, asked=len(chunk), count=count)
        if count >= len(chunk):
            outcomes.update((login, (CANCELLED, "")) for login in chunk)
            return
        log.error("org.cancel_count_short", org=scope, asked=len(chunk), cancelled=count)
        for login in chunk:
            try:
                verdict = is_cancelled(self.github.get_seat(scope, login), scope)
            except GitHubError:
                verdict = None
            outcomes[login] = {
                True: (CANCELLED, ""),
                False: (NOT_CANCELLED, f"GitHub cancelled {count} of the {len(chunk)} asked"),
                None: (UNSURE, "GitHub cancelled fewer than asked, and the re-read failed"),
            }[verdict]


def _unique(seats: list[Seat]) -> tuple[Seat, ...]:
    """One record per grant: an org's grant may be read from its list and the enterprise's."""
    kept: dict[tuple[str, str | None], Seat] = {}
    for seat in seats:
        kept.setdefault((seat.org.casefold(), seat.assigning_team), seat)
    return tuple(kept.values())
