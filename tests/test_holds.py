"""The pure rules of what holds an idle person, and the grouping of the "who can" report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reaper.core.holds import Hold, person_hold, team_hold
from reaper.core.teams import Membership, TeamFacts, TeamRef
from reaper.report.model import CycleReport, Entry, OrgReport
from reaper.report.summary import Prices
from reaper.report.who_can import group_line, groups

TEAM = TeamRef(slug="eng", org="acme")
ENT = TeamRef(slug="all-devs")


@pytest.mark.parametrize(
    ("facts", "named", "code"),
    [
        (TeamFacts(TEAM, sync="synced", idp_groups=("Engineering",)), False, "idp_synced"),
        (TeamFacts(TEAM, sync="synced", idp_groups=("Engineering",)), True, "idp_synced"),
        (TeamFacts(TEAM, external_groups=("emu-devs",)), False, "external_group"),
        (TeamFacts(TEAM, repositories=4), False, "grants_repositories"),
        (TeamFacts(TEAM, repositories=4), True, "grants_repositories"),
        (TeamFacts(TEAM, remembered_idp=True), True, "idp_synced"),
        (TeamFacts(TEAM, sync="unknown", unknown_reason="403"), True, "idp_unknown"),
        (TeamFacts(TEAM, sync="unknown", unknown_reason="403"), False, "not_named"),
        (TeamFacts(TEAM, repositories=None), True, "repositories_unknown"),
        (TeamFacts(TEAM, repositories=None), False, "not_named"),
        (TeamFacts(TEAM), False, "not_named"),
        (TeamFacts(TEAM), True, None),
        (TeamFacts(ENT, sync="synced", idp_groups=("62ab",)), False, "idp_synced"),
    ],
)
def test_team_hold(facts: TeamFacts, *, named: bool, code: str | None) -> None:
    """A team's own refusal holds everyone; one not named holds them as not named."""
    held = team_hold(facts, named=named)
    assert (held.code if held else None) == code


@pytest.mark.parametrize(
    ("membership", "maintainers", "code"),
    [
        (Membership(found=True), False, "removable"),
        (Membership(found=True, role="maintainer"), False, "maintainer"),
        (Membership(found=True, role="maintainer"), True, "removable"),
        (Membership(found=True, via_child="core"), False, "child_team"),
        (Membership(found=True, state="pending"), False, "pending"),
        (Membership(found=False), False, "not_member"),
    ],
)
def test_person_hold(membership: Membership, *, maintainers: bool, code: str) -> None:
    """In a team that may be written to, the membership decides what holds the person."""
    assert person_hold(TEAM, membership, reclaim_maintainers=maintainers).code == code


def entry(login: str, plan: str, *holds: Hold) -> Entry:
    return Entry("acme", login, "granted through a team", plan_type=plan, holds=holds)


def test_groups_count_and_price_each_team_and_reason_dearest_first() -> None:
    """A person held by two teams counts in both; groups are priced per plan, dearest first."""
    synced = Hold("acme/eng", "idp_synced", "synced", ("Engineering",))
    maint = Hold("ent:all-devs", "maintainer", "a maintainer")
    org = OrgReport("acme")
    org.needs_person = [
        entry("a", "business", synced),
        entry("b", "enterprise", synced, maint),
        entry("c", "business"),
    ]
    report = CycleReport(datetime(2026, 3, 2, tzinfo=UTC), dry_run=True, orgs=[org])
    found = groups(report, Prices(19.0, 39.0))
    assert [(g.hold.team, g.people, g.cost) for g in found] == [
        ("acme/eng", 2, 58.0),
        ("ent:all-devs", 1, 39.0),
    ]
    assert group_line(found[1]) == (
        "enterprise team ent:all-devs: 1 maintainer, USD 39 a month: remove them by hand, "
        "or set REAPER_RECLAIM_TEAM_MAINTAINERS=true"
    )
