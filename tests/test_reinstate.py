"""`reaper reinstate`: the real command line against the simulator and a SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from reaper.core.domain import Flag
from reaper.simulator import Fault
from reaper.store import AuditEntry, CancelIntent, SqlStore
from tests.conftest import GITHUB_TOKEN
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from reaper.simulator import Simulator
    from reaper.simulator.server import RecordedRequest
    from tests.conftest import FakeClock

DAY = timedelta(days=1)
LONG_AGO = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
POST_PATH = "/orgs/acme/copilot/billing/selected_users"


def seed_store(url: str, *, audit: Sequence[AuditEntry], flags: Sequence[Flag] = ()) -> None:
    store = SqlStore(url)
    store.commit(add=flags, audit=audit)
    store.close()


def cancelled(login: str, scope: str = "acme", at: datetime = LONG_AGO) -> AuditEntry:
    return AuditEntry(at, scope, login, "seat.cancelled", "idle 90 days")


def reinstated(login: str, scope: str, at: datetime) -> AuditEntry:
    return AuditEntry(at, scope, login, "seat.reinstated", "asked by someone: back")


def posts(sim: Simulator) -> list[list[str]]:
    """The usernames of every seat-adding request, in order."""
    return [r.json["selected_usernames"] for r in sim.requests if r.method == "POST"]


def state(url: str) -> tuple[list[Any], list[Flag], dict[str, Any]]:
    store = SqlStore(url)
    try:
        return store.audit_log(), store.all_flags(), store.exemptions(datetime.now(UTC))
    finally:
        store.close()


def test_reinstate_gives_cancelled_seats_back_and_exempts_the_people(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A pending cancel is undone, a gone seat re-created; audit, flags, exemption all follow."""
    sim.add_seat("acme", "idle-ian", pending_cancellation_date="2026-04-01")
    env = env_for(sim, tmp_path, REINSTATE_EXEMPT_DAYS="21")
    url = env["REAPER_STATE_URL"]
    flag = Flag("acme", "Idle-Ian", LONG_AGO, LONG_AGO, LONG_AGO, LONG_AGO + 7 * DAY)
    seed_store(url, audit=[cancelled("idle-ian"), cancelled("gone-gus")], flags=[flag])
    started = datetime.now(UTC)

    result = run(
        [
            "reinstate",
            "idle-ian",
            "gone-gus",
            "--reason",
            "back from leave",
            "--by",
            "ann",
            "--yes",
        ],
        env,
    )

    assert result.returncode == 0, result.stderr
    assert posts(sim) == [["idle-ian", "gone-gus"]]
    assert sim.seat("acme", "idle-ian")["pending_cancellation_date"] is None  # type: ignore[index]
    assert sim.seat("acme", "gone-gus") is not None
    audit, flags, exemptions = state(url)
    until = exemptions["idle-ian"].until
    assert timedelta(days=21) <= until - started < timedelta(days=21, minutes=5)
    assert [(e.event, e.org, e.login, e.reason) for e in audit[2:]] == [
        (
            "seat.reinstated",
            "acme",
            login,
            f"asked by ann: back from leave, exempt until {until:%Y-%m-%d}",
        )
        for login in ("idle-ian", "gone-gus")
    ]
    assert flags == []
    assert set(exemptions) == {"idle-ian", "gone-gus"}
    assert (exemptions["gone-gus"].by, exemptions["gone-gus"].reason) == ("ann", "back from leave")
    assert f"reinstated idle-ian in acme, exempt until {until:%Y-%m-%d}" in result.stdout
    assert '"seat.reinstated"' in result.stderr  # the JSON log line


def test_a_dry_run_changes_nothing_anywhere(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Without --yes the command says what it would do; GitHub and the store are untouched."""
    sim.add_seat("acme", "idle-ian", pending_cancellation_date="2026-04-01")
    env = env_for(sim, tmp_path, GITHUB_ENTERPRISE="big")
    url = env["REAPER_STATE_URL"]
    flag = Flag("acme", "idle-ian", LONG_AGO, LONG_AGO, LONG_AGO, LONG_AGO + 7 * DAY)
    seed_store(url, audit=[cancelled("idle-ian"), cancelled("idle-ian", "enterprise:big")])
    seed_store(url, audit=[], flags=[flag])
    before = state(url)

    result = run(["reinstate", "idle-ian", "--reason", "mistake"], env)

    assert result.returncode == 0, result.stderr
    assert "DRY RUN" in result.stdout
    assert "would reinstate idle-ian in acme, enterprise big, exempt until" in result.stdout
    assert sim.requests == []
    assert sim.seat("acme", "idle-ian")["pending_cancellation_date"] == "2026-04-01"  # type: ignore[index]
    assert state(url) == before


def test_the_seat_goes_back_where_the_reaper_took_it_and_not_given_back_since(
    sim: Simulator, tmp_path: Path
) -> None:
    """Without --org or --enterprise, the scopes of cancels not followed by a reinstatement."""
    env = env_for(sim, tmp_path)
    seed_store(
        env["REAPER_STATE_URL"],
        audit=[
            cancelled("ian", "beta"),
            reinstated("IAN", "beta", LONG_AGO + DAY),
            cancelled("Ian", "acme", LONG_AGO + 2 * DAY),
            cancelled("ian", "gamma", LONG_AGO + 3 * DAY),
            cancelled("bob", "beta"),
        ],
    )
    result = run(["reinstate", "ian", "--reason", "mistake"], env)
    assert result.returncode == 0, result.stderr
    assert "would reinstate ian in acme, gamma, exempt until" in result.stdout
    assert "beta" not in result.stdout


def test_no_known_scope_is_a_usage_error_naming_the_login(sim: Simulator, tmp_path: Path) -> None:
    """A login the reaper never cancelled needs --org or --enterprise: exit 2, nothing sent."""
    env = env_for(sim, tmp_path)
    result = run(["reinstate", "new-nia", "--reason", "joined", "--yes"], env)
    assert result.returncode == 2
    assert "new-nia" in result.stderr
    assert "--org ORG" in result.stderr
    assert "Traceback" not in result.stderr
    assert sim.requests == []


def test_enterprise_without_a_configured_enterprise_is_a_usage_error(
    sim: Simulator, tmp_path: Path
) -> None:
    """--enterprise needs REAPER_GITHUB_ENTERPRISE: exit 2 naming it."""
    result = run(
        ["reinstate", "ian", "--enterprise", "--reason", "x", "--yes"], env_for(sim, tmp_path)
    )
    assert result.returncode == 2
    assert "REAPER_GITHUB_ENTERPRISE" in result.stderr
    assert sim.requests == []


def test_reason_is_required(sim: Simulator, tmp_path: Path) -> None:
    """Without --reason argparse refuses the command with exit 2."""
    result = run(["reinstate", "ian", "--org", "acme", "--yes"], env_for(sim, tmp_path))
    assert result.returncode == 2
    assert "--reason" in result.stderr
    assert sim.requests == []


def test_enterprise_grants_go_back_at_the_enterprise(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """--enterprise restores a direct enterprise-level grant, audited under the enterprise."""
    sim.add_enterprise("big")
    sim.add_seat("enterprise:big", "ent-eve", pending_cancellation_date="2026-04-01")
    env = env_for(sim, tmp_path, GITHUB_ENTERPRISE="big")
    result = run(["reinstate", "ent-eve", "--enterprise", "--reason", "needed", "--yes"], env)
    assert result.returncode == 0, result.stderr
    assert [r.path for r in sim.requests if r.method == "POST"] == [
        "/enterprises/big/copilot/billing/selected_users"
    ]
    assert sim.seat("enterprise:big", "ent-eve")["pending_cancellation_date"] is None  # type: ignore[index]
    audit, _, exemptions = state(env["REAPER_STATE_URL"])
    assert [(e.event, e.org) for e in audit] == [("seat.reinstated", "enterprise:big")]
    assert "ent-eve" in exemptions
    assert "reinstated ent-eve in enterprise big" in result.stdout


def test_refused_names_are_found_by_halving_not_one_by_one(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """GitHub refusing one name costs a few halved requests; the others are seated."""
    refusal = f"Cannot add bad-bob: user is suspended (token {GITHUB_TOKEN})"

    def refuse_bob(request: RecordedRequest) -> bool:
        names = request.json.get("selected_usernames", []) if request.method == "POST" else []
        if "bad-bob" in names:
            sim.inject(Fault(method="POST", path=POST_PATH, status=422, body={"message": refusal}))
        return False

    sim.before_request = refuse_bob
    env = env_for(sim, tmp_path)
    names = ["ann", "bea", "bad-bob", "cat"]
    result = run(["reinstate", *names, "--org", "acme", "--reason", "back", "--yes"], env)

    assert result.returncode == 1
    assert posts(sim) == [names, ["ann", "bea"], ["bad-bob", "cat"], ["bad-bob"], ["cat"]]
    assert {login for login in names if sim.seat("acme", login)} == {"ann", "bea", "cat"}
    line = "GitHub will not give bad-bob a seat in acme: Cannot add bad-bob: user is suspended"
    assert line in result.stderr
    audit, _, exemptions = state(env["REAPER_STATE_URL"])
    assert sorted((e.event, e.login) for e in audit) == [
        ("seat.reinstate_refused", "bad-bob"),
        ("seat.reinstated", "ann"),
        ("seat.reinstated", "bea"),
        ("seat.reinstated", "cat"),
    ]
    assert set(exemptions) == {"ann", "bea", "cat"}
    captured = result.stdout + result.stderr + repr(audit)
    assert GITHUB_TOKEN not in captured
    assert '"seat.reinstate_refused"' in result.stderr


def test_fewer_seats_created_than_asked_are_read_again(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """When GitHub creates fewer seats than asked, each user is re-read to learn who got one."""
    sim.add_seat("acme", "has-hal")  # already seated: counts as seated
    sim.add_seat("acme", "pend-pia", pending_cancellation_date="2026-04-01")
    # GitHub answers as if it restored one seat, but leaves pend-pia pending.
    sim.inject(Fault(method="POST", path=POST_PATH, status=201, body={"seats_created": 1}))
    env = env_for(sim, tmp_path)
    result = run(
        ["reinstate", "has-hal", "pend-pia", "--org", "acme", "--reason", "x", "--yes"], env
    )
    assert result.returncode == 1
    reads = [r.path for r in sim.requests if r.method == "GET"]
    assert reads == ["/orgs/acme/members/has-hal/copilot", "/orgs/acme/members/pend-pia/copilot"]
    assert "GitHub will not give pend-pia a seat in acme: it created 1 of the 2" in result.stderr
    audit, _, exemptions = state(env["REAPER_STATE_URL"])
    assert [(e.event, e.login) for e in audit] == [
        ("seat.reinstated", "has-hal"),
        ("seat.reinstate_refused", "pend-pia"),
    ]
    assert set(exemptions) == {"has-hal"}


def test_a_busy_lock_exits_three_and_changes_nothing(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """With another reaper holding the lock, --yes exits 3 naming the holder; nothing is sent."""
    sim.add_seat("acme", "idle-ian", pending_cancellation_date="2026-04-01")
    env = env_for(sim, tmp_path)
    store = SqlStore(env["REAPER_STATE_URL"])
    with store.lock("other-host:4242") as held:
        assert held
        result = run(["reinstate", "idle-ian", "--org", "acme", "--reason", "x", "--yes"], env)
    assert result.returncode == 3
    assert "other-host:4242" in result.stderr
    assert sim.requests == []
    assert store.audit_log() == []
    store.close()


def test_an_open_cancel_intent_is_closed_as_reinstated(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A cancel sent but not yet confirmed is settled by the reinstatement, not left open."""
    sim.add_seat("acme", "idle-ian", pending_cancellation_date="2026-04-01")
    env = env_for(sim, tmp_path)
    store = SqlStore(env["REAPER_STATE_URL"])
    store.commit(open_intents=[CancelIntent("acme", "Idle-Ian", LONG_AGO)])
    result = run(["reinstate", "idle-ian", "--org", "acme", "--reason", "x", "--yes"], env)
    assert result.returncode == 0, result.stderr
    assert store.unresolved_intents() == []
    store.close()


def test_more_than_a_hundred_people_go_in_requests_of_a_hundred(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """150 logins make two requests, of 100 and 50 usernames, and everyone is recorded."""
    names = [f"user-{n:03d}" for n in range(150)]
    env = env_for(sim, tmp_path)
    result = run(["reinstate", *names, "--org", "acme", "--reason", "x", "--yes"], env)
    assert result.returncode == 0, result.stderr
    assert posts(sim) == [names[:100], names[100:]]
    _, _, exemptions = state(env["REAPER_STATE_URL"])
    assert sorted(exemptions) == names


def test_github_failing_stops_and_names_who_is_left(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A GitHub failure other than a refusal stops: exit 1, who is left named, none audited."""
    sim.inject(Fault(method="POST", path=POST_PATH, status=503, times=5))
    env = env_for(sim, tmp_path)
    result = run(["reinstate", "ann", "bea", "--org", "acme", "--reason", "x", "--yes"], env)
    assert result.returncode == 1
    assert "stopped: POST /orgs/acme/copilot/billing/selected_users" in result.stderr
    assert "run the command again): ann in acme, bea in acme" in result.stderr
    assert '"reinstate.stopped"' in result.stderr
    audit, _, exemptions = state(env["REAPER_STATE_URL"])
    assert (audit, exemptions) == ([], {})


def test_the_next_cycle_leaves_a_reinstated_person_alone(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """After a reinstatement a live cycle flags the idle people, but not the one exempted."""
    for login in ("idle-ian", "idle-ida"):
        sim.add_seat("acme", login, created_at=clock.now - 400 * DAY, last_activity_at=None)
    env = env_for(sim, tmp_path, DRY_RUN="false", INACTIVE_DAYS="30")
    seed_store(env["REAPER_STATE_URL"], audit=[cancelled("idle-ian")])
    result = run(["reinstate", "idle-ian", "--reason", "back from leave", "--yes"], env)
    assert result.returncode == 0, result.stderr

    cycle = run(["once"], env)

    assert cycle.returncode == 0, cycle.stderr
    _, flags, _ = state(env["REAPER_STATE_URL"])
    assert [f.login for f in flags] == ["idle-ida"]
