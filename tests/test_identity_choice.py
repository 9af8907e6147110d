"""The pure choice of an address: source order, the user map's precedence, the domain filter."""

from __future__ import annotations

import pytest

from reaper.identity.choose import (
    NO_IDENTITY,
    OUTSIDE_DOMAINS,
    choose,
    page_the_list,
    read_directory,
    saml_address,
    scim_address,
)

ORDER = ("map", "saml", "scim", "verified")

# (order, answers, domains, expected address, expected source, expected why)
CHOICES = [
    (ORDER, {}, (), None, "", NO_IDENTITY),
    (ORDER, {"saml": ["a@corp.com"]}, (), "a@corp.com", "saml", ""),
    (
        ORDER,
        {"map": ["m@else.org"], "saml": ["a@corp.com"]},
        ("corp.com",),
        "m@else.org",
        "map",
        "",
    ),
    (ORDER, {"saml": ["a@corp.com"], "scim": ["b@corp.com"]}, (), "a@corp.com", "saml", ""),
    (
        ("verified", "saml"),
        {"saml": ["a@corp.com"], "verified": ["v@corp.com"]},
        (),
        "v@corp.com",
        "verified",
        "",
    ),
    (
        ORDER,
        {"saml": ["a@gmail.com"], "scim": ["b@corp.com"]},
        ("corp.com",),
        "b@corp.com",
        "scim",
        "",
    ),
    (ORDER, {"saml": ["a@gmail.com"]}, ("corp.com",), None, "", OUTSIDE_DOMAINS),
    (ORDER, {"saml": ["a@gmail.com", "a@Corp.COM"]}, ("corp.com",), "a@Corp.COM", "saml", ""),
    (("saml",), {"scim": ["b@corp.com"]}, (), None, "", NO_IDENTITY),
    (ORDER, {"saml": ["not an address"]}, (), None, "", NO_IDENTITY),
]


@pytest.mark.parametrize("row", CHOICES)
def test_the_first_usable_answer_in_order_wins(row: tuple[object, ...]) -> None:
    """Each row: the sources' answers give this address from this source, or this reason."""
    order, answers, domains, email, source, why = row
    choice = choose(order, answers, domains)  # type: ignore[arg-type]
    assert (choice.email, choice.source, choice.why) == (email, source, why)


def test_saml_prefers_a_name_id_that_is_an_address() -> None:
    """SAML: nameId when it is an e-mail address, else the primary e-mail first."""
    emails = [
        {"value": "second@corp.com", "primary": False},
        {"value": "first@corp.com", "primary": True},
    ]
    assert saml_address("who@corp.com", emails)[0] == "who@corp.com"
    assert saml_address("EMP-001", emails) == ["first@corp.com", "second@corp.com"]
    assert saml_address(None, []) == []


def test_scim_prefers_the_primary_e_mail_then_the_username() -> None:
    """SCIM: the primary e-mail, else the username when it is an e-mail address."""
    emails = [{"value": "p@corp.com", "primary": True}]
    assert scim_address("u@corp.com", emails) == ["p@corp.com", "u@corp.com"]
    assert scim_address("u@corp.com", []) == ["u@corp.com"]
    assert scim_address("jdoe", []) == []


@pytest.mark.parametrize(
    ("total", "pages_read", "people_left", "page"),
    [(20_000, 0, 2_000, True), (20_000, 1, 150, False), (300, 1, 5, True), (300, 1, 2, False)],
)
def test_pages_are_read_only_when_fewer_requests_than_people(
    total: int, pages_read: int, people_left: int, page: bool
) -> None:
    """The identity list is paged only when its pages left are fewer than the people left."""
    assert page_the_list(total, pages_read, people_left) is page


@pytest.mark.parametrize(
    ("workspace", "addresses", "directory"),
    [(25_000, 2_000, True), (25_000, 100, False), (None, 2_000, False), (150, 2, True)],
)
def test_slack_directory_is_read_only_when_cheaper(
    workspace: int | None, addresses: int, directory: bool
) -> None:
    """users.list (200 a page) is read only when it takes fewer requests than the look-ups."""
    assert read_directory(workspace, addresses) is directory


def test_an_unknown_directory_is_read_while_it_pays() -> None:
    """Slack's directory of unknown size: read on while the pages left look fewer than look-ups."""
    from reaper.slack.directory import worth_a_page  # noqa: PLC0415 (the rule under test)

    assert not worth_a_page(0, 0, 1)  # one address: one look-up beats any page
    assert worth_a_page(0, 0, 6)
    assert not worth_a_page(5, 0, 6)  # five pages and nothing found: look the six up
    assert worth_a_page(96, 1920, 80)  # 96 pages held 1,920: 4 more pages beat 80 look-ups
    assert not worth_a_page(10, 10, 20)  # 10 pages held 10: 20 more pages lose to 20 look-ups
    assert not worth_a_page(99, 90, 10)  # never more pages than addresses asked about
    assert not worth_a_page(3, 6, 0)  # everyone found: stop
