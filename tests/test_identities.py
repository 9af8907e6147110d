"""Reaching people with no user map: SAML, SCIM and verified e-mails, in order, cached."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from tests.conftest import SLACK_BOT_TOKEN
from tests.harness import Reaper
from tests.harness import idle_seat as idle
from tests.slack.support import bot_settings, channel_messages, direct_messages

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper with a bot token, direct messages on and no user map."""
    sim.slack_users_by_email = {"ian@corp.com": "U0IAN", "ivy@corp.com": "U0IVY"}
    runner = Reaper(sim, clock, tmp_path)
    runner.overrides = bot_settings(sim, slack_dm=True)
    return runner


def graphql_requests(sim: Simulator) -> list[dict[str, object]]:
    """The variables of every GraphQL query the simulator received."""
    return [r.json["variables"] for r in sim.requests if r.path == "/graphql"]


def report_text(sim: Simulator) -> str:
    """The channel report's blocks as text."""
    [report] = channel_messages(sim)
    return json.dumps(report["blocks"], ensure_ascii=False)


def dm_channels(sim: Simulator) -> list[str]:
    """The DM channels written to."""
    return [m["channel"] for m in direct_messages(sim)]


def test_saml_name_id_reaches_a_person(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A SAML nameId that is an address reaches the person, with no user map at all."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    idle(sim, clock, "idle-ian")
    assert reaper.run().ok
    assert dm_channels(sim) == ["D0IAN"]
    assert "1 user is warned by direct message." in report_text(sim)


def test_scim_primary_e_mail_reaches_a_person(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A SCIM identity (Enterprise Managed Users) gives its primary e-mail."""
    sim.graphql.add_identity("acme", "idle-ivy", scim_username="ivy", scim_emails=["ivy@corp.com"])
    idle(sim, clock, "idle-ivy")
    assert reaper.run().ok
    assert dm_channels(sim) == ["D0IVY"]


def test_verified_domain_e_mail_reaches_a_person(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """With no SAML, the person's e-mail in the org's verified domains is used."""
    sim.graphql.verified[("acme", "idle-ian")] = ["ian@corp.com"]
    idle(sim, clock, "idle-ian")
    assert reaper.run().ok
    assert dm_channels(sim) == ["D0IAN"]


def test_the_order_decides_and_the_map_wins(
    reaper: Reaper, sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """The user map wins when it names the login; otherwise REAPER_IDENTITY's order decides."""
    users = tmp_path / "users.csv"
    users.write_text("login,email\nidle-ian,ivy@corp.com\n")
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.graphql.add_identity("acme", "idle-ivy", name_id="nobody@corp.com")
    sim.graphql.verified[("acme", "idle-ivy")] = ["ivy@corp.com"]
    idle(sim, clock, "idle-ian")
    idle(sim, clock, "idle-ivy")
    reaper.overrides |= {"user_map_file": users, "identity": "map,verified,saml"}
    assert reaper.run().ok
    assert sorted(dm_channels(sim)) == ["D0IVY", "D0IVY"]  # ian by the map, ivy by verified


def test_addresses_outside_the_domains_are_not_used(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """REAPER_EMAIL_DOMAINS drops other addresses; the report counts the reason."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@gmail.com")
    sim.slack_users_by_email = {"ian@gmail.com": "U0IAN"}
    idle(sim, clock, "idle-ian")
    reaper.overrides["email_domains"] = "corp.com"
    assert reaper.run().ok
    assert direct_messages(sim) == []
    text = report_text(sim)
    assert "1 address outside the allowed domains" in text
    assert "gmail" not in text


def test_an_unavailable_source_is_skipped_with_one_line(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """No SAML on the org: saml and scim are skipped, each logged once, the cycle goes on."""
    sim.graphql.verified[("acme", "idle-ian")] = ["ian@corp.com"]
    idle(sim, clock, "idle-ian")
    idle(sim, clock, "idle-ivy")
    with capture_logs() as logs:
        assert reaper.run().ok
    skipped = [e for e in logs if e["event"] == "identity.source_unavailable"]
    assert sorted(e["source"] for e in skipped) == ["saml", "scim"]
    assert "turn on SAML single sign-on" in skipped[0]["why"]
    assert dm_channels(sim) == ["D0IAN"]


def test_a_token_not_authorised_for_sso_is_named(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """GitHub's SAML-enforcement error is read for what it says, not taken as "no SAML"."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.graphql.unauthorised.add("acme")
    idle(sim, clock, "idle-ian")
    with capture_logs() as logs:
        assert reaper.run().ok
    [saml] = [e for e in logs if e.get("source") == "saml"]
    assert "not authorised for SSO" in saml["why"]
    assert "authorise the token for single sign-on" in saml["why"]
    assert direct_messages(sim) == []
    assert "1 no identity found" in report_text(sim)


def test_answers_are_cached_and_read_again_when_old(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A resolved person is not asked of GitHub again until REAPER_IDENTITY_MAX_AGE_DAYS."""
    sim.graphql.add_identity("acme", "idle-ned", name_id="ned@corp.com")  # no Slack user
    idle(sim, clock, "idle-ned")
    reaper.overrides |= {"identity_max_age_days": 2, "grace_days": 30}
    reaper.run()
    first = len(graphql_requests(sim))
    assert first >= 1
    clock.advance(days=1)
    reaper.run()  # ned is still to be warned: his address comes from the cache
    assert len(graphql_requests(sim)) == first
    clock.advance(days=2)
    reaper.run()
    assert len(graphql_requests(sim)) > first


def test_few_people_are_asked_for_one_by_one(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """With 1,000 identities and three people to reach, no more than four queries are sent."""
    for n in range(1000):
        sim.graphql.add_identity("acme", f"member-{n}", name_id=f"m{n}@corp.com")
    for login in ("member-5", "member-500", "member-999"):
        idle(sim, clock, login)
    reaper.overrides["identity"] = "saml"
    assert reaper.run().ok
    asked = graphql_requests(sim)
    assert len(asked) <= 4
    assert sum(1 for v in asked if v.get("login")) >= 2


def test_many_people_are_read_page_by_page(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """With 250 identities and 40 people to reach, the list is read in its three pages."""
    for n in range(250):
        sim.graphql.add_identity("acme", f"member-{n}", name_id=f"m{n}@corp.com")
    for n in range(0, 240, 6):
        idle(sim, clock, f"member-{n}")
    reaper.overrides["identity"] = "saml"
    assert reaper.run().ok
    asked = graphql_requests(sim)
    assert len(asked) == 3
    assert all(v.get("first") == 100 and not v.get("login") for v in asked)


def test_a_deactivated_slack_user_is_never_messaged(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A Slack user who is deactivated is not messaged; the report says why."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.slack_deactivated.add("U0IAN")
    idle(sim, clock, "idle-ian")
    assert reaper.run().ok
    assert direct_messages(sim) == []
    assert "1 the Slack user is deactivated" in report_text(sim)


def test_no_address_reaches_a_log_line_at_info(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Addresses found by any source appear in no log event at INFO or above."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.graphql.add_identity("acme", "idle-ned", scim_emails=["ned@corp.com"])
    sim.graphql.verified[("acme", "idle-ivy")] = ["ivy@corp.com"]
    for login in ("idle-ian", "idle-ned", "idle-ivy"):
        idle(sim, clock, login)
    with capture_logs() as logs:
        assert reaper.run().ok
    loud = [e for e in logs if e["log_level"] != "debug"]
    assert loud
    assert "@corp.com" not in json.dumps(loud, default=str)
    assert len(direct_messages(sim)) == 2


def test_check_names_each_source_and_what_would_enable_it(sim: Simulator, tmp_path: Path) -> None:
    """`reaper check` says which identity source GitHub gives and, if not, why and the fix."""
    from tests.test_cli import env_for, run  # noqa: PLC0415 (the CLI harness, as test_check)

    env = env_for(
        sim,
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="C1",
        SLACK_API_URL=sim.slack_api_url,
        SLACK_DM="true",
        IDENTITY="saml,verified",
    )
    result = run(["check"], env)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert (
        "[warn] identity saml: skipped: no SAML single sign-on on organisation acme"
        in "\n".join(lines)
    )
    assert any("turn on SAML single sign-on" in x for x in lines)
    assert "[ok] identity verified: available on organisation acme" in lines
    sim.graphql.sso("acme")
    again = run(["check"], env)
    assert "[ok] identity saml: available on organisation acme" in again.stdout.splitlines()
