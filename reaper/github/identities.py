"""Who GitHub logins are in the company: SAML and SCIM identities, verified-domain e-mails.

``IdentityReader.read`` answers, for the logins about to be messaged, each source's
addresses (``saml``, ``scim``, ``verified``); the choice among them is
``reaper.identity.choose``'s. The organisation's (or, with ``REAPER_GITHUB_ENTERPRISE``,
the enterprise's) external identities are read either one person at a time
(``externalIdentities(login:, first: 1)``) or 100 a page, whichever takes fewer requests
(``page_the_list``). A source GitHub will not give (no SAML on the organisation, a token not
authorised for single sign-on, a missing scope) is reported in ``unavailable`` with why and
what would enable it, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reaper.errors import GitHubError
from reaper.identity.choose import PAGE_SIZE, page_the_list, saml_address, scim_address

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reaper.github.graphql import Answer, GraphQL

_IDENTITY_FIELDS = """
        pageInfo { hasNextPage endCursor }
        totalCount
        nodes {
          user { login }
          samlIdentity { nameId emails { value primary } }
          scimIdentity { username emails { value primary } }
        }"""

ORG_IDENTITIES = (
    """query($org: String!, $first: Int!, $after: String, $login: String) {
  rateLimit { cost remaining resetAt }
  organization(login: $org) {
    samlIdentityProvider {
      externalIdentities(first: $first, after: $after, login: $login) {"""
    + _IDENTITY_FIELDS
    + """
      }
    }
  }
}"""
)

ENTERPRISE_IDENTITIES = (
    """query($slug: String!, $first: Int!, $after: String, $login: String) {
  rateLimit { cost remaining resetAt }
  enterprise(slug: $slug) {
    ownerInfo {
      samlIdentityProvider {
        externalIdentities(first: $first, after: $after, login: $login) {"""
    + _IDENTITY_FIELDS
    + """
        }
      }
    }
  }
}"""
)

VERIFIED_EMAILS = """query($login: String!, $org: String!) {
  rateLimit { cost remaining resetAt }
  user(login: $login) { organizationVerifiedDomainEmails(login: $org) }
}"""

QUERIES = (ORG_IDENTITIES, ENTERPRISE_IDENTITIES, VERIFIED_EMAILS)

ENABLE = {
    "no_sso": "turn on SAML single sign-on for {where}, or leave {source} out of REAPER_IDENTITY",
    "SAML": "authorise the token for single sign-on ({where}'s SSO) or use a GitHub App",
    "FORBIDDEN": "use an owner's token with read:org (or a GitHub App with Members: read)",
    "INSUFFICIENT_SCOPES": "give the token read:org (an owner's), or the App Members: read",
}


@dataclass
class Identities:
    """What GitHub said of some logins: source → case-folded login → addresses, best first."""

    found: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # source → why, and the fix

    def add(self, source: str, login: str, addresses: list[str]) -> None:
        """Record a source's addresses for a login."""
        if addresses:
            self.found.setdefault(source, {}).setdefault(login.casefold(), addresses)


def _why(kind: str, where: str, source: str) -> str:
    fix = ENABLE.get(kind, "check the token's access to {where}").format(where=where, source=source)
    said = {"no_sso": "no SAML single sign-on", "SAML": "the token is not authorised for SSO"}
    return f"{said.get(kind, kind.lower().replace('_', ' '))} on {where}: {fix}"


class IdentityReader:
    """Reads identities for one scope: an organisation, or an enterprise by its slug."""

    def __init__(self, graphql: GraphQL, *, org: str | None, enterprise: str | None) -> None:
        self._graphql = graphql
        self._org = org
        self._enterprise = enterprise
        self.where = f"enterprise {enterprise}" if enterprise else f"organisation {org}"

    def read(self, logins: Sequence[str], sources: Sequence[str]) -> Identities:
        """Each wanted source's addresses for ``logins`` (the user map is not GitHub's)."""
        result = Identities()
        wanted = [s for s in sources if s in {"saml", "scim"}]
        if wanted and logins:
            self._external(list(logins), wanted, result)
        if "verified" in sources and self._org:
            self._verified(list(logins), result)
        return result

    # -- SAML and SCIM: the identity provider's external identities -------------------------

    def _identities(self, after: str | None, login: str | None, first: int) -> Answer:
        if self._enterprise:
            variables: dict[str, Any] = {"slug": self._enterprise}
            text = ENTERPRISE_IDENTITIES
        else:
            variables, text = {"org": self._org}, ORG_IDENTITIES
        variables |= {"first": first, "after": after, "login": login}
        return self._graphql.query(text, variables)

    def _connection(self, answer: Answer) -> dict[str, Any] | None:
        owner = answer.data.get("enterprise" if self._enterprise else "organization") or {}
        if self._enterprise:
            owner = owner.get("ownerInfo") or {}
        provider = owner.get("samlIdentityProvider")
        return None if provider is None else provider.get("externalIdentities") or {}

    def _external(self, logins: list[str], sources: list[str], result: Identities) -> None:
        left = {login.casefold(): login for login in logins}
        after: str | None = None
        pages = 0
        total = None
        while left:
            paging = total is not None and page_the_list(total, pages, len(left))
            if total is not None and not paging:
                break
            login = None if paging or len(left) > 1 else next(iter(left.values()))
            try:
                answer = self._identities(after, login, PAGE_SIZE if login is None else 1)
            except GitHubError as exc:
                kind = "SAML" if "single sign-on" in str(exc).lower() else "FORBIDDEN"
                self._unavailable(result, sources, kind)
                return
            connection = self._connection(answer)
            if connection is None or (answer.problems and not connection):
                kinds = answer.kinds() & set(ENABLE)
                self._unavailable(result, sources, next(iter(kinds), "no_sso"))
                return
            self._take(connection, sources, left, result)
            if login is not None:
                left.pop(login.casefold(), None)
                continue
            pages += 1
            total = int(connection.get("totalCount") or 0)
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")
        for login in list(left.values()):
            self._one(login, sources, result)

    def _one(self, login: str, sources: list[str], result: Identities) -> None:
        try:
            answer = self._identities(None, login, 1)
        except GitHubError:
            return
        connection = self._connection(answer)
        if connection:
            self._take(connection, sources, {login.casefold(): login}, result)

    @staticmethod
    def _take(
        connection: dict[str, Any], sources: list[str], left: dict[str, str], result: Identities
    ) -> None:
        for node in connection.get("nodes") or []:
            if not isinstance(node, dict):
                continue
            login = str((node.get("user") or {}).get("login") or "")
            if login.casefold() not in left:
                continue
            left.pop(login.casefold())
            saml, scim = node.get("samlIdentity") or {}, node.get("scimIdentity") or {}
            if "saml" in sources:
                result.add(
                    "saml", login, saml_address(saml.get("nameId"), saml.get("emails") or [])
                )
            if "scim" in sources:
                result.add(
                    "scim", login, scim_address(scim.get("username"), scim.get("emails") or [])
                )

    def _unavailable(self, result: Identities, sources: list[str], kind: str) -> None:
        for source in sources:
            result.unavailable[source] = _why(kind, self.where, source)

    # -- verified-domain e-mails: one query per person ---------------------------------------

    def _verified(self, logins: list[str], result: Identities) -> None:
        for login in logins:
            try:
                answer = self._graphql.query(VERIFIED_EMAILS, {"login": login, "org": self._org})
            except GitHubError as exc:
                kind = "SAML" if "single sign-on" in str(exc).lower() else "FORBIDDEN"
                result.unavailable["verified"] = _why(kind, self.where, "verified")
                return
            kinds = answer.kinds() & set(ENABLE)
            user = answer.data.get("user") or {}
            if kinds and not user:
                result.unavailable["verified"] = _why(next(iter(kinds)), self.where, "verified")
                return
            emails = [str(e) for e in user.get("organizationVerifiedDomainEmails") or []]
            result.add("verified", login, emails)
