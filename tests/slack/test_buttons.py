"""Sealed button values, and the buttons in the channel report and the warnings."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from reaper.report import CycleReport, Entry, OrgReport
from reaper.slack.blocks import ReportStyle, render_report
from reaper.slack.buttons import (
    MAX_VALUE_CHARS,
    Buttons,
    Sealed,
    Sealer,
    UnreadableValueError,
    epoch,
)
from reaper.slack.dm_text import flagged_message
from tests.conftest import SLACK_BOT_TOKEN, T0

from .support import within_limits

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator

SEALED = Sealed("keep", "acme", "idle-ian", "U0IAN", 1_772_000_000, 1_772_000_100)


def test_a_sealed_value_opens_to_what_was_sealed() -> None:
    """A value sealed with the bot token opens, with that token, to the same action."""
    sealer = Sealer(SLACK_BOT_TOKEN)
    value = sealer.seal(SEALED)
    assert sealer.open(value) == SEALED
    assert len(value) < MAX_VALUE_CHARS


def test_a_value_shows_neither_login_nor_user() -> None:
    """The value is opaque: no login, Slack user or kind can be read from it."""
    value = Sealer(SLACK_BOT_TOKEN).seal(SEALED)
    assert "idle-ian" not in value
    assert "U0IAN" not in value
    assert "keep" not in value


def test_an_altered_value_is_refused() -> None:
    """Changing one character of a value makes it unreadable."""
    sealer = Sealer(SLACK_BOT_TOKEN)
    value = sealer.seal(SEALED)
    middle = len(value) // 2
    altered = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
    with pytest.raises(UnreadableValueError):
        sealer.open(altered)


def test_a_value_sealed_with_another_token_is_refused() -> None:
    """A value sealed under another bot token (or forged) does not open."""
    value = Sealer("xoxb-another-token").seal(SEALED)
    with pytest.raises(UnreadableValueError):
        Sealer(SLACK_BOT_TOKEN).open(value)


@pytest.mark.parametrize("value", ["", "keep:idle-ian", None, 42, "x" * 3000])
def test_garbage_is_refused(value: object) -> None:
    """Plain text, non-strings and over-long values are refused as unreadable."""
    with pytest.raises(UnreadableValueError):
        Sealer(SLACK_BOT_TOKEN).open(value)


def test_the_longest_names_fit_slacks_value_limit() -> None:
    """A value for the longest login and enterprise scope stays under 2,000 characters."""
    sealed = Sealed(
        "reinstate", "enterprise:" + "e" * 60, "l" * 39 + "_" + "s" * 39, "W" * 21, 2**40, 2**40
    )
    value = Sealer(SLACK_BOT_TOKEN).seal(sealed)
    assert len(value) < MAX_VALUE_CHARS
    assert Sealer(SLACK_BOT_TOKEN).open(value) == sealed


def _entry(login: str, **more: object) -> Entry:
    return Entry(
        "acme",
        login,
        "idle",
        last_activity_at=T0 - timedelta(days=45),
        idle_days=45,
        due_at=T0 + timedelta(days=7),
        editor="vscode/1.95.0/copilot/1.250.0 " + "x" * 40,
        **more,  # type: ignore[arg-type]
    )


def _report(count: int, *, dry_run: bool = False) -> CycleReport:
    org = OrgReport("acme")
    org.flagged = [_entry(f"flagged-{n:04d}") for n in range(count)]
    org.cancelled = [_entry(f"cancelled-{n:04d}") for n in range(count)]
    org.reactivated = [_entry(f"back-{n:04d}") for n in range(count)]
    org.needs_person = [_entry(f"team-{n:04d}", teams=("platform",)) for n in range(count)]
    org.errors = [f"error {n}" for n in range(count)]
    org.counts.newly_flagged = org.counts.cancelled = count
    return CycleReport(T0, dry_run, [org])


def _buttons_in(payload: dict[str, object]) -> list[dict[str, object]]:
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    return [b["accessory"] for b in blocks if isinstance(b, dict) and "accessory" in b]


@pytest.mark.parametrize("count", [1, 12, 3000])
def test_the_report_with_buttons_keeps_slacks_limits(count: int) -> None:
    """With buttons, any number of persons in every list stays within Slack's limits."""
    sealer = Sealer(SLACK_BOT_TOKEN)
    style = ReportStyle(buttons=Buttons(sealer, epoch(T0)))
    rendered = render_report(_report(count), style)
    within_limits(rendered.payload)
    buttons = _buttons_in(rendered.payload)
    kinds = [sealer.open(b["value"]).kind for b in buttons]
    assert "admin_keep" in kinds
    assert "reinstate" in kinds
    assert len(buttons) <= 20
    block_ids = [b.get("block_id") for b in rendered.payload["blocks"] if b.get("block_id")]
    assert len(block_ids) == len(set(block_ids))
    assert rendered.cut == (count > len(buttons) // 2)


def test_report_buttons_name_each_line_and_count_as_named() -> None:
    """Each button is beside its person's line, seals that person, and the line names them."""
    sealer = Sealer(SLACK_BOT_TOKEN)
    rendered = render_report(_report(2), ReportStyle(buttons=Buttons(sealer, epoch(T0))))
    rows = [b for b in rendered.payload["blocks"] if "accessory" in b]
    for row in rows:
        sealed = sealer.open(row["accessory"]["value"])
        assert f"*{sealed.login}*" in row["text"]["text"]
        assert sealed.stamp == epoch(T0)
        assert sealed.user == ""
    labels = [row["accessory"]["text"]["text"] for row in rows]
    assert labels == ["Keep", "Keep", "Reinstate", "Reinstate"]
    assert rendered.named == {("acme", "flagged-0000"), ("acme", "flagged-0001")}


def test_no_buttons_without_answers() -> None:
    """Without answers in Slack the report has no button at all."""
    payload = render_report(_report(3)).payload
    assert "button" not in json.dumps(payload)


def test_a_warning_with_buttons_says_how_to_answer() -> None:
    """A warning with buttons offers both answers and keeps the usual words."""
    buttons = Buttons(Sealer(SLACK_BOT_TOKEN), epoch(T0))
    made = [
        buttons.make("I still need it", "keep", scope="acme", login="ian", stamp=1, user="U0IAN"),
        buttons.make("Release it now", "release", scope="acme", login="ian", stamp=1, user="U0IAN"),
    ]
    message = flagged_message(_entry("ian"), T0, "#copilot-admins", made)
    text = json.dumps(message["blocks"])
    assert "I still need it" in text
    assert "Release it now" in text
    assert "use Copilot once before" in text
    assert [b["type"] for b in message["blocks"]] == ["section", "actions", "context"]


def test_reaper_once_posts_no_buttons_nobody_would_answer(sim: Simulator, tmp_path: Path) -> None:
    """`reaper once` with an app token posts its report without buttons: no process answers."""
    from tests.test_cli import env_for, run  # noqa: PLC0415

    sim.add_seat("acme", "idle-ian", created_at=T0 - timedelta(days=400))
    env = env_for(
        sim,
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="C0REPORT",
        SLACK_API_URL=sim.slack_api_url,
        SLACK_APP_TOKEN=sim.slack_app_token,
    )
    env.pop("REAPER_SLACK_WEBHOOK_URL")
    result = run(["once"], env)
    assert result.returncode == 0, result.stderr
    (report,) = [m for m in sim.slack_messages if m.get("blocks")]
    assert "idle-ian" in json.dumps(report["blocks"])
    assert '"button"' not in json.dumps(report["blocks"])
