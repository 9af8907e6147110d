"""Warned means named: deliver returns exactly the flagged users named in what reached Slack."""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING, Any

import pytest

from reaper.commands.report import CapturingNotifier
from reaper.errors import SlackDeliveryError
from reaper.report.model import CycleReport, Entry, OrgReport
from reaper.report.summary import Prices
from reaper.simulator import Fault
from reaper.slack.delivery import BotNotifier, LogNotifier, WebhookNotifier
from tests.conftest import SLACK_BOT_TOKEN, T0
from tests.harness import DAY, Reaper
from tests.harness import idle_seat as idle

from .support import CHANNEL, bot_settings, channel_messages, within_limits

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from reaper.simulator.server import RecordedRequest
    from tests.conftest import FakeClock

WEBHOOK = "/slack/webhook/"
UPLOAD_REFUSED = Fault(
    path=r"files\.getUploadURLExternal",
    status=200,
    body={"ok": False, "error": "not_allowed_token_type"},
)
_LISTED = re.compile(r"• \*([^*]+)\* · (\S+) ·")


def report_of(count: int, *, orgs: tuple[str, ...] = ("acme",)) -> CycleReport:
    """A live report with ``count`` newly flagged users in each org."""
    report = CycleReport(at=T0, dry_run=False)
    for org in orgs:
        entries = [
            Entry(
                org=org,
                login=f"user-{n:05d}",
                reason="idle",
                last_activity_at=T0 - 45 * DAY,
                idle_days=45,
                due_at=T0 + 7 * DAY,
                editor="vscode/1.95.0",
            )
            for n in range(count)
        ]
        part = OrgReport(org, flagged=entries)
        part.counts.newly_flagged = count
        report.orgs.append(part)
    return report


def everyone(report: CycleReport) -> frozenset[tuple[str, str]]:
    return frozenset((e.org, e.login) for e in report.entries("flagged"))


def listed(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (org, login) of every user line in these messages' sections, in order."""
    return [
        (org, login)
        for message in messages
        for block in message.get("blocks") or []
        if block["type"] == "section"
        for login, org in _LISTED.findall(block["text"]["text"])
    ]


def webhook(sim: Simulator) -> WebhookNotifier:
    return WebhookNotifier(sim.slack_webhook_url, report_mode="always")


def bot(sim: Simulator) -> BotNotifier:
    return BotNotifier(SLACK_BOT_TOKEN, CHANNEL, sim.slack_api_url, report_mode="always")


def fail_webhook_after(sim: Simulator, posts: int, fault: Fault) -> None:
    """Inject ``fault`` for the webhook posts that follow the first ``posts`` ones."""
    seen = 0

    def after(request: RecordedRequest) -> None:
        nonlocal seen
        if request.path.startswith(WEBHOOK):
            seen += 1
            if seen == posts:
                sim.inject(fault)

    sim.after_request = after


def test_webhook_delivers_a_long_list_in_full(sim: Simulator) -> None:
    """300 flagged users by webhook: several messages within limits that name all, once each."""
    report = report_of(300)
    named = webhook(sim).deliver(report)
    messages = sim.slack_messages
    assert len(messages) >= 3
    for message in messages:
        within_limits(message)
    assert sorted(listed(messages)) == sorted(everyone(report))
    assert named == everyone(report)
    assert "part 2 of" in messages[1]["blocks"][0]["elements"][0]["text"]
    assert "messages that follow" in str(messages[0]["blocks"][-1])


def test_webhook_names_users_of_several_orgs_exactly(sim: Simulator) -> None:
    """The same login in two orgs is named as two (org, login) pairs, both delivered."""
    report = report_of(120, orgs=("acme", "acme-labs"))
    named = webhook(sim).deliver(report)
    assert named == everyone(report)
    assert ("acme-labs", "user-00119") in named
    assert len(named) == 240


def test_failed_continuation_names_only_what_was_delivered(sim: Simulator) -> None:
    """The 2nd continuation refused: its users are not named, the parts after it still are."""
    report = report_of(300)
    fail_webhook_after(sim, 2, Fault(path=WEBHOOK, status=400, body="invalid_blocks"))
    named = webhook(sim).deliver(report)
    delivered = listed(sim.slack_messages)
    assert named == frozenset(delivered)
    assert 0 < len(named) < 300
    lost = everyone(report) - named
    assert lost
    assert max(delivered) > max(lost)  # a later part was still posted
    assert "could not be posted" in sim.slack_messages[-1]["text"]


def test_two_failures_in_a_row_stop_the_continuations(sim: Simulator) -> None:
    """Two continuations failing in a row: the rest are not tried, only the main one names."""
    report = report_of(600)
    fail_webhook_after(sim, 1, Fault(path=WEBHOOK, status=400, body="invalid_blocks", times=2))
    named = webhook(sim).deliver(report)
    [main] = sim.slack_messages
    assert named == frozenset(listed([main]))
    assert len(named) == 15
    assert len([r for r in sim.requests if r.path.startswith(WEBHOOK)]) == 3


def test_undelivered_main_message_raises(sim: Simulator) -> None:
    """When the main message is refused, deliver raises: nobody is named."""
    sim.inject(Fault(path=WEBHOOK, status=404, body="no_service"))
    with pytest.raises(SlackDeliveryError):
        webhook(sim).deliver(report_of(3))


def test_skipped_report_names_nobody(sim: Simulator) -> None:
    """A report skipped as nothing new posts nothing and names nobody."""
    quiet = CycleReport(at=T0, dry_run=False, orgs=[OrgReport("acme")])
    assert WebhookNotifier(sim.slack_webhook_url).deliver(quiet) == frozenset()
    assert sim.slack_messages == []


def test_log_names_everyone_and_preview_nobody() -> None:
    """The log is the target, so it names every flagged user; ``reaper report`` names nobody."""
    report = report_of(40)
    assert LogNotifier().deliver(report) == everyone(report)
    assert CapturingNotifier(Prices()).deliver(report) == frozenset()


def test_bot_failed_upload_names_only_the_main_message(sim: Simulator) -> None:
    """Bot token, CSV upload refused: only the users listed in the channel message are named."""
    report = report_of(40)
    sim.inject(UPLOAD_REFUSED)
    named = bot(sim).deliver(report)
    main, note = sim.slack_messages
    assert named == frozenset(listed([main]))
    assert len(named) == 15
    assert note["thread_ts"] == main["ts"]
    assert "25 newly flagged users not listed above were not warned" in note["text"]


def test_bot_uploaded_csv_names_everyone(sim: Simulator) -> None:
    """Bot token, CSV in the thread: every flagged user is named, listed in the main or the CSV."""
    report = report_of(40)
    named = bot(sim).deliver(report)
    [upload] = sim.slack_files
    rows = list(csv.DictReader(io.StringIO(upload["content"].decode())))
    assert named == everyone(report)
    assert {(row["org"], row["login"]) for row in rows} == everyone(report)


def test_bot_short_list_names_everyone_without_a_file(sim: Simulator) -> None:
    """A list short enough to be shown whole names everyone and needs no CSV."""
    report = report_of(5)
    assert bot(sim).deliver(report) == everyone(report)
    assert sim.slack_files == []


def test_cycle_warns_again_who_the_failed_upload_did_not_name(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """After a failed CSV upload, unnamed flags stay unwarned and are flagged again next cycle."""
    reaper = Reaper(sim, clock, tmp_path, overrides=bot_settings(sim))
    for n in range(40):
        idle(sim, clock, f"user-{n:03d}")
    sim.inject(UPLOAD_REFUSED)
    assert reaper.run().ok
    first = listed(channel_messages(sim)[:1])
    flags = reaper.flags()
    warned = {key for key, flag in flags.items() if flag.warned_at is not None}
    assert warned == set(first)
    assert len(flags) == 40
    sim.reset_records()
    clock.advance(days=1)
    assert reaper.run().ok
    main = channel_messages(sim)[0]
    assert "Newly flagged (25)" in str(main["blocks"])
    assert set(listed([main])).isdisjoint(first)
    assert all(flag.warned_at is not None for flag in reaper.flags().values())


def test_cycle_by_webhook_warns_every_user_of_a_long_list(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A whole cycle by webhook with 300 flagged users starts every grace period."""
    reaper = Reaper(sim, clock, tmp_path)
    for n in range(300):
        idle(sim, clock, f"user-{n:03d}")
    assert reaper.run().ok
    assert len(sim.slack_messages) >= 3
    assert len(set(listed(sim.slack_messages))) == 300
    assert all(flag.warned_at is not None for flag in reaper.flags().values())
