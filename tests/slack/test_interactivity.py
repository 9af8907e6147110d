"""Answers in Slack over a real Socket Mode connection: keep, release, reinstate, refusals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from reaper.store import SqlStore
from tests.harness import idle_seat

from .clicking import (
    ADMIN,
    GROUPED,
    IAN,
    IVY,
    Listening,
    answering_reaper,
    audit,
    dm_to,
    labels,
    listen,
    report,
    text_of,
    told,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock
    from tests.harness import Reaper


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper answering in Slack, with idle-ian and idle-ivy idle for 45 days."""
    idle_seat(sim, clock, "idle-ian")
    idle_seat(sim, clock, "idle-ivy")
    return answering_reaper(sim, clock, tmp_path)


@pytest.fixture
def slack(sim: Simulator, reaper: Reaper, clock: FakeClock) -> Iterator[Listening]:
    """The reaper's Socket Mode link, connected to the simulator."""
    listening = listen(sim, reaper, clock)
    yield listening
    listening.link.close()


def pending(sim: Simulator, login: str) -> bool:
    seat = sim.seat("acme", login)
    assert seat is not None
    return bool(seat.get("pending_cancellation_date"))


def test_keep_is_not_cancelled_and_not_flagged_again_for_keep_days(
    sim: Simulator, reaper: Reaper, slack: Listening, clock: FakeClock
) -> None:
    """After "I still need it" the seat outlives its due date and is not flagged for 30 days."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    assert labels(warning) == ["I still need it", "Release it now"]
    slack.click(warning, "I still need it", IAN)
    shown = sim.slack_message(warning["channel"], warning["ts"])
    assert "You keep your seat" in text_of(shown)
    assert labels(shown or {}) == []
    assert ("acme", "idle-ian") not in reaper.flags()
    [kept] = audit(reaper, "seat.kept")
    assert "Slack user U0IAN" in kept.reason
    assert slack.actions("keep", "accepted") == 1
    clock.advance(days=7)
    assert reaper.run().ok
    assert reaper.cancel_requests() == [["idle-ivy"]]
    assert not pending(sim, "idle-ian")
    clock.advance(days=22)
    assert reaper.run().ok
    assert ("acme", "idle-ian") not in reaper.flags()
    clock.advance(days=2)
    assert reaper.run().ok
    assert ("acme", "idle-ian") in reaper.flags()


def test_release_cancels_only_after_confirmation_and_once(
    sim: Simulator, reaper: Reaper, slack: Listening
) -> None:
    """Release asks first; only "Yes, release it now" cancels, once; a replay changes nothing."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    slack.click(warning, "Release it now", IAN)
    asked = sim.slack_message(warning["channel"], warning["ts"])
    assert labels(asked or {}) == ["Yes, release it now", "No, keep it"]
    assert reaper.cancel_requests() == []
    assert ("acme", "idle-ian") in reaper.flags()
    slack.click(warning, "Yes, release it now", IAN)
    assert reaper.cancel_requests() == [["idle-ian"]]
    assert pending(sim, "idle-ian")
    assert "Released" in text_of(sim.slack_message(warning["channel"], warning["ts"]))
    assert ("seat.cancelled", "idle-ian") in reaper.audit()
    envelope = sim.socket_envelopes[-1]["envelope_id"]
    before = slack.clicks()
    sim.replay(envelope)
    assert sim.wait_for(lambda: slack.clicks() > before, timeout=20)
    assert reaper.cancel_requests() == [["idle-ian"]]
    assert any("Already released" in text for text in told(sim, IAN))
    assert slack.actions("release", "asked") == 1
    assert slack.actions("release_confirm", "accepted") == 1
    assert slack.actions("release_confirm", "already") == 1


def test_no_keep_it_at_the_confirmation_keeps_the_seat(
    sim: Simulator, reaper: Reaper, slack: Listening
) -> None:
    """Answering "No, keep it" to the confirmation keeps the seat, as "I still need it" does."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    slack.click(warning, "Release it now", IAN)
    slack.click(warning, "No, keep it", IAN)
    assert reaper.cancel_requests() == []
    assert ("acme", "idle-ian") not in reaper.flags()
    assert slack.actions("keep", "accepted") == 1


def test_a_click_by_someone_else_changes_nothing(
    sim: Simulator, reaper: Reaper, slack: Listening
) -> None:
    """Another Slack user clicking a person's warning is told privately, and nothing happens."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    slack.click(warning, "I still need it", IVY)
    slack.click(warning, "Release it now", ADMIN)
    assert ("acme", "idle-ian") in reaper.flags()
    assert reaper.cancel_requests() == []
    assert labels(sim.slack_message(warning["channel"], warning["ts"]) or {}) == [
        "I still need it",
        "Release it now",
    ]
    assert any("Only the person this Copilot seat belongs to" in t for t in told(sim, IVY))
    assert slack.actions("keep", "not_allowed") == 1
    assert slack.actions("release", "not_allowed") == 1
    refused = [e for e in audit(reaper, "slack.action") if "not_allowed" in e.reason]
    assert {e.login for e in refused} == {"idle-ian"}
    assert any("Slack user U0IVY" in e.reason for e in refused)


def test_a_click_on_a_stale_message_changes_nothing(
    sim: Simulator, reaper: Reaper, slack: Listening, clock: FakeClock
) -> None:
    """An old warning's button says the flag is gone, or that a newer warning replaced it."""
    assert reaper.run().ok
    first = dm_to(sim, IAN)
    sim.set_activity("acme", "idle-ian", clock.now)
    clock.advance(days=1)
    assert reaper.run().ok
    slack.click(first, "I still need it", IAN)
    assert any("no longer flagged" in t for t in told(sim, IAN))
    clock.advance(days=32)
    assert reaper.run().ok
    second = dm_to(sim, IAN)
    assert second["ts"] != first["ts"]
    slack.click(first, "Release it now", IAN)
    assert any("earlier warning" in t for t in told(sim, IAN))
    assert ("acme", "idle-ian") in reaper.flags()
    assert reaper.cancel_requests() == [["idle-ivy"]]
    assert slack.actions("keep", "gone") == 1
    assert slack.actions("release", "stale") == 1


def test_an_admin_reinstates_and_a_non_admin_cannot(
    sim: Simulator, reaper: Reaper, slack: Listening, clock: FakeClock
) -> None:
    """The report's "Reinstate" gives the seat back for an admin only; others are told no."""
    assert reaper.run().ok
    clock.advance(days=7)
    assert reaper.run().ok
    assert pending(sim, "idle-ivy")
    cancelled = report(sim)
    assert "Reinstate" in labels(cancelled)
    slack.click(cancelled, "Reinstate", IVY, row="*idle-ivy*")
    assert pending(sim, "idle-ivy")
    assert any("Only Copilot admins" in t for t in told(sim, IVY))
    slack.click(cancelled, "Reinstate", ADMIN, row="*idle-ivy*")
    assert not pending(sim, "idle-ivy")
    shown = text_of(sim.slack_message(cancelled["channel"], cancelled["ts"]))
    assert "Reinstated by <@U0ADM>" in shown
    assert [e.login for e in audit(reaper, "seat.reinstated")] == ["idle-ivy"]
    sim.replay(sim.socket_envelopes[-1]["envelope_id"])
    assert sim.wait_for(lambda: slack.actions("reinstate", "already") == 1, timeout=20)
    assert any("Already done" in t for t in told(sim, ADMIN))
    assert slack.actions("reinstate", "not_allowed") == 1
    assert slack.actions("reinstate", "accepted") == 1


def test_an_admin_of_a_user_group_keeps_a_flagged_person(
    sim: Simulator, reaper: Reaper, slack: Listening
) -> None:
    """The report's "Keep" works for a member of an admin user group and shows who kept it."""
    assert reaper.run().ok
    flagged = report(sim)
    assert labels(flagged).count("Keep") == 2
    slack.click(flagged, "Keep", GROUPED, row="*idle-ian*")
    assert list(reaper.flags()) == [("acme", "idle-ivy")]
    shown = text_of(sim.slack_message(flagged["channel"], flagged["ts"]))
    assert "by <@U0GRP>" in shown
    assert labels(sim.slack_message(flagged["channel"], flagged["ts"]) or {}) == ["Keep"]
    assert slack.actions("admin_keep", "accepted") == 1


def test_a_forged_value_is_refused_and_logged(
    sim: Simulator, reaper: Reaper, slack: Listening
) -> None:
    """A button value the reaper did not seal changes nothing, and is logged and counted."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    with capture_logs() as logs:
        sim.click(
            action_id="reaper.keep",
            value="keep:idle-ian",
            user_id=IAN,
            channel=warning["channel"],
            message_ts=warning["ts"],
            block_id="reaper.answer",
        )
        assert sim.wait_for(lambda: slack.actions("unknown", "unreadable") == 1, timeout=20)
    assert ("acme", "idle-ian") in reaper.flags()
    assert any("could not be read" in t for t in told(sim, IAN))
    [event] = [e for e in logs if e["event"] == "slack.action"]
    assert event["outcome"] == "unreadable"
    assert any("unreadable" in e.reason for e in audit(reaper, "slack.action"))


def test_a_dry_run_answers_and_changes_nothing(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """In a dry run the report's buttons say what a live run would do, and nothing is written."""
    idle_seat(sim, clock, "idle-ian")
    dry = answering_reaper(sim, clock, tmp_path, dry_run=True)
    assert dry.run().ok
    slack = listen(sim, dry, clock)
    try:
        flagged = report(sim)
        slack.click(flagged, "Keep", ADMIN, row="*idle-ian*")
    finally:
        slack.link.close()
    assert any(t.startswith("Dry run: a live run would keep idle-ian") for t in told(sim, ADMIN))
    assert slack.actions("admin_keep", "dry_run") == 1
    assert sim.slack_updates == []
    store = SqlStore(dry.state_url)
    try:
        assert store.audit_log() == []
        assert store.all_flags() == []
        assert store.exemptions(clock.now) == {}
    finally:
        store.close()
