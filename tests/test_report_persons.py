"""How every renderer shows person-level data: persons and grants, real savings, scopes, teams."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING, Any

from reaper.report.export import csv_text, report_dict
from reaper.report.model import Counts, CycleReport, Entry, OrgReport
from reaper.report.summary import Prices, savings
from reaper.report.table import render_table
from reaper.report.text import render_text
from reaper.slack.blocks import render_report
from reaper.slack.continued import render_continuations
from reaper.slack.dm_text import cancelled_message, flagged_message
from tests.conftest import T0
from tests.harness import DAY, Reaper
from tests.slack.support import within_limits

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

UNDO = 'reaper reinstate LOGIN --reason "..." --yes'


def person(login: str, **kw: Any) -> Entry:
    """A person idle 45 days in org acme-eng, granted there only, seat 400 days old."""
    values: dict[str, Any] = {
        "org": "acme-eng",
        "login": login,
        "reason": "idle",
        "last_activity_at": T0 - 45 * DAY,
        "idle_days": 45,
        "due_at": T0 + 7 * DAY,
        "plan_type": "business",
        "grants": ("acme-eng",),
        "created_at": T0 - 400 * DAY,
        **kw,
    }
    return Entry(**values)


def report_of(*orgs: OrgReport, dry_run: bool = False) -> CycleReport:
    return CycleReport(at=T0, dry_run=dry_run, orgs=list(orgs))


def org(name: str = "acme-eng", **lists: Any) -> OrgReport:
    """An org report whose counts follow its lists (each person holding one grant)."""
    report = OrgReport(name, **lists)
    listed = sum(len(v) for v in lists.values())
    report.counts = Counts(
        persons=listed,
        seats=listed,
        newly_flagged=len(report.flagged),
        cancelled=sum(1 for e in report.cancelled if e.saved),
        needs_person=len(report.needs_person),
    )
    return report


def slack_text(report: CycleReport) -> str:
    return json.dumps(render_report(report).payload["blocks"], ensure_ascii=False)


def every_rendering(report: CycleReport) -> dict[str, str]:
    """The report as Slack blocks, text, table, CSV, JSON and direct messages."""
    dms = [flagged_message(e, T0, "#admins") for e in report.entries("flagged")]
    dms += [cancelled_message(e, T0, "#admins") for e in report.entries("cancelled")]
    return {
        "slack": slack_text(report),
        "text": render_text(report),
        "table": render_table(report, Prices()),
        "csv": csv_text(report),
        "json": json.dumps(report_dict(report, Prices())),
        "dm": json.dumps(dms, ensure_ascii=False),
    }


def test_header_counts_persons_and_grants_separately() -> None:
    """The summary says how many persons hold how many seat grants, in every renderer."""
    report = report_of(org(flagged=[person("ann")]))
    report.orgs[0].counts.persons, report.orgs[0].counts.seats = 1_204, 1_350
    assert "*1,204* persons holding *1,350* seat grants · *0* active" in slack_text(report)
    assert "1,204 persons holding 1,350 seat grants" in render_report(report).payload["text"]
    assert "1,204 persons holding 1,350 seat grants; active 0" in render_text(report)
    table = render_table(report, Prices())
    assert re.search(r"^  persons +1,204$", table, re.MULTILINE)
    assert re.search(r"^  seat grants +1,350$", table, re.MULTILINE)
    report.orgs[0].counts.persons, report.orgs[0].counts.seats = 1, 1
    assert "*1* person holding *1* seat grant ·" in slack_text(report)


def test_json_keeps_seats_and_adds_persons() -> None:
    """The JSON totals keep ``seats`` (grants) and add ``persons`` and ``grants_removed``."""
    report = report_of(org(cancelled=[person("ann")]))
    report.orgs[0].counts.grants_removed = 3
    data = report_dict(report, Prices())
    assert data["totals"]["seats"] == 1
    assert data["totals"]["persons"] == 1
    assert data["totals"]["grants_removed"] == 3
    assert data["orgs"][0]["counts"]["grants_removed"] == 3
    assert set(data["savings_per_month_usd"]) >= {
        "cancelled",
        "cancelled_seats",
        "due",
        "due_seats",
        "cancelled_saving_nothing",
    }


def test_savings_count_only_persons_who_lost_their_last_grant() -> None:
    """A cancel saves a seat only when the last grant went; one that saved nothing is not priced."""
    kept = person("kim", saved=False, grants=("acme-web",), plan_type="enterprise")
    teamed = person("lee", saved=False, teams=("platform",))
    report = report_of(
        org(
            cancelled=[person("ann", plan_type="enterprise"), person("bob"), kept],
            needs_person=[teamed, person("tom", teams=("platform",))],
            flagged=[person("cy")],
            in_grace=[person("di")],
        )
    )
    saving = savings(report, Prices(business=19, enterprise=39))
    assert (saving.cancelled_seats, saving.cancelled, saving.unsaved) == (2, 58, 2)
    assert (saving.due_seats, saving.due) == (2, 38)
    assert (
        "*Estimated monthly saving:* USD 58 from 2 persons who lost their last seat grant "
        "(a seat each) · USD 38 from 2 persons due within their grace period · nothing from "
        "2 persons who keep a seat through another grant"
    ) in slack_text(report)
    assert "nothing from 2 persons who keep a seat" in render_table(report, Prices())
    data = report_dict(report, Prices())["savings_per_month_usd"]
    assert (data["cancelled"], data["cancelled_seats"], data["cancelled_saving_nothing"]) == (
        58,
        2,
        2,
    )
    one = savings(report_of(org(cancelled=[kept])), Prices())
    assert (one.cancelled_seats, one.cancelled, one.unsaved) == (0, 0, 1)


def test_removal_that_saved_nothing_says_what_still_grants() -> None:
    """Grants removed while another is left say so: "saved nothing: still granted by …"."""
    by_scope = person("kim", saved=False, grants=("acme-web", "enterprise:acme"))
    by_team = person("lee", saved=False, grants=("acme-web",), teams=("platform",))
    needs = person("max", saved=False, grants=("acme-eng",), teams=("platform", "ml"))
    report = report_of(org(cancelled=[by_scope, by_team], needs_person=[needs]))
    out = every_rendering(report)
    for name in ("slack", "text", "table"):
        assert (
            "removed in acme-web, enterprise acme; saved nothing: still granted by another grant"
        ) in out[name], name
        assert "removed in acme-web; saved nothing: still granted by team platform" in out[name]
    assert (
        "*max* · acme-eng · teams *platform*, *ml* · removed in acme-eng; saved nothing ·"
        in (out["slack"])
    )
    assert "max (acme-eng), last active 2026-01-16, 45 days ago, 45 days idle, due " in out["text"]
    assert "teams platform, ml, removed in acme-eng; saved nothing" in out["text"]
    assert out["text"].count("team platform") == 1  # named once, in what is left
    rows = {row["login"]: row for row in csv.DictReader(io.StringIO(out["csv"]))}
    assert rows["kim"]["saved"] == "false"
    assert rows["kim"]["grants"] == "acme-web;enterprise:acme"
    cancelled = report_dict(report, Prices())["orgs"][0]["cancelled"]
    assert [e["saved"] for e in cancelled] == [False, False]
    dm = cancelled_message(by_team, T0, "#admins")
    blocks = json.dumps(dm["blocks"])
    assert "Your GitHub Copilot grant in acme-web was removed on 2026-03-02" in blocks
    assert "You still have a Copilot seat through team platform" in blocks
    assert "released" not in dm["text"]


def test_grants_from_several_scopes_or_an_enterprise_are_named() -> None:
    """A person granted by several scopes or by an enterprise shows where; one org shows nothing."""
    several = person("ann", grants=("acme-eng", "acme-web"))
    direct = person("bob", org="enterprise:acme", grants=("enterprise:acme",))
    both = person("cy", grants=("acme-eng", "enterprise:acme"))
    alone = person("di")
    out = every_rendering(report_of(org(flagged=[several, direct, both, alone])))
    for name in ("slack", "text", "table"):
        assert "granted by acme-eng, acme-web" in out[name], name
        assert "granted by acme-eng, enterprise acme" in out[name], name
        assert out[name].count("granted by") == 2, name
    assert "*bob* · enterprise acme · last active" in out["slack"]
    assert "bob (enterprise acme)" in out["text"]
    assert "Your GitHub Copilot seat granted by acme-eng, acme-web will be released" in out["dm"]
    assert "Your GitHub Copilot seat in enterprise acme will be released" in out["dm"]
    assert "Your GitHub Copilot seat in acme-eng will be released" in out["dm"]


def test_needs_person_names_every_team() -> None:
    """A person granted through several teams is listed once with every team named."""
    entry = person("tom", team="platform", teams=("platform", "ml-research", "ent-copilot"))
    single = person("una", team="infra")
    report = report_of(org(needs_person=[entry, single]))
    slack = slack_text(report)
    assert "*tom* · acme-eng · teams *platform*, *ml-research*, *ent-copilot* · last" in slack
    assert "*una* · acme-eng · team *infra* · last" in slack
    assert "teams platform, ml-research, ent-copilot" in render_text(report)
    assert "platform, ml-research, ent-copilot" in render_table(report, Prices())
    [row, _] = csv.DictReader(io.StringIO(csv_text(report)))
    assert row["teams"] == "platform;ml-research;ent-copilot"


def test_missing_activity_shows_the_seat_age_never_never_used() -> None:
    """No last_activity_at reads "no activity recorded (seat N days old)", never "never"."""
    quiet = person("ned", last_activity_at=None, idle_days=400)
    report = report_of(org(flagged=[quiet], cancelled=[quiet], needs_person=[quiet]))
    out = every_rendering(report)
    for name, text in out.items():
        assert "never" not in text.lower(), name
    for name in ("slack", "text", "dm"):
        assert "no activity recorded (seat 400 days old)" in out[name], name
    assert "none recorded  seat 400 days old" in out["table"]
    [row, *_] = csv.DictReader(io.StringIO(out["csv"]))
    assert (row["last_activity_at"], row["seat_age_days"]) == ("", "400")
    [entry] = report_dict(report, Prices())["orgs"][0]["flagged"]
    assert entry["last_activity_at"] is None
    assert entry["seat_age_days"] == 400
    assert entry["created_at"] == (T0 - 400 * DAY).isoformat()


def test_unknown_seat_age_falls_back_to_idle_days() -> None:
    """Without a created_at the line says how long the person has been idle instead."""
    quiet = person("ned", last_activity_at=None, created_at=None, idle_days=95)
    report = report_of(org(flagged=[quiet]))
    assert "no activity recorded (idle 95 days)" in slack_text(report)
    assert report_dict(report, Prices())["orgs"][0]["flagged"][0]["seat_age_days"] is None


def test_cancelled_list_tells_how_to_undo() -> None:
    """A live cancelled list ends with the reinstate command; a dry run or no cancel does not."""
    live = render_report(report_of(org(cancelled=[person("ann")]))).payload["blocks"]
    cancelled = next(i for i, b in enumerate(live) if "Cancelled (1)" in str(b.get("text")))
    hint = live[cancelled + 1]
    assert hint["type"] == "context"
    assert hint["elements"][0]["text"] == f"Given back by mistake? `{UNDO}`"
    assert f"  Given back by mistake? {UNDO}" in render_text(
        report_of(org(cancelled=[person("a")]))
    )
    assert f"Given back by mistake? {UNDO}" in render_table(
        report_of(org(cancelled=[person("a")])), Prices()
    )
    dry = report_of(org(cancelled=[person("ann")]), dry_run=True)
    assert "reinstate" not in slack_text(dry) + render_text(dry)
    assert "reinstate" not in slack_text(report_of(org(flagged=[person("ann")])))


def test_enterprise_scope_is_labelled_everywhere() -> None:
    """An enterprise scope key reads "enterprise acme" in header, lines, errors, continuations."""
    many = [person(f"user-{n:04d}", org="enterprise:acme") for n in range(400)]
    enterprise = org("enterprise:acme", flagged=many)
    enterprise.errors = ["one grant could not be read"]
    report = report_of(org("acme-eng"), enterprise)
    rendered = render_report(report)
    blocks = rendered.payload["blocks"]
    assert blocks[0]["text"]["text"] == "Copilot seats · acme-eng, enterprise acme · LIVE"
    [part, *_] = render_continuations(report, rendered.rest)
    assert "acme-eng, enterprise acme" in part.payload["blocks"][0]["elements"][0]["text"]
    slack = json.dumps(blocks) + json.dumps(part.payload)
    assert "enterprise:acme" not in slack
    assert "*enterprise acme*: one grant could not be read" in slack
    assert ("enterprise:acme", "user-0000") in rendered.named  # keys stay scope keys
    assert "LIVE: acme-eng, enterprise acme on" in render_text(report)
    assert "enterprise acme: one grant could not be read" in render_text(report)


def test_outside_names_are_escaped() -> None:
    """Team and scope names from GitHub cannot mention or link in Slack lines and messages."""
    evil = "<!channel>&@here"
    entry = person("tom", grants=("acme-eng", evil), teams=(evil,), saved=False)
    report = report_of(org(needs_person=[entry], flagged=[entry], cancelled=[entry]))
    out = slack_text(report) + json.dumps(cancelled_message(entry, T0, None))
    out += json.dumps(flagged_message(entry, T0, None))
    assert "<!channel>" not in out
    assert "@here" not in out
    assert "&lt;!channel&gt;&amp;@\u200bhere" in out


def test_many_teams_and_grants_stay_within_limits() -> None:
    """Thousands of persons with many teams and grants keep Slack's limits, undo line included."""
    teams = tuple(f"team-{n:02d}-" + "x" * 40 for n in range(30))
    grants = tuple(f"org-{n:02d}-" + "y" * 30 for n in range(30))
    many = [person(f"user-{n:05d}", teams=teams, grants=grants) for n in range(3_000)]
    unsaved = [person(f"kept-{n:05d}", teams=teams, saved=False) for n in range(3_000)]
    report = report_of(org(flagged=many, cancelled=many + unsaved, needs_person=many))
    rendered = render_report(report)
    within_limits(rendered.payload)
    assert rendered.cut
    contexts = [b["elements"][0]["text"] for b in rendered.payload["blocks"] if "elements" in b]
    assert f"Given back by mistake? `{UNDO}`" in contexts
    header = rendered.payload["blocks"][0]["text"]["text"]
    assert len(header) <= 150
    parts = render_continuations(report, rendered.rest)
    for part in parts:
        within_limits(part.payload)
    named = rendered.named.union(*(part.named for part in parts))
    assert named == {("acme-eng", e.login) for e in many}


def test_person_in_two_orgs_through_the_simulator(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A real cycle reports a person granted by two orgs once, with both, and how to undo."""
    sim.add_org("acme-eng")
    sim.add_org("acme-web")
    for scope in ("acme-eng", "acme-web"):
        sim.add_seat(scope, "idle-ida", created_at=clock.now - 400 * DAY, last_activity_at=None)
    sim.add_seat(
        "acme-eng", "busy-bo", created_at=clock.now - 400 * DAY, last_activity_at=clock.now
    )
    reaper = Reaper(sim, clock, tmp_path, overrides={"github_orgs": ["acme-eng", "acme-web"]})
    assert reaper.run().ok
    first = json.dumps(sim.slack_messages[-1]["blocks"], ensure_ascii=False)
    assert "*2* persons holding *3* seat grants" in first
    assert (
        "*idle-ida* · acme-eng · granted by acme-eng, acme-web · "
        "no activity recorded (seat 400 days old) · due *2026-03-09*"
    ) in first
    clock.advance(days=8)
    assert reaper.run().ok
    blocks = sim.slack_messages[-1]["blocks"]
    second = json.dumps(blocks, ensure_ascii=False)
    assert "*idle-ida* · acme-eng · granted by acme-eng, acme-web · no activity recorded" in second
    assert "USD 19 from 1 person who lost their last seat grant ·" in second
    assert "*1* cancelled · *2* grants removed" in second
    contexts = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert f"Given back by mistake? `{UNDO}`" in contexts
    assert "never" not in second.lower()
