"""The buttons of a person reached through SAML (no user map), clicked over Socket Mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.harness import Reaper, idle_seat
from tests.slack.clicking import (
    ADMIN,
    IAN,
    IVY,
    Listening,
    audit,
    dm_to,
    labels,
    listen,
    text_of,
    told,
)
from tests.slack.support import bot_settings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper answering in Slack with no user map; idle-ian is known only to SAML."""
    idle_seat(sim, clock, "idle-ian")
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.slack_users_by_email = {"ian@corp.com": IAN, "ivy@corp.com": IVY}
    runner = Reaper(sim, clock, tmp_path)
    runner.overrides = bot_settings(
        sim, slack_dm=True, slack_app_token=sim.slack_app_token, slack_admins=[ADMIN], keep_days=30
    )
    return runner


@pytest.fixture
def slack(sim: Simulator, reaper: Reaper, clock: FakeClock) -> Iterator[Listening]:
    """The reaper's Socket Mode link, connected to the simulator."""
    listening = listen(sim, reaper, clock)
    yield listening
    listening.link.close()


def graphql_count(sim: Simulator) -> int:
    """How many GraphQL queries the simulator has answered."""
    return sum(1 for r in sim.requests if r.path == "/graphql")


def test_the_person_reached_through_saml_may_keep_their_seat(
    sim: Simulator, reaper: Reaper, slack: Listening
) -> None:
    """The SAML-resolved person may click "I still need it"; the cached identity is reused."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    assert labels(warning) == ["I still need it", "Release it now"]
    asked = graphql_count(sim)
    slack.click(warning, "I still need it", IAN)
    assert "You keep your seat" in text_of(sim.slack_message(warning["channel"], warning["ts"]))
    assert ("acme", "idle-ian") not in reaper.flags()
    assert slack.actions("keep", "accepted") == 1
    [kept] = audit(reaper, "seat.kept")
    assert "Slack user U0IAN" in kept.reason
    assert graphql_count(sim) == asked  # the identity read for the message was reused


def test_the_person_reached_through_saml_may_release_their_seat(
    sim: Simulator, reaper: Reaper, slack: Listening
) -> None:
    """The SAML-resolved person may confirm "Release it now", and the seat is cancelled."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    slack.click(warning, "Release it now", IAN)
    slack.click(warning, "Yes, release it now", IAN)
    assert reaper.cancel_requests() == [["idle-ian"]]
    assert slack.actions("release_confirm", "accepted") == 1


def test_anyone_else_is_still_refused(sim: Simulator, reaper: Reaper, slack: Listening) -> None:
    """Another Slack user clicking the SAML-resolved person's warning changes nothing."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    slack.click(warning, "I still need it", IVY)
    slack.click(warning, "Release it now", ADMIN)
    assert ("acme", "idle-ian") in reaper.flags()
    assert reaper.cancel_requests() == []
    assert any("Only the person this Copilot seat belongs to" in t for t in told(sim, IVY))
    assert slack.actions("keep", "not_allowed") == 1
    assert slack.actions("release", "not_allowed") == 1


def test_a_person_whose_identity_is_gone_is_refused(
    sim: Simulator, reaper: Reaper, slack: Listening, clock: FakeClock
) -> None:
    """Once the identity no longer names them (read again when old), their click is refused."""
    assert reaper.run().ok
    warning = dm_to(sim, IAN)
    sim.graphql.providers["acme"].identities.clear()  # unlinked from single sign-on
    clock.advance(days=8)  # past REAPER_IDENTITY_MAX_AGE_DAYS (7): read again at the click
    slack.click(warning, "I still need it", IAN)
    assert ("acme", "idle-ian") in reaper.flags()
    assert slack.actions("keep", "not_allowed") == 1
