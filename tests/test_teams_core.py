"""The pure team decisions: which team a setting names, and when removal is refused."""

from __future__ import annotations

import pytest

from reaper.core.teams import (
    Membership,
    TeamFacts,
    TeamRef,
    member_refusal,
    parse_team_ref,
    team_refusal,
)

ACME = TeamRef(slug="copilot-users", org="acme")


@pytest.mark.parametrize(
    ("text", "label", "enterprise"),
    [
        ("acme/copilot-users", "acme/copilot-users", False),
        (" Acme/Copilot_Users ", "Acme/Copilot_Users", False),
        ("ent:all-devs", "ent:all-devs", True),
        ("ENT:All-Devs", "ent:All-Devs", True),
    ],
)
def test_a_team_is_read_from_its_setting(text: str, label: str, enterprise: bool) -> None:
    """``ORG/TEAM_SLUG`` and ``ent:TEAM_SLUG`` are read whatever their case."""
    ref = parse_team_ref(text)
    assert (ref.label, ref.enterprise, ref.key) == (label, enterprise, label.casefold())


@pytest.mark.parametrize("text", ["copilot-users", "acme/", "/team", "ent:", "a/b/c", "ent:a b"])
def test_a_team_in_another_form_is_refused(text: str) -> None:
    """Anything but ``ORG/TEAM_SLUG`` or ``ent:TEAM_SLUG`` is a ValueError."""
    with pytest.raises(ValueError, match="ORG/TEAM_SLUG"):
        parse_team_ref(text)


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (TeamFacts(ACME), None),
        (TeamFacts(ACME, sync="synced", idp_groups=("Engineering",)), "idp_synced"),
        (TeamFacts(ACME, remembered_idp=True), "idp_synced"),
        (TeamFacts(ACME, external_groups=("eng",)), "external_group"),
        (TeamFacts(ACME, sync="unknown", unknown_reason="403"), "idp_unknown"),
        (TeamFacts(ACME, repositories=12), "grants_repositories"),
        (TeamFacts(ACME, repositories=None), "repositories_unknown"),
        (TeamFacts(ACME, sync="synced", idp_groups=("g",), repositories=3), "idp_synced"),
        (TeamFacts(TeamRef("all-devs"), sync="synced", idp_groups=("62ab",)), "idp_synced"),
    ],
)
def test_each_team_refusal(facts: TeamFacts, code: str | None) -> None:
    """A synced, linked, unknown or repository-granting team is refused with its reason."""
    refusal = team_refusal(facts)
    assert (refusal.code if refusal else None) == code


def test_a_synced_team_names_its_groups_and_where_to_act() -> None:
    """The refusal names the IdP group and says to remove the people in the identity provider."""
    refusal = team_refusal(TeamFacts(ACME, sync="synced", idp_groups=("Engineering",)))
    assert refusal is not None
    assert refusal.groups == ("Engineering",)
    assert "IdP group 'Engineering'" in refusal.text
    assert "identity provider" in refusal.text


def test_a_repository_refusal_counts_them() -> None:
    """The refusal of a team that grants repositories says how many."""
    refusal = team_refusal(TeamFacts(ACME, repositories=12))
    assert refusal is not None
    assert "grants 12 repositories" in refusal.text


@pytest.mark.parametrize(
    ("membership", "maintainers", "code"),
    [
        (Membership(found=True), False, None),
        (Membership(found=False), False, "not_member"),
        (Membership(found=True, state="pending"), False, "pending"),
        (Membership(found=True, role="maintainer"), False, "maintainer"),
        (Membership(found=True, role="maintainer"), True, None),
        (Membership(found=True, via_child="platform"), False, "child_team"),
        (Membership(found=True, role="maintainer", via_child="platform"), True, "child_team"),
        (Membership(found=True, role="maintainer", state="pending"), True, "pending"),
    ],
)
def test_each_member_refusal(membership: Membership, maintainers: bool, code: str | None) -> None:
    """Maintainers (unless allowed), child-team members, pending and non-members stay."""
    refusal = member_refusal(ACME, membership, reclaim_maintainers=maintainers)
    assert (refusal.code if refusal else None) == code


def test_a_child_team_refusal_names_the_child_team() -> None:
    """A person in the team through a child team is told to be removed there."""
    refusal = member_refusal(
        ACME, Membership(found=True, via_child="platform"), reclaim_maintainers=False
    )
    assert refusal is not None
    assert "child team platform" in refusal.text
