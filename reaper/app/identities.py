"""Who the people about to be messaged are: identity sources in order, cached in the store.

``IdentityFinder`` answers, for a list of GitHub logins, each one's ``Choice`` (an address
and the source that gave it, or why none): the user map first when it names the login, then
the answers cached in the state store younger than ``REAPER_IDENTITY_MAX_AGE_DAYS``, then
GitHub's GraphQL API for the rest, source by source in ``REAPER_IDENTITY`` order, each asked
only about those still without an address. The choice is ``reaper.identity.choose``'s. A
source GitHub will not give is logged once (``identity.source_unavailable``) and skipped.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from reaper.app.github_auth import app_auth, classic_token
from reaper.errors import GitHubError
from reaper.github.auth import BearerToken
from reaper.github.graphql import GraphQL, QueryLimits, graphql_url
from reaper.github.identities import Identities, IdentityReader
from reaper.github.session import GitHubSession
from reaper.identity.choose import NO_IDENTITY, Choice, choose
from reaper.identity.usermap import load_user_map
from reaper.logs import get_logger
from reaper.slack.dm import DirectMessenger
from reaper.slack.ledger import DmLedger
from reaper.slack.transport import web_client

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from reaper.config.settings import Settings
    from reaper.report.export import Contact
    from reaper.report.model import CycleReport

log = get_logger(__name__)
GITHUB_SOURCES = ("saml", "scim", "verified")


def graphql_client(
    settings: Settings, clock: Callable[[], datetime], sleep: Callable[[float], None] = time.sleep
) -> GraphQL:
    """A GraphQL client over its own session: GraphQL's rate limit is paced apart from REST's."""
    app = app_auth(settings, clock)  # a GitHub App's installation token, else the token
    session = GitHubSession(
        base_url=settings.github_api_url,
        auth=app or BearerToken(classic_token(settings)),
        api_version=settings.github_api_version,
        timeout=settings.github_timeout_seconds,
        max_attempts=settings.github_max_attempts,
        max_wait=settings.github_max_wait_seconds,
        rate_limit_reserve=settings.github_rate_limit_reserve,
        sleep=sleep,
        clock=clock,
        transport=None,
    )
    session.limits = QueryLimits(reserve=settings.github_rate_limit_reserve, clock=clock)
    bind = getattr(app, "bind", None)  # the App mints its tokens through a session
    if callable(bind):
        bind(session.request, session.base.path)
    return GraphQL(session, graphql_url(settings.github_api_url, settings.github_graphql_url))


def readers(settings: Settings, graphql: GraphQL) -> list[IdentityReader]:
    """One reader per scope: the enterprise's identities, else each organisation's."""
    if settings.github_enterprise:
        first_org = settings.github_orgs[0] if settings.github_orgs else None
        return [IdentityReader(graphql, org=first_org, enterprise=settings.github_enterprise)]
    return [IdentityReader(graphql, org=org, enterprise=None) for org in settings.github_orgs]


class IdentityFinder:
    """Finds addresses for logins, as the settings order the sources."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self.unavailable: dict[str, str] = {}  # source → why, and what would enable it

    def __call__(self, logins: Sequence[str], now: datetime) -> dict[str, Choice]:
        """Case-folded login → its ``Choice``; never raises for a source GitHub will not give."""
        settings = self._settings
        order, domains = settings.identity, settings.email_domains
        answers: dict[str, dict[str, list[str]]] = {login.casefold(): {} for login in logins}
        if "map" in order and settings.user_map_file is not None:
            mapped = load_user_map(settings.user_map_file)
            for key, got in answers.items():
                if key in mapped:
                    got["map"] = [mapped[key]]
        chosen = {key: choose(order, got, domains) for key, got in answers.items()}
        wanted = [k for k, c in chosen.items() if c.email is None]
        if not wanted or not set(order) & set(GITHUB_SOURCES):
            return chosen
        max_age = timedelta(days=settings.identity_max_age_days)
        with DmLedger(settings.state_url) as ledger:
            cached = ledger.cached_identities(wanted, now, max_age)  # once: not once a login
            for key, (email, source) in cached.items():
                chosen[key] = Choice(email, source, "" if email else NO_IDENTITY)
            left = [k for k in wanted if k not in cached]
            fresh = self._ask_github(left, answers)
            for key in left:
                chosen[key] = choose(order, answers[key], domains)
            ledger.remember_identities(
                {k: (chosen[k].email, chosen[k].source) for k in left if k in fresh}, now
            )
        return chosen

    def _ask_github(self, logins: list[str], answers: dict[str, dict[str, list[str]]]) -> set[str]:
        """Ask GitHub, source by source, about the logins still without an address.

        Returns the logins every asked source answered for (safe to cache).
        """
        order, domains = self._settings.identity, self._settings.email_domains
        asked: set[str] = set()
        incomplete = False
        graphql = graphql_client(self._settings, self._clock, self._sleep)
        try:
            for position, source in enumerate(order):
                if source not in GITHUB_SOURCES or source in asked:
                    continue
                group = [source]
                if source in {"saml", "scim"}:
                    group = [s for s in order[position:] if s in {"saml", "scim"}]
                asked |= set(group)
                earlier = order[:position]
                need = [k for k in logins if choose(earlier, answers[k], domains).email is None]
                incomplete |= self._read(graphql, need, group, answers)
        finally:
            graphql.close()
        return set() if incomplete else set(logins)

    def _read(
        self,
        graphql: GraphQL,
        logins: list[str],
        sources: list[str],
        answers: dict[str, dict[str, list[str]]],
    ) -> bool:
        """Read ``sources`` for ``logins`` from every scope; tell whether any was unavailable."""
        unavailable = False
        for reader in readers(self._settings, graphql):
            need = [k for k in logins if not any(s in answers[k] for s in sources)]
            if not need:
                break
            try:
                got: Identities = reader.read(need, sources)
            except GitHubError as exc:
                got = Identities(unavailable=dict.fromkeys(sources, f"GitHub failed: {exc}"))
            for source, by_login in got.found.items():
                for key, addresses in by_login.items():
                    if key in answers:
                        answers[key].setdefault(source, addresses)
            for source, why in got.unavailable.items():
                unavailable = True
                if source not in self.unavailable:
                    self.unavailable[source] = why
                    log.warning("identity.source_unavailable", source=source, why=why)
        return unavailable


def identify_for(
    settings: Settings, clock: Callable[[], datetime], sleep: Callable[[float], None]
) -> IdentityFinder | None:
    """The identity sources for direct messages, when direct messages are on."""
    return IdentityFinder(settings, clock=clock, sleep=sleep) if settings.slack_dm else None


def preview_contacts(
    settings: Settings, report: CycleReport, clock: Callable[[], datetime]
) -> dict[str, Contact]:
    """How the report's people would be reached by direct message, as a live cycle finds it.

    Nothing is sent: the identity sources and Slack are only read (their answers cached).
    Empty when direct messages are off.
    """
    if not settings.slack_dm or settings.slack_bot_token is None:
        return {}
    client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    with DirectMessenger(
        client,
        report,
        state_url=settings.state_url,
        user_map_file=settings.user_map_file,
        identify=IdentityFinder(settings, clock=clock),
        directory_max_age=timedelta(days=settings.identity_max_age_days),
    ) as messenger:
        return messenger.prepare().contacts
