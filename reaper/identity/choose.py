"""Which address reaches a person: the first identity source that answers, domains filtered.

Pure decisions, no I/O: the sources' answers come in, one address (or why none) comes out.

- ``REAPER_IDENTITY`` orders the sources (``map``, ``saml``, ``scim``, ``verified``); the
  first one with a usable address wins.
- The user map (``map``) always wins when it names the login; ``REAPER_EMAIL_DOMAINS``
  filters every other source's addresses.
- ``saml_address`` and ``scim_address`` pick the address out of one external identity.
- ``page_the_list`` tells whether reading the whole identity list, 100 a page, takes fewer
  requests than asking for each remaining person alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

SOURCES = ("map", "saml", "scim", "verified")
DEFAULT_ORDER = SOURCES
PAGE_SIZE = 100  # GraphQL's largest page

# Why a person has no address (the channel report counts these).
NO_IDENTITY = "no identity found"
OUTSIDE_DOMAINS = "address outside the allowed domains"

_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


def is_email(value: object) -> bool:
    """Tell whether a value reads as one e-mail address."""
    return isinstance(value, str) and bool(_EMAIL.match(value.strip()))


@dataclass(frozen=True)
class Choice:
    """One person's address and the source that gave it, or ``None`` and why not."""

    email: str | None
    source: str
    why: str = ""


def in_domains(email: str, domains: Iterable[str]) -> bool:
    """Tell whether an address is in one of the domains (no domains: every address is)."""
    allowed = {d.casefold().lstrip("@") for d in domains}
    return not allowed or email.rpartition("@")[2].casefold() in allowed


def choose(
    order: Sequence[str], answers: Mapping[str, Sequence[str]], domains: Sequence[str]
) -> Choice:
    """The first source in ``order`` with a usable address (``answers``: source → addresses)."""
    filtered = False
    for source in order:
        for email in answers.get(source, ()):
            if not is_email(email):
                continue
            if source == "map" or in_domains(email, domains):
                return Choice(email.strip(), source)
            filtered = True
    return Choice(None, "", OUTSIDE_DOMAINS if filtered else NO_IDENTITY)


def saml_address(name_id: object, emails: Sequence[Mapping[str, object]]) -> list[str]:
    """A SAML identity's addresses, best first: ``nameId`` when it is one, then the primary."""
    found = [str(name_id).strip()] if is_email(name_id) else []
    ranked = sorted(emails, key=lambda e: not e.get("primary"))
    found += [str(e["value"]).strip() for e in ranked if is_email(e.get("value"))]
    return list(dict.fromkeys(found))


def scim_address(username: object, emails: Sequence[Mapping[str, object]]) -> list[str]:
    """A SCIM identity's addresses, best first: the primary e-mail, then ``username``."""
    ranked = sorted(emails, key=lambda e: not e.get("primary"))
    found = [str(e["value"]).strip() for e in ranked if is_email(e.get("value"))]
    if is_email(username):
        found.append(str(username).strip())
    return list(dict.fromkeys(found))


def page_the_list(total: int, pages_read: int, people_left: int) -> bool:
    """Tell whether the rest of a list of ``total`` takes fewer pages than people left.

    Asking for each of the ``people_left`` alone takes one request each.
    """
    pages_left = max(math.ceil(total / PAGE_SIZE) - pages_read, 0)
    return pages_left < people_left


def read_directory(workspace: int | None, addresses: int, page: int = 200) -> bool:
    """Tell whether Slack's whole directory takes fewer requests than one look-up an address.

    ``users.list`` gives ``page`` users a request; an unknown workspace size means no.
    """
    return workspace is not None and math.ceil(max(workspace, 1) / page) < addresses
