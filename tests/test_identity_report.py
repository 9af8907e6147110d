"""Per person in the CSV and JSON reports: the address's source and the direct-message outcome."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from structlog.testing import capture_logs

from reaper.simulator import Fault
from tests.conftest import SLACK_BOT_TOKEN
from tests.harness import Reaper
from tests.harness import idle_seat as idle
from tests.slack.clicking import audit
from tests.slack.support import bot_settings
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

EXPECTED = {
    "idle-ian": ("saml", "reached"),
    "idle-ned": ("none", "no_identity"),
    "idle-ola": ("none", "outside_domains"),
    "idle-pat": ("verified", "no_slack_user"),
    "idle-mo": ("map", "reached"),
}


def five_people(sim: Simulator, clock: FakeClock, tmp_path: Path) -> dict[str, str]:
    """Five idle people, one for each way of (not) being reached; the CLI's environment."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.graphql.add_identity("acme", "idle-ola", name_id="ola@elsewhere.org")
    sim.graphql.verified[("acme", "idle-pat")] = ["pat@corp.com"]
    sim.slack_users_by_email = {"ian@corp.com": "U0IAN", "mo@partner.org": "U0MO"}
    for login in EXPECTED:
        idle(sim, clock, login)
    user_map = tmp_path / "users.csv"
    user_map.write_text("login,email\nidle-mo,mo@partner.org\n")
    env = env_for(
        sim,
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="C1",
        SLACK_API_URL=sim.slack_api_url,
        SLACK_DM="true",
        USER_MAP_FILE=str(user_map),
        EMAIL_DOMAINS="corp.com",
    )
    del env["REAPER_SLACK_WEBHOOK_URL"]
    return env


def test_the_csv_says_the_source_and_the_outcome_per_person(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """`reaper report --format csv` carries address_source and dm_outcome, and no address."""
    result = run(["report", "--format", "csv"], five_people(sim, clock, tmp_path))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    got = {r["login"]: (r["address_source"], r["dm_outcome"]) for r in rows}
    assert got == EXPECTED
    assert "@" not in result.stdout
    assert "email" not in rows[0]
    assert not [m for m in sim.slack_messages if m["channel"].startswith("D")]  # nothing sent


def test_the_json_shows_addresses_only_when_asked(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """The JSON report has the same fields; addresses appear only with --with-emails."""
    env = five_people(sim, clock, tmp_path)
    plain = run(["report", "--format", "json"], env)
    assert plain.returncode == 0, plain.stderr
    [org] = json.loads(plain.stdout)["orgs"]
    got = {e["login"]: (e["address_source"], e["dm_outcome"]) for e in org["flagged"]}
    assert got == EXPECTED
    assert "@corp.com" not in plain.stdout
    shown = run(["report", "--format", "json", "--with-emails"], env)
    [org] = json.loads(shown.stdout)["orgs"]
    emails = {e["login"]: e["email"] for e in org["flagged"]}
    assert emails["idle-ian"] == "ian@corp.com"
    assert emails["idle-ned"] is None
    csv_shown = run(["report", "--format", "csv", "--with-emails"], env)
    assert "pat@corp.com" in csv_shown.stdout


def test_the_audit_records_the_source_of_a_cancel_message(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Told of a cancel through SAML, the audit says "saml" and never the address."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.slack_users_by_email = {"ian@corp.com": "U0IAN"}
    idle(sim, clock, "idle-ian")
    reaper = Reaper(sim, clock, tmp_path)
    reaper.overrides = bot_settings(sim, slack_dm=True)
    assert reaper.run().ok
    clock.advance(days=15)  # past the 14-day grace period
    with capture_logs() as logs:
        assert reaper.run().ok
    assert reaper.cancel_requests() == [["idle-ian"]]
    [told] = audit(reaper, "slack.dm_sent")
    assert (told.org, told.login) == ("acme", "idle-ian")
    assert "address: saml" in told.reason
    assert all("@corp.com" not in e.reason for e in audit(reaper))
    loud = [e for e in logs if e["log_level"] != "debug"]
    assert "@corp.com" not in json.dumps(loud, default=str)


def test_a_cancel_message_sent_when_the_channel_fails_is_audited_too(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """The channel report fails, the cancel's direct message still goes: audited with its source."""
    sim.graphql.add_identity("acme", "idle-ian", name_id="ian@corp.com")
    sim.slack_users_by_email = {"ian@corp.com": "U0IAN"}
    idle(sim, clock, "idle-ian")
    reaper = Reaper(sim, clock, tmp_path)
    reaper.overrides = bot_settings(sim, slack_dm=True)
    assert reaper.run().ok
    clock.advance(days=15)
    sim.inject(Fault(path=r"chat\.postMessage$", status=200, body={"ok": False, "error": "x"}))
    outcome = reaper.run()
    assert not outcome.delivered
    assert reaper.cancel_requests() == [["idle-ian"]]
    [told] = audit(reaper, "slack.dm_sent")
    assert (told.org, told.login) == ("acme", "idle-ian")
    assert "address: saml" in told.reason


def test_the_channel_report_counts_each_reason(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Reached and not reached, by reason: no identity, domains, no Slack user, Slack refused."""
    for login in ("idle-ian", "idle-rex"):
        sim.graphql.add_identity("acme", login, name_id=f"{login[5:]}@corp.com")
    sim.graphql.add_identity("acme", "idle-ola", name_id="ola@elsewhere.org")
    sim.graphql.verified[("acme", "idle-pat")] = ["pat@corp.com"]
    sim.slack_users_by_email = {"ian@corp.com": "U0IAN", "rex@corp.com": "U0REX"}
    for login in ("idle-ian", "idle-ned", "idle-ola", "idle-pat", "idle-rex"):
        idle(sim, clock, login)
    sim.inject(Fault(path=r"/users\.list$", status=200, body={"ok": False, "error": "no"}))
    refused = {"ok": False, "error": "fatal_error"}
    sim.inject(Fault(path=r"/users\.lookupByEmail$", status=200, body=refused))
    reaper = Reaper(sim, clock, tmp_path)
    reaper.overrides = bot_settings(sim, slack_dm=True, email_domains="corp.com")
    assert reaper.run().ok
    [report] = [m for m in sim.slack_messages if not str(m["channel"]).startswith("D")]
    text = json.dumps(report["blocks"])
    assert "1 user is warned by direct message." in text
    assert "4 users are not reached by direct message" in text
    for reason in (
        "1 no identity found",
        "1 address outside the allowed domains",
        "1 no Slack user with the mapped e-mail",
        "1 Slack look-up failed (fatal_error)",
    ):
        assert reason in text
    assert "@corp.com" not in text


def test_the_csv_in_the_thread_carries_the_outcome_but_no_address(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A cut report's CSV says each person's source and outcome, never their address."""
    logins = [f"idle-{n:02d}" for n in range(20)]
    for n, login in enumerate(logins):
        idle(sim, clock, login)
        if n % 2 == 0:
            sim.graphql.add_identity("acme", login, name_id=f"p{n}@corp.com")
    sim.slack_users_by_email = {f"p{n}@corp.com": f"U0P{n:02d}" for n in range(0, 20, 4)}
    reaper = Reaper(sim, clock, tmp_path)
    reaper.overrides = bot_settings(sim, slack_dm=True)
    assert reaper.run().ok
    [upload] = sim.slack_files
    content = upload["content"].decode()
    rows = {r["login"]: r for r in csv.DictReader(io.StringIO(content))}
    assert (rows["idle-00"]["address_source"], rows["idle-00"]["dm_outcome"]) == ("saml", "reached")
    assert (rows["idle-02"]["address_source"], rows["idle-02"]["dm_outcome"]) == (
        "saml",
        "no_slack_user",
    )
    assert (rows["idle-01"]["address_source"], rows["idle-01"]["dm_outcome"]) == (
        "none",
        "no_identity",
    )
    assert "@" not in content
