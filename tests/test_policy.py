"""The pure core, table-driven: each row a seat, its flag, and what must happen."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from reaper.core.domain import Action, Flag, Person, Seat
from reaper.core.limits import forget_breach
from reaper.core.policy import Policy, decide_person, decide_seat

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
POLICY = Policy(
    inactive_days=30,
    grace_days=7,
    exempt_users=frozenset({"Boss"}),
    exempt_teams=frozenset({"leadership"}),
)


def seat(
    login: str = "alice",
    *,
    active_days_ago: float | None = 40,
    created_days_ago: float = 400,
    team: str | None = None,
    pending: str | None = None,
) -> Seat:
    return Seat(
        org="acme",
        login=login,
        created_at=NOW - created_days_ago * DAY,
        last_activity_at=None if active_days_ago is None else NOW - active_days_ago * DAY,
        last_activity_editor="vscode/1.0",
        pending_cancellation_date=pending,
        assigning_team=team,
        plan_type="business",
    )


def flag(
    login: str = "alice",
    *,
    flagged_days_ago: float = 10,
    reference_days_ago: float = 40,
    warned: bool = True,
    due_in_days: float | None = None,
) -> Flag:
    flagged_at = NOW - flagged_days_ago * DAY
    due_at = flagged_at + 7 * DAY if due_in_days is None else NOW + due_in_days * DAY
    return Flag(
        org="acme",
        login=login,
        flagged_at=flagged_at,
        reference_at=NOW - reference_days_ago * DAY,
        warned_at=flagged_at if warned else None,
        due_at=due_at if warned else None,
    )


CASES = [
    # (description, seat, flag, expected action)
    ("used yesterday", seat(active_days_ago=1), None, Action.ACTIVE),
    ("idle exactly the threshold is not inactive", seat(active_days_ago=30), None, Action.ACTIVE),
    ("idle past the threshold is flagged", seat(active_days_ago=30.01), None, Action.FLAG),
    ("never used, assigned long ago", seat(active_days_ago=None), None, Action.FLAG),
    (
        "never used, assigned last week",
        seat(active_days_ago=None, created_days_ago=7),
        None,
        Action.ACTIVE,
    ),
    ("pending cancellation is left alone", seat(pending="2026-07-01"), None, Action.PENDING),
    ("exempt user, any case", seat("boss"), None, Action.EXEMPT),
    ("exempt team", seat(team="Leadership"), None, Action.EXEMPT),
    (
        "flagged, still idle, due date not reached",
        seat(),
        flag(flagged_days_ago=3),
        Action.IN_GRACE,
    ),
    ("flagged, due date reached exactly", seat(), flag(flagged_days_ago=7), Action.CANCEL),
    ("flagged, past due", seat(), flag(flagged_days_ago=20), Action.CANCEL),
    ("flagged, used again", seat(active_days_ago=2), flag(), Action.UNFLAG),
    (
        "flagged, activity newer than at flag time though still idle",
        seat(active_days_ago=35),
        flag(reference_days_ago=40),
        Action.UNFLAG,
    ),
    (
        "flagged, activity reset to null by GitHub is not a use",
        seat(active_days_ago=None, created_days_ago=400),
        flag(reference_days_ago=95),
        Action.CANCEL,
    ),
    (
        "flagged but never warned is never due",
        seat(),
        flag(flagged_days_ago=50, warned=False),
        Action.IN_GRACE,
    ),
    (
        "due but granted by a team",
        seat(team="platform"),
        flag(flagged_days_ago=8),
        Action.NEEDS_PERSON,
    ),
    ("flagged, now pending", seat(pending="2026-07-01"), flag(flagged_days_ago=20), Action.PENDING),
    ("flagged, now exempt", seat("boss"), flag("boss", flagged_days_ago=20), Action.EXEMPT),
]


@pytest.mark.parametrize(
    ("description", "the_seat", "the_flag", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_decision_table(
    description: str, the_seat: Seat, the_flag: Flag | None, expected: Action
) -> None:
    """Each seat gets the action the rules give it."""
    assert decide_seat(the_seat, the_flag, NOW, POLICY).action is expected, description


def test_new_flag_is_due_after_the_grace_period() -> None:
    """A new flag's due date is now plus the grace period."""
    decision = decide_seat(seat(), None, NOW, POLICY)
    assert decision.due_at == NOW + 7 * DAY
    assert decision.idle_days == 40


def test_promised_due_date_survives_a_shorter_grace_period() -> None:
    """Shortening the grace period never brings a promised due date forward."""
    shorter = Policy(inactive_days=30, grace_days=1)
    promised = flag(flagged_days_ago=3, due_in_days=4)
    assert decide_seat(seat(), promised, NOW, shorter).action is Action.IN_GRACE


def test_longer_grace_period_extends_a_warned_flag() -> None:
    """Lengthening the grace period after a warning extends its due date."""
    longer = Policy(inactive_days=30, grace_days=30)
    assert decide_seat(seat(), flag(flagged_days_ago=8), NOW, longer).action is Action.IN_GRACE


def person(*grants: Seat) -> Person:
    return Person(grants[0].login, grants, "acme")


def test_person_is_idle_only_when_every_grant_is() -> None:
    """A person idle in one org and active in another is in use: one decision, not flagged."""
    idle, used = seat(active_days_ago=90), replace(seat(active_days_ago=2), org="acme-web")
    assert decide_person(person(idle, used), None, NOW, POLICY).action is Action.ACTIVE
    both = replace(seat(active_days_ago=80), org="acme-web")
    decision = decide_person(person(idle, both), None, NOW, POLICY)
    assert (decision.action, decision.idle_days) == (Action.FLAG, 80)


def test_due_person_granted_only_through_teams_needs_a_person() -> None:
    """Due with team grants only: needs a person, naming every team; a direct grant is cancelled."""
    teamed = [seat(team="devs"), replace(seat(team="ent-devs"), org="enterprise:acme")]
    decision = decide_person(person(*teamed), flag(), NOW, POLICY)
    assert decision.action is Action.NEEDS_PERSON
    assert "devs" in decision.reason
    assert "ent-devs" in decision.reason
    direct = replace(seat(), org="acme-web")
    assert decide_person(person(*teamed, direct), flag(), NOW, POLICY).action is Action.CANCEL


def test_org_assigning_everyone_is_not_cancelled_per_user() -> None:
    """A grant in a scope that cannot cancel per user leaves the due person to a person."""
    fixed = {"acme": "acme assigns a seat to every member"}
    decision = decide_person(person(seat()), flag(), NOW, POLICY, fixed=fixed)
    assert decision.action is Action.NEEDS_PERSON
    assert "every member" in decision.reason


def test_exempt_team_on_any_grant_exempts_the_person() -> None:
    """A person granted through an exempt team keeps the seat whatever else grants them."""
    grants = person(seat(), replace(seat(team="leadership"), org="acme-web"))
    assert decide_person(grants, None, NOW, POLICY).action is Action.EXEMPT


def test_pending_grants_do_not_count_but_activity_does() -> None:
    """All grants pending: pending; one live grant left: decided on it."""
    gone = seat(pending="2026-07-01")
    assert decide_seat(gone, None, NOW, POLICY).action is Action.PENDING
    live = replace(seat(active_days_ago=90), org="acme-web")
    assert decide_person(person(gone, live), None, NOW, POLICY).action is Action.FLAG


def test_authentication_counts_only_when_asked() -> None:
    """REAPER_ACTIVITY=last_activity_or_authentication makes a recent sign-in count as use."""
    signed_in = replace(seat(active_days_ago=90), last_authenticated_at=NOW - 3 * DAY)
    assert decide_seat(signed_in, None, NOW, POLICY).action is Action.FLAG
    counting = replace(POLICY, activity="last_activity_or_authentication")
    assert decide_seat(signed_in, None, NOW, counting).action is Action.ACTIVE


def test_missing_activity_falls_back_to_the_seat_age() -> None:
    """No activity recorded: idle days count from the oldest grant, never 'never used'."""
    decision = decide_seat(seat(active_days_ago=None, created_days_ago=120), None, NOW, POLICY)
    assert (decision.action, decision.idle_days) == (Action.FLAG, 120)


def test_exemption_until_a_date_leaves_the_person_alone() -> None:
    """A person given a seat back is not flagged until the exemption ends."""
    until = (NOW + 5 * DAY, "given back by admin")
    decision = decide_person(person(seat()), None, NOW, POLICY, exempt_until=until)
    assert decision.action is Action.EXEMPT
    assert "given back" in decision.reason
    later = decide_person(person(seat()), None, NOW + 6 * DAY, POLICY, exempt_until=until)
    assert later.action is Action.FLAG


@pytest.mark.parametrize(
    ("previous", "seats", "flags", "forgets", "held"),
    [
        (None, 0, 0, 0, False),  # first scan: nothing to compare with
        (100, 100, 10, 0, False),  # steady
        (100, 81, 10, 0, False),  # shrank 19%: under the limit
        (100, 79, 10, 0, True),  # shrank 21%: held
        (100, 0, 0, 0, True),  # an empty list where there were seats
        (20, 16, 0, 0, False),  # shrank 20% but only 4 seats: too few to trip it
        (20, 15, 0, 0, True),  # 5 seats and 25%: held
        (100, 100, 20, 4, False),  # 4 flags dropped: too few to trip it
        (100, 100, 20, 5, True),  # 25% of the flags dropped: held
        (100, 100, 100, 5, False),  # 5% of the flags dropped
        (100, 120, 10, 0, False),  # growth never holds
    ],
)
def test_mass_forgetting_is_bounded(
    previous: int | None, seats: int, flags: int, forgets: int, held: bool
) -> None:
    """An org whose list shrank or whose flags would mostly go, past the limit, is held."""
    breach = forget_breach(
        "acme", previous_seats=previous, seats=seats, flags=flags, forgets=forgets, max_percent=20
    )
    assert (breach is not None) is held
    if breach is not None:
        assert "REAPER_MAX_FORGET_PERCENT=20" in breach
