"""The channel message as Block Kit: content, escaping, savings, histogram and Slack's limits."""

from __future__ import annotations

import csv
import io
import time

from reaper.report.export import csv_text
from reaper.report.model import CycleReport, Entry, OrgReport
from reaper.report.summary import Prices, histogram, savings
from reaper.slack.blocks import BOT_FULL_LIST, ReportStyle, render_report
from reaper.slack.continued import render_continuations
from reaper.slack.listing import Unwarned
from reaper.slack.mrkdwn import escape
from tests.conftest import T0
from tests.harness import DAY

from .support import within_limits


def flagged(login: str, **kw: object) -> Entry:
    values: dict[str, object] = {
        "org": "acme",
        "login": login,
        "reason": "idle",
        "last_activity_at": T0 - 45 * DAY,
        "idle_days": 45,
        "due_at": T0 + 7 * DAY,
        "editor": "vscode/1.95.0",
        "plan_type": "business",
        **kw,
    }
    return Entry(**values)  # type: ignore[arg-type]


def report_with(*, dry_run: bool = False, **lists: list[Entry]) -> CycleReport:
    org = OrgReport("acme", **lists)  # type: ignore[arg-type]
    org.counts.newly_flagged = len(org.flagged)
    org.counts.cancelled = len(org.cancelled)
    return CycleReport(at=T0, dry_run=dry_run, orgs=[org])


def text_of(payload: dict[str, object]) -> str:
    return str(payload["blocks"])


def test_header_names_orgs_and_mode() -> None:
    """The header names the orgs and says LIVE or DRY RUN."""
    live = render_report(report_with(flagged=[flagged("ian")])).payload
    dry = render_report(report_with(dry_run=True, flagged=[flagged("ian")])).payload
    assert live["blocks"][0]["type"] == "header"
    assert live["blocks"][0]["text"]["text"].endswith("acme · LIVE")
    assert dry["blocks"][0]["text"]["text"].endswith("acme · DRY RUN")
    assert "Would be flagged (1)" in text_of(dry)


def test_flagged_line_has_every_detail() -> None:
    """A flagged line gives login, org, last activity as a date and days ago, editor, due date."""
    text = text_of(render_report(report_with(flagged=[flagged("idle-ian")])).payload)
    assert "*idle-ian* · acme · last active 2026-01-16, 45 days ago · vscode/1.95.0" in text
    assert "due *2026-03-09*" in text


def test_fallback_text_is_plain_and_counts() -> None:
    """The notification text carries the counts without mrkdwn formatting."""
    text = render_report(report_with(flagged=[flagged("a"), flagged("b")])).payload["text"]
    assert isinstance(text, str)
    assert "2 newly flagged" in text
    assert "*" not in text


def test_team_name_cannot_mention_or_link() -> None:
    """<!channel>, a forged link and a bare @here in outside text stay text."""
    entry = flagged("tom", team="<!channel> <https://evil.example|click> @here &")
    text = text_of(render_report(report_with(needs_person=[entry])).payload)
    assert "<!channel>" not in text
    assert "<https://" not in text
    assert "&lt;!channel&gt;" in text
    assert "@here" not in text
    assert escape("a & b") == "a &amp; b"


def test_savings_price_seats_by_plan() -> None:
    """Cancelled and due seats are priced by plan type, enterprise and business separately."""
    report = report_with(
        cancelled=[flagged("a", plan_type="enterprise"), flagged("b")],
        flagged=[flagged("c")],
        in_grace=[flagged("d", plan_type="unknown")],
    )
    saving = savings(report, Prices(business=19, enterprise=39))
    assert (saving.cancelled_seats, saving.cancelled) == (2, 58)
    assert (saving.due_seats, saving.due) == (2, 38)
    assert "USD 58" in text_of(render_report(report).payload)


def test_histogram_bins_idle_days() -> None:
    """Idle days fall in the 0-30, 30-60, 60-90 and 90+ bins."""
    report = report_with()
    report.orgs[0].idle_days = [0, 29, 30, 59, 60, 89, 90, 400]
    assert histogram(report) == [("0-30", 2), ("30-60", 2), ("60-90", 2), ("90+", 2)]


def test_ten_thousand_flagged_stay_within_limits() -> None:
    """10,000 flagged users render into one message within every limit, cut with '… and N more'."""
    many = [flagged(f"user-{n:05d}", team="t" * 90) for n in range(10_000)]
    unwarned = tuple(Unwarned(e, "no e-mail in the user map") for e in many)
    report = report_with(flagged=many, cancelled=many, needs_person=many)
    report.orgs[0].errors = ["x" * 5000] * 300
    started = time.perf_counter()
    rendered = render_report(report, ReportStyle(full_list=BOT_FULL_LIST, unwarned=unwarned))
    elapsed = time.perf_counter() - started
    within_limits(rendered.payload)
    assert rendered.cut
    text = text_of(rendered.payload)
    assert "… and 9,9" in text
    assert "CSV file" in text
    assert elapsed < 5


def test_csv_holds_every_row_and_defuses_formulas() -> None:
    """The CSV lists every seat, and a cell from GitHub that looks like a formula stays text."""
    many = [flagged(f"user-{n:05d}") for n in range(10_000)]
    many.append(flagged("evil", team="=HYPERLINK(1)"))
    rows = list(csv.DictReader(io.StringIO(csv_text(report_with(flagged=many)))))
    assert len(rows) == 10_001
    assert rows[-1]["team"] == "'=HYPERLINK(1)"


def test_named_holds_the_flagged_lines_shown_and_rest_the_others() -> None:
    """Rendered.named is the flagged users whose lines are shown; the rest is kept, in order."""
    many = [flagged(f"user-{n:03d}") for n in range(40)]
    report = report_with(flagged=many, cancelled=[flagged("gone")])
    rendered = render_report(report)
    assert rendered.named == {("acme", f"user-{n:03d}") for n in range(15)}
    [rest] = rendered.rest
    assert rest.names == [("acme", f"user-{n:03d}") for n in range(15, 40)]
    assert all(f"*user-{n:03d}*" in rest.lines[n - 15] for n in range(15, 40))
    assert ("acme", "gone") not in rendered.named


def test_continuations_carry_every_cut_line_within_limits() -> None:
    """Each cut list, errors too, continues in full over messages that keep Slack's limits."""
    many = [flagged(f"user-{n:05d}", team="t" * 90) for n in range(3_000)]
    report = report_with(flagged=many, needs_person=many)
    report.orgs[0].errors = [f"error {n} " + "x" * 400 for n in range(200)]
    rendered = render_report(report)
    parts = render_continuations(report, rendered.rest)
    for part in parts:
        within_limits(part.payload)
        assert not part.cut
    named = rendered.named.union(*(part.named for part in parts))
    assert named == {("acme", e.login) for e in many}
    text = text_of(rendered.payload) + "".join(text_of(part.payload) for part in parts)
    assert all(f"error {n} " in text for n in range(200))
    assert text.count("*user-02999*") == 2  # once as flagged, once as needing a person
    assert f"part {len(parts) + 1} of {len(parts) + 1}" in text_of(parts[-1].payload)


def test_short_report_has_no_continuation() -> None:
    """A report that fits one message names everyone flagged and leaves nothing to continue."""
    report = report_with(flagged=[flagged("ian"), flagged("bea")])
    rendered = render_report(report)
    assert rendered.named == {("acme", "ian"), ("acme", "bea")}
    assert render_continuations(report, rendered.rest) == []
