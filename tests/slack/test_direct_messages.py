"""Direct messages to the users: found by e-mail, sent once per user per event, never blocking."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from reaper.app import open_cycle
from reaper.simulator import Fault
from tests.harness import Reaper
from tests.harness import idle_seat as idle

from .support import bot_settings, channel_messages, direct_messages

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper with a bot token, DMs on, and a user map for ian and ivy (not nobody)."""
    user_map = tmp_path / "users.csv"
    user_map.write_text(
        "login,email\nidle-ian,ian@example.com\nIdle-Ivy,ivy@example.com\n"
        "nobody-ned,ned@example.com\n"
    )
    sim.slack_users_by_email = {"ian@example.com": "U0IAN", "ivy@example.com": "U0IVY"}
    runner = Reaper(sim, clock, tmp_path)
    runner.overrides = bot_settings(sim, slack_dm=True, user_map_file=user_map)
    return runner


def dms_to(sim: Simulator, user: str) -> list[str]:
    return [m["text"] for m in direct_messages(sim) if m["channel"] == f"D{user[1:]}"]


def test_flagged_user_is_warned_once(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A newly flagged user gets one DM with the org, idle date and release date, never again."""
    idle(sim, clock, "idle-ian")
    assert reaper.run().ok
    [warning] = direct_messages(sim)
    assert warning["channel"] == "D0IAN"
    blocks = json.dumps(warning["blocks"])
    assert "acme" in blocks
    assert "2026-01-16" in blocks
    assert "2026-03-09" in blocks
    assert "use Copilot once before 2026-03-09" in blocks
    for _ in range(3):
        clock.advance(days=1)
        reaper.run()
    assert len(dms_to(sim, "U0IAN")) == 1


def test_cancelled_user_gets_one_note(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A cancelled user gets exactly one message saying so and where to ask for it back."""
    idle(sim, clock, "idle-ivy")
    reaper.run()
    clock.advance(days=7)
    assert reaper.run().ok
    clock.advance(days=1)
    reaper.run()
    texts = dms_to(sim, "U0IVY")
    assert len(texts) == 2
    assert "was released" in texts[1]
    assert "ask in <#C" in texts[1]


def test_unknown_user_does_not_stop_the_cycle(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Users with no Slack account or no mapping are listed in the report; the cycle goes on."""
    idle(sim, clock, "idle-ian")
    idle(sim, clock, "nobody-ned")
    idle(sim, clock, "unmapped-uma")
    outcome = reaper.run()
    assert outcome.ok
    assert len(reaper.flags()) == 3
    assert all(flag.warned_at is not None for flag in reaper.flags().values())
    [report] = channel_messages(sim)
    body = json.dumps(report["blocks"], ensure_ascii=False)
    assert "Could not be warned directly (2)" in body
    assert "*nobody-ned* · acme · no Slack user with the mapped e-mail" in body
    assert "*unmapped-uma* · acme · no identity found" in body  # no source had an address
    assert len(direct_messages(sim)) == 1


def test_lookups_are_cached(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """Slack is asked once per e-mail (here one directory page); a "not found" after a day."""

    def lookups() -> int:
        return len([r for r in sim.requests if r.path.endswith(("lookupByEmail", "users.list"))])

    idle(sim, clock, "nobody-ned")
    idle(sim, clock, "idle-ian")
    reaper.run()
    assert lookups() == 1  # one users.list page holds both, fewer than two look-ups
    clock.advance(hours=1)
    reaper.run()  # ned is still waiting for a warning: retried from the cache
    assert lookups() == 1
    clock.advance(days=2)
    reaper.run()  # the directory read two days ago is fresh: ned alone is looked up
    assert lookups() == 2
    assert len(dms_to(sim, "U0IAN")) == 1


def test_dry_run_sends_no_direct_messages(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A dry run posts the report but messages nobody and looks nobody up."""
    idle(sim, clock, "idle-ian")
    reaper.overrides["dry_run"] = True
    assert reaper.run().ok
    assert direct_messages(sim) == []
    assert not [r for r in sim.requests if "lookupByEmail" in r.path]
    assert "never sent in a dry run" in json.dumps(sim.slack_messages[0]["blocks"])


def test_undelivered_report_sends_no_warning(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """When the report fails nobody is warned; the next delivered report warns them once."""
    idle(sim, clock, "idle-ian")
    sim.inject(Fault(path=r"chat\.postMessage", status=200, body={"ok": False, "error": "x"}))
    assert not reaper.run().delivered
    assert direct_messages(sim) == []
    clock.advance(days=1)
    assert reaper.run().ok
    clock.advance(days=1)
    reaper.run()
    assert len(dms_to(sim, "U0IAN")) == 1


def test_refused_dm_is_reported_and_retried_later(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A DM Slack refuses is named in the report's thread, and sent in a later cycle."""
    idle(sim, clock, "idle-ian")
    sim.inject(Fault(path=r"conversations\.open", status=200, body={"ok": False, "error": "x"}))
    assert reaper.run().ok
    report, reply = sim.slack_messages
    assert reply["thread_ts"] == report["ts"]
    assert "could not be warned directly" in reply["text"]
    clock.advance(days=1)
    reaper.run()
    assert len(dms_to(sim, "U0IAN")) == 1


def test_flags_set_before_dms_were_enabled_are_caught_up(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Turning DMs on warns users flagged earlier whose due date is still ahead, once."""
    idle(sim, clock, "idle-ian")
    with_dms = reaper.overrides
    reaper.overrides = {k: v for k, v in with_dms.items() if k != "slack_dm"}
    reaper.run()
    assert direct_messages(sim) == []
    reaper.overrides = with_dms
    clock.advance(days=2)
    reaper.run()
    clock.advance(days=1)
    reaper.run()
    assert len(dms_to(sim, "U0IAN")) == 1


def test_unreadable_user_map_is_reported(
    reaper: Reaper, sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A user map broken under a running service is said in the report; the cycle goes on."""
    idle(sim, clock, "idle-ian")
    settings = reaper.settings()  # valid at start-up
    (tmp_path / "users.csv").write_text("login,email\nidle-ian\n")  # the ConfigMap changes
    with open_cycle(settings, clock=clock, sleep=reaper.waits.append) as cycle:
        assert cycle.run().ok
    assert "user map could not be read" in json.dumps(sim.slack_messages[0]["blocks"])
    assert direct_messages(sim) == []


def test_cancelled_user_is_told_even_if_the_report_fails(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A cancel has happened whatever the channel: its note goes out even when the report fails."""
    idle(sim, clock, "idle-ivy")
    reaper.run()
    clock.advance(days=7)
    sim.inject(Fault(path=r"chat\.postMessage$", status=200, body={"ok": False, "error": "x"}))
    outcome = reaper.run()
    assert not outcome.delivered
    assert outcome.report.totals.cancelled == 1
    texts = dms_to(sim, "U0IVY")
    assert len(texts) == 2
    assert "was released" in texts[1]
