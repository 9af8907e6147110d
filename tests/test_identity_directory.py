"""Slack's directory (users.list) against one users.lookupByEmail an address, at the simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from reaper.simulator import Fault
from tests.conftest import SLACK_BOT_TOKEN
from tests.harness import Reaper
from tests.harness import idle_seat as idle
from tests.slack.support import bot_settings, direct_messages

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

PEOPLE = [f"idle-p{n}" for n in range(6)]


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper, no user map; six idle people with SAML identities; 450 Slack users."""
    workspace = {f"w{n}@corp.com": f"U1{n:05d}" for n in range(444)}
    for n, login in enumerate(PEOPLE):
        sim.graphql.add_identity("acme", login, name_id=f"p{n}@corp.com")
        workspace[f"p{n}@corp.com"] = f"U2P{n}"
        idle(sim, clock, login)
    sim.slack_users_by_email = workspace
    runner = Reaper(sim, clock, tmp_path)
    runner.overrides = bot_settings(sim, slack_dm=True)
    return runner


def calls(sim: Simulator, method: str) -> int:
    """How many times the reaper called this Slack method."""
    return sum(1 for r in sim.requests if r.path.endswith(f"/{method}"))


def messaged(sim: Simulator) -> set[str]:
    """The DM channels written to."""
    return {str(m["channel"]) for m in direct_messages(sim)}


def test_the_directory_is_read_when_it_takes_fewer_requests(reaper: Reaper, sim: Simulator) -> None:
    """Six addresses, a 450-user workspace: three users.list pages, no look-up; all reached."""
    assert reaper.run().ok
    assert calls(sim, "users.list") == 3
    assert calls(sim, "users.lookupByEmail") == 0
    assert messaged(sim) == {f"D2P{n}" for n in range(6)}


def test_look_ups_are_used_when_they_take_fewer_requests(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Once the directory is known to take three pages, two new people are looked up instead."""
    assert reaper.run().ok
    clock.advance(days=8)  # past REAPER_IDENTITY_MAX_AGE_DAYS: the directory is stale
    for n, login in enumerate(("idle-q0", "idle-q1")):
        sim.graphql.add_identity("acme", login, name_id=f"q{n}@corp.com")
        sim.slack_users_by_email[f"q{n}@corp.com"] = f"U0Q{n}"
        idle(sim, clock, login)
    sim.reset_records()
    assert reaper.run().ok
    assert calls(sim, "users.list") == 0
    assert calls(sim, "users.lookupByEmail") == 2
    assert {"D0Q0", "D0Q1"} <= messaged(sim)


def test_an_unknown_directory_is_not_read_for_one_person(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """With one address and a directory never read, one look-up beats any page."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.slack_users_by_email = {"ian@corp.com": "U0IAN", "ivy@corp.com": "U0IVY"}
    idle(sim, clock, "idle-ian")
    runner = Reaper(sim, clock, tmp_path)
    runner.overrides = bot_settings(sim, slack_dm=True)
    assert runner.run().ok
    assert calls(sim, "users.list") == 0
    assert calls(sim, "users.lookupByEmail") == 1
    assert messaged(sim) == {"D0IAN"}


def test_deactivated_bots_and_strangers_are_never_messaged(reaper: Reaper, sim: Simulator) -> None:
    """Read from the directory, a deactivated user, a bot or another workspace's user is nobody."""
    sim.slack_deactivated.add("U2P0")
    sim.slack_directory.strangers.add("U2P1")
    sim.slack_users_by_email["p2@corp.com"] = "UZBOT2"
    sim.slack_directory.bots.update({"UZBOT2", "B0OTHER"})
    assert reaper.run().ok
    assert calls(sim, "users.lookupByEmail") == 0
    assert messaged(sim) == {"D2P3", "D2P4", "D2P5"}
    [report] = [m for m in sim.slack_messages if not str(m["channel"]).startswith("D")]
    assert "3 no Slack user with the mapped e-mail" in str(report["blocks"])


def test_a_429_waits_for_retry_after(reaper: Reaper, sim: Simulator) -> None:
    """users.list answering 429 is retried after the Retry-After it gave, and completes."""
    sim.inject(Fault(path=r"/users\.list$", status=429, headers={"Retry-After": "1"}, body=""))
    with capture_logs() as logs:
        assert reaper.run().ok
    waited = [e for e in logs if e["event"] == "slack.rate_limited"]
    assert [e["retry_after"] for e in waited] == [1.0]
    assert calls(sim, "users.list") == 4  # the refused one, then the three pages
    assert len(messaged(sim)) == 6


def test_a_directory_slack_will_not_give_falls_back_to_look_ups(
    reaper: Reaper, sim: Simulator
) -> None:
    """A token without users:read for users.list still reaches everyone by look-ups."""
    sim.inject(
        Fault(path=r"/users\.list$", status=200, body={"ok": False, "error": "missing_scope"})
    )
    assert reaper.run().ok
    assert calls(sim, "users.list") == 1
    assert calls(sim, "users.lookupByEmail") == 6
    assert len(messaged(sim)) == 6


def test_check_names_the_missing_scopes(sim: Simulator, tmp_path: Path) -> None:
    """`reaper check` names users:read.email when the bot token lacks it, and says when not."""
    from tests.test_cli import env_for, run  # noqa: PLC0415 (the CLI harness, as test_check)

    env = env_for(
        sim,
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="C1",
        SLACK_API_URL=sim.slack_api_url,
        SLACK_DM="true",
        IDENTITY="map",
    )
    ok = run(["check"], env)
    assert "[ok] Slack bot token has users:read and users:read.email" in ok.stdout
    sim.slack_directory.scopes.discard("users:read.email")
    lacking = run(["check"], env)
    assert "[warn] Slack bot token lacks users:read.email" in lacking.stdout
    assert "xoxb-" not in lacking.stdout + lacking.stderr


def test_a_directory_whose_cursor_never_ends_is_left_after_as_many_pages_as_addresses(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A stale directory re-read while Slack hands out cursors forever: six pages, then look-ups."""
    assert reaper.run().ok
    clock.advance(days=8)  # past REAPER_IDENTITY_MAX_AGE_DAYS: the directory is stale
    for n in range(6):
        login = f"idle-s{n}"
        sim.graphql.add_identity("acme", login, name_id=f"s{n}@corp.com")
        sim.slack_users_by_email[f"s{n}@corp.com"] = f"U4S{n}"
        idle(sim, clock, login)
    endless = {"ok": True, "members": [], "response_metadata": {"next_cursor": "again"}}
    sim.inject(Fault(path=r"/users\.list$", status=200, body=endless, times=100))
    sim.reset_records()
    assert reaper.run().ok
    assert calls(sim, "users.list") == 6  # never more pages than the six addresses asked about
    assert calls(sim, "users.lookupByEmail") == 6
    assert {f"D4S{n}" for n in range(6)} <= messaged(sim)


def test_a_fresh_directory_is_not_read_again(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Within REAPER_IDENTITY_MAX_AGE_DAYS the directory read stands: newcomers are looked up."""
    assert reaper.run().ok
    clock.advance(days=2)
    for n in range(4):
        login = f"idle-r{n}"
        sim.graphql.add_identity("acme", login, name_id=f"r{n}@corp.com")
        sim.slack_users_by_email[f"r{n}@corp.com"] = f"U3R{n}"
        idle(sim, clock, login)
    sim.reset_records()
    assert reaper.run().ok
    assert calls(sim, "users.list") == 0
    assert calls(sim, "users.lookupByEmail") == 4
    assert {f"D3R{n}" for n in range(4)} <= messaged(sim)


def test_the_simulated_directory_pages_like_slack(sim: Simulator) -> None:
    """users.list at the simulator: 200 a page, cursors to the end, flags, missing_scope."""
    from slack_sdk import WebClient  # noqa: PLC0415 (the real client, as the reaper's)
    from slack_sdk.errors import SlackApiError  # noqa: PLC0415

    sim.slack_users_by_email = {f"u{n}@corp.com": f"U{n:04d}" for n in range(450)}
    sim.slack_deactivated.add("U0000")
    sim.slack_directory.bots.add("UBOT")
    sim.slack_directory.strangers.add("U0001")
    client = WebClient(token=SLACK_BOT_TOKEN, base_url=sim.slack_api_url)
    members, cursor, pages = [], None, 0
    while True:
        answer = client.users_list(limit=500, cursor=cursor)
        pages += 1
        members += answer["members"]
        cursor = answer["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3  # 451 users, at most 200 a page
    by_id = {m["id"]: m for m in members}
    assert len(by_id) == 451
    assert by_id["U0000"]["deleted"]
    assert by_id["UBOT"]["is_bot"]
    assert "email" not in by_id["UBOT"]["profile"]
    assert by_id["U0001"]["is_stranger"]
    assert by_id["U0001"]["team_id"] != by_id["U0002"]["team_id"]
    assert "users:read" in answer.headers["x-oauth-scopes"]
    sim.slack_directory.scopes.discard("users:read")
    with pytest.raises(SlackApiError) as refused:
        client.users_list(limit=200)
    assert refused.value.response["error"] == "missing_scope"


def test_past_the_tier_2_limit_the_look_ups_take_over(reaper: Reaper, sim: Simulator) -> None:
    """users.list past its Tier-2 limit is retried a bounded number of times, then looked up."""
    sim.slack_directory.per_minute = 2  # the simulator's clock stands still: no minute ends
    sim.slack_directory.retry_after = 0
    with capture_logs() as logs:
        assert reaper.run().ok
    assert sim.slack_directory.limited == 4  # the third page, then three retries
    assert calls(sim, "users.list") == 6
    assert any(e["event"] == "slack.directory_unreadable" for e in logs)
    assert calls(sim, "users.lookupByEmail") == 6
    assert len(messaged(sim)) == 6
