"""``reaper demo``: the real cycle, live, against the built-in GitHub and Slack simulator.

An enterprise with two synthetic orgs and a few hundred seats lives through simulated days:
idle people are flagged and warned, one comes back, and the rest lose their seats when the
grace period ends. One person holds seats from both orgs (one decision, one seat saved), one
is granted directly by the enterprise, and one through an enterprise team (left to a
person). The report goes to a channel with a bot token, and every warned person gets a
direct message with buttons; one of them clicks "I still need it" (over Slack's Socket Mode,
as the simulator speaks it) and keeps the seat. Each channel message and that person's
direct messages are printed. An epilogue (``demo_billing``) shows a cancel moved to the
billing-cycle end and a person kept by GitHub's usage report. No network beyond loopback.
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from reaper.app import open_cycle
from reaper.commands import demo_teams
from reaper.commands.demo_auth import demo_auth_choice, demo_auth_summary, demo_credentials
from reaper.commands.demo_billing import billing_story
from reaper.commands.demo_identity import through_saml
from reaper.config.settings import Settings
from reaper.core.domain import enterprise_scope
from reaper.desk.socket import SocketLink
from reaper.logs import configure_logging
from reaper.simulator import Simulator
from reaper.simulator.core import SIM_SLACK_BOT_TOKEN
from reaper.slack.dm_text import KEEP_LABEL
from reaper.slack.mrkdwn import unescape

if TYPE_CHECKING:
    from reaper.cycle.orchestrator import CycleOutcome

DAY = timedelta(days=1)
DEMO_TOKEN = "ghp_demo_token_not_a_real_secret"  # noqa: S105  (the simulator's own)
ENTERPRISE = "acme"
ORGS = {"acme-corp": 180, "acme-labs": 120}
INACTIVE_DAYS = 60
GRACE_DAYS = 7
CHANNEL = "#copilot-admins"
CLICK_DAY = 2


@dataclass
class DemoClock:
    """Simulated time: starts today at 09:00 UTC and moves a day at a time."""

    now: datetime

    def __call__(self) -> datetime:
        """Return the simulated now."""
        return self.now


def populate(sim: Simulator, now: datetime, rng: random.Random) -> list[str]:
    """Fill the simulator with seats: mostly active, some idle, a few special cases."""
    idle: list[str] = []
    sim.add_enterprise(ENTERPRISE)
    for org, size in ORGS.items():
        sim.add_org(org, enterprise=ENTERPRISE)
        platform = sim.add_team("platform", org=org)  # grants some seats; who-can reads it
        for number in range(size):
            login = f"{org.split('-')[1]}-dev{number:03d}"
            created = now - rng.randint(100, 900) * DAY
            roll = rng.random()
            if roll < 0.78:
                last = now - timedelta(hours=rng.randint(1, 24 * 40))
            elif roll < 0.9:
                last = now - rng.randint(INACTIVE_DAYS + 1, 89) * DAY
                idle.append(login)
            else:
                last = None  # GitHub resets activity to null after 90 idle days
                idle.append(login)
            team = "platform" if number % 25 == 7 else None
            if team is not None:
                platform.add_member(login)
            sim.add_seat(org, login, created_at=created, last_activity_at=last, team=team)
        sim.add_seat(org, f"{org}-newhire", created_at=now - 3 * DAY, last_activity_at=None)
    sim.add_seat("acme-corp", "build-bot", created_at=now - 500 * DAY, last_activity_at=None)
    long_ago = now - 75 * DAY
    for org in ORGS:  # one person, two grants: one decision and, when cancelled, one seat saved
        sim.add_seat(org, "two-org-tess", created_at=now - 300 * DAY, last_activity_at=long_ago)
    enterprise = enterprise_scope(ENTERPRISE)
    sim.add_seat(enterprise, "direct-dan", created_at=now - 200 * DAY, last_activity_at=long_ago)
    sim.add_team("ent-devs", enterprise=ENTERPRISE).add_member("team-eve")
    sim.add_seat(
        enterprise, "team-eve", created_at=now - 200 * DAY, last_activity_at=None, team="ent-devs"
    )
    sim.add_seat(
        "acme-labs",
        "leaver",
        created_at=now - 400 * DAY,
        last_activity_at=None,
        pending_cancellation_date=(now + 20 * DAY).date().isoformat(),
    )
    return idle


def people(sim: Simulator, logins: list[str], folder: Path) -> tuple[Path, dict[str, str]]:
    """A user map for ``logins`` and their Slack users in the simulator: (file, login → id)."""
    ids = {login: f"U{number:07d}" for number, login in enumerate(logins, start=1)}
    path = folder / "users.csv"
    path.write_text("login,email\n" + "".join(f"{login},{login}@example.com\n" for login in logins))
    sim.slack_users_by_email = {f"{login}@example.com": ids[login] for login in logins}
    return path, ids


def print_slack(sim: Simulator, out: TextIO, seen: int, dm_channel: str = "") -> int:
    """Print the Slack messages since ``seen`` as Slack shows them: the channel's and one DM."""
    messages = sim.slack_messages
    for message in messages[seen:]:
        channel = str(message.get("channel") or "")
        if channel.startswith("D") and channel != dm_channel:
            continue  # the other warned persons' direct messages
        prefix = f"[direct message to {channel}]\n" if channel.startswith("D") else ""
        out.write(prefix + _show(message) + "\n")
    return len(messages)


def _show(message: dict[str, Any]) -> str:
    lines = [_block_text(block) for block in message.get("blocks") or []]
    return _plain("\n".join(line for line in lines if line) or str(message.get("text") or ""))


def click_keep(sim: Simulator, warning: dict[str, Any], user_id: str) -> dict[str, Any] | None:
    """Click "I still need it" in a warning as its person would; the message as it is then."""
    channel, ts = str(warning["channel"]), str(warning["ts"])
    found = [
        (str(block.get("block_id", "")), element)
        for block in warning.get("blocks") or []
        for element in block.get("elements") or []
        if element.get("type") == "button" and element["text"]["text"] == KEEP_LABEL
    ]
    if not found:
        return None
    block_id, element = found[0]
    before = len(sim.slack_updates)
    sim.click(
        action_id=element["action_id"],
        value=element["value"],
        user_id=user_id,
        channel=channel,
        message_ts=ts,
        block_id=block_id,
        timeout=10,
    )
    if not sim.wait_for(lambda: len(sim.slack_updates) > before, timeout=10):
        return None
    return sim.slack_message(channel, ts)


def _plain(text: str) -> str:
    """Mrkdwn as a terminal shows it best: no ``*bold*`` or ``_italic_`` marks, entities undone."""
    text = re.sub(r"\*([^*\n]+)\*", r"\1", text)
    text = re.sub(r"(^|\s)_([^_\n]+)_(?=\s|$)", r"\1\2", text, flags=re.MULTILINE)
    return unescape(text)


def _block_text(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "divider":
        return "-" * 40
    text = block.get("text")
    if isinstance(text, dict):
        body = str(text.get("text", ""))
        if isinstance(block.get("accessory"), dict):
            body += "  " + _button(block["accessory"])
        return body.upper() if kind == "header" else body.replace("```", "")
    if kind == "actions":
        return "  ".join(_button(e) for e in block.get("elements") or [])
    fields = block.get("fields") or block.get("elements") or []
    return "  ".join(str(f.get("text", "")) for f in fields if isinstance(f, dict))


def _button(element: dict[str, Any]) -> str:
    text = element.get("text")
    return f"[{text.get('text', '')}]" if isinstance(text, dict) else ""


def run_demo(
    out: TextIO = sys.stdout, *, start: datetime | None = None, auth: str | None = None
) -> int:
    """Run the demo and return 0 when every simulated cycle behaved as a live run should."""
    clock = DemoClock(
        (start or datetime.now(UTC)).replace(hour=9, minute=0, second=0, microsecond=0)
    )
    rng = random.Random(2026)  # noqa: S311  (synthetic data, not security)
    configure_logging(level="WARNING", fmt="console", secrets=[DEMO_TOKEN, SIM_SLACK_BOT_TOKEN])
    with Simulator(token=DEMO_TOKEN, clock=clock) as sim, tempfile.TemporaryDirectory() as tmp:
        idle = populate(sim, clock.now, rng)
        teamed = demo_teams.populate_teams(sim, clock.now)
        comeback, keeper = idle[0], idle[1]
        user_map, ids = people(
            sim, [*idle, "two-org-tess", "direct-dan", "team-eve", *teamed], Path(tmp)
        )
        saml = through_saml(sim, user_map, keeper, ENTERPRISE)  # reached with no user map
        settings = Settings(
            **demo_credentials(sim, [*ORGS], DEMO_TOKEN, demo_auth_choice(auth)),
            github_api_url=sim.github_url,
            github_orgs=list(ORGS),
            github_enterprise=ENTERPRISE,
            inactive_days=INACTIVE_DAYS,
            grace_days=GRACE_DAYS,
            dry_run=False,
            exempt_users=["build-bot"],
            max_cancellations=100,  # the demo's orgs are small: a fifth of their seats go
            max_cancellation_percent=25,
            slack_bot_token=SIM_SLACK_BOT_TOKEN,
            slack_channel=CHANNEL,
            slack_api_url=sim.slack_api_url,
            slack_dm=True,
            user_map_file=user_map,
            slack_app_token=sim.slack_app_token,
            state_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
            **demo_teams.team_settings(),
        )
        link = SocketLink(settings, clock=clock)
        link.start()
        try:
            ok = sim.socket_connected(10) and _story(
                sim, settings, clock=clock, out=out, idle=idle, ids=ids
            )
        finally:
            link.close()
        ok = ok and demo_teams.reinstate_story(sim, settings, clock=clock, out=out)
        ok = ok and billing_story(
            sim,
            settings,
            clock=clock,
            start=clock.now + 2 * DAY,
            folder=tmp,
            out=out,
            print_slack=print_slack,
        )
        pending = sum(
            1
            for org in ORGS
            for login in idle
            if (seat := sim.seat(org, login)) and seat.get("pending_cancellation_date")
        )
        kept = not any(
            (seat := sim.seat(org, keeper)) and seat.get("pending_cancellation_date")
            for org in ORGS
        )
        out.write(
            f"\nDone: {pending} idle seats cancelled (two-org-tess's two grants saved one seat), "
            f"{comeback} kept theirs by using Copilot, {keeper} by answering in Slack, "
            "other team-granted seats (team-eve's enterprise team too) left to a person. State "
            "was in a throw-away SQLite file.\n"
        )
        out.write(demo_teams.team_summary(sim))
        out.write(saml(ids[keeper]) + demo_auth_summary(sim))
    return 0 if ok and kept else 1


def _story(
    sim: Simulator,
    settings: Settings,
    *,
    clock: DemoClock,
    out: TextIO,
    idle: list[str],
    ids: dict[str, str],
) -> bool:
    """The simulated days; ``True`` when every cycle and the click went as they should."""
    comeback, keeper = idle[0], idle[1]
    dm = f"D{ids[keeper][1:]}"
    story = [
        (0, f"Day 0: first live run. {len(idle)} idle seats are flagged and warned.", None),
        (CLICK_DAY, f'Day {CLICK_DAY}: {keeper} answers the warning: "{KEEP_LABEL}".', keeper),
        (3, f"Day 3: {comeback} opens their editor and uses Copilot again.", comeback),
        (GRACE_DAYS, f"Day {GRACE_DAYS}: the grace period is over for everyone still idle.", None),
        (GRACE_DAYS + 1, f"Day {GRACE_DAYS + 1}: a quiet day; cancelled seats are pending.", None),
    ]
    seen, ok = 0, True
    base = clock.now
    for day, title, who in story:
        clock.now = base + day * DAY
        out.write(f"\n{'=' * 78}\n{title}\n{'=' * 78}\n")
        if who == keeper:
            warning = next(m for m in sim.slack_messages if m.get("channel") == dm)
            answered = click_keep(sim, warning, ids[keeper])
            ok = ok and answered is not None
            out.write(f"[direct message to {dm}, updated]\n{_show(answered or warning)}\n")
        elif who is not None:
            org = next(o for o in ORGS if who.startswith(o.split("-")[1]))
            sim.set_activity(org, who, clock.now - timedelta(hours=2))
        with open_cycle(settings, clock=clock) as cycle:
            outcome: CycleOutcome = cycle.run()
        seen = print_slack(sim, out, seen, dm)
        ok = ok and outcome.ok
    return ok
