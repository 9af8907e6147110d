"""The click desk on its own (real store, real simulator): busy, mislabelled, limits, admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from reaper.desk.answer import Click
from reaper.desk.clicks import Desk
from reaper.desk.interact import edited
from reaper.desk.who import Admins, Resolver
from reaper.slack.buttons import Sealer
from reaper.slack.mrkdwn import section
from reaper.slack.transport import web_client
from reaper.store import SqlStore
from tests.conftest import SLACK_BOT_TOKEN
from tests.harness import idle_seat

from .clicking import ADMIN, IAN, answering_reaper, dm_to, find_button

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock
    from tests.harness import Reaper


def desk_for(reaper: Reaper, clock: FakeClock) -> Desk:
    settings = reaper.settings()
    client = web_client(SLACK_BOT_TOKEN, settings.slack_api_url)
    return Desk(
        settings,
        sealer=Sealer(SLACK_BOT_TOKEN),
        resolver=Resolver(
            client, state_url=settings.state_url, user_map_file=settings.user_map_file
        ),
        admins=Admins(client, settings.slack_admins),
        clock=clock,
        sleep=reaper.waits.append,
        lock_wait=0.2,
    )


def click_on(message: dict[str, Any], label: str, user: str, action_id: str = "") -> Click:
    block_id, button = find_button(message, label)
    return Click(
        user=user,
        action_id=action_id or button["action_id"],
        value=button["value"],
        channel=str(message["channel"]),
        message_ts=str(message["ts"]),
        block_id=block_id,
        blocks=list(message["blocks"]),
    )


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper answering in Slack; idle-ian is flagged and warned."""
    idle_seat(sim, clock, "idle-ian")
    runner = answering_reaper(sim, clock, tmp_path)
    assert runner.run().ok
    return runner


def test_a_click_while_a_cycle_holds_the_lock_says_busy(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """A keep that cannot take the writer lock changes nothing and says a cycle is running."""
    store = SqlStore(reaper.state_url)
    try:
        with store.lock("a cycle") as held:
            assert held
            answer = desk_for(reaper, clock).answer(
                click_on(dm_to(sim, IAN), "I still need it", IAN)
            )
    finally:
        store.close()
    assert answer.outcome == "busy"
    assert "cycle is running" in answer.say
    assert ("acme", "idle-ian") in reaper.flags()


def test_a_value_under_another_action_id_is_refused(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """A keep value sent as a release confirmation is refused as unreadable; nothing is sent."""
    click = click_on(dm_to(sim, IAN), "I still need it", IAN, "reaper.release_confirm")
    answer = desk_for(reaper, clock).answer(click)
    assert (answer.action, answer.outcome) == ("keep", "unreadable")
    assert reaper.cancel_requests() == []
    assert ("acme", "idle-ian") in reaper.flags()


def test_a_release_past_the_cancellation_limit_fails_and_says_why(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """With REAPER_MAX_CANCELLATIONS=0 a confirmed release cancels nothing and says why."""
    reaper.overrides["max_cancellations"] = 0
    desk = desk_for(reaper, clock)
    warning = dm_to(sim, IAN)
    asked = desk.answer(click_on(warning, "Release it now", IAN))
    assert asked.outcome == "asked"
    assert asked.blocks is not None
    question = {**warning, "blocks": asked.blocks}
    answer = desk.answer(click_on(question, "Yes, release it now", IAN))
    assert answer.outcome == "failed"
    assert "REAPER_MAX_CANCELLATIONS" in answer.say
    assert reaper.cancel_requests() == []


def test_an_unreadable_admin_group_admits_nobody_and_is_logged(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """A user group Slack does not know makes nobody an admin through it, and is logged."""
    sim.slack_user_groups = {}
    client = web_client(SLACK_BOT_TOKEN, sim.slack_api_url)
    admins = Admins(client, [ADMIN, "S0GONE"])
    with capture_logs() as logs:
        assert not admins.allows("U0SOMEONE")
    assert admins.allows(ADMIN)
    assert [e["event"] for e in logs] == ["slack.admin_group_unreadable"]


def test_an_edit_changes_only_the_clicked_block() -> None:
    """The clicked line loses its button and gains the note; every other block stays."""
    row = {**section("• *ian*"), "block_id": "reaper.row.0.0", "accessory": {"type": "button"}}
    other = {**section("• *ivy*"), "block_id": "reaper.row.0.1", "accessory": {"type": "button"}}
    blocks = [section("head"), row, other]
    changed = edited(blocks, "reaper.row.0.0", "_Kept_")
    assert changed is not None
    assert changed[0] == blocks[0]
    assert changed[2] == other
    assert changed[1]["text"]["text"] == "• *ian*\n_Kept_"
    assert "accessory" not in changed[1]
    assert edited(blocks, "reaper.row.9.9", "_Kept_") is None
