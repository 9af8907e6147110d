"""Who may click what, decided on the server side at click time.

- A warning's buttons belong to one person: the Slack user that GitHub login resolves to
  *now*, the way its direct message was addressed (the identity sources in
  ``REAPER_IDENTITY`` order, answers cached in the store: user map, SAML, SCIM, verified
  e-mail → ``users.lookupByEmail``, cached in the ledger), who must also be the user the
  message was sent to.
- The channel report's buttons belong to the admins, ``REAPER_SLACK_ADMINS``: Slack user IDs
  (``U…``, ``W…``) and user-group IDs (``S…``), whose members are read with
  ``usergroups.users.list`` (scope ``usergroups:read``) and kept for a few minutes.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from reaper.errors import ReaperError, StateStoreError
from reaper.identity.choose import NO_IDENTITY
from reaper.identity.usermap import UserMapError, load_user_map
from reaper.logs import get_logger
from reaper.slack.directory import find_user
from reaper.slack.ledger import DmLedger
from reaper.slack.transport import SlackCallError, call

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime
    from pathlib import Path

    from slack_sdk import WebClient

    from reaper.slack.dm import Identify

log = get_logger(__name__)

GROUP_TTL_SECONDS = 300.0  # how long a user group's members are trusted before reading again


class Resolver:
    """The Slack user a GitHub login belongs to, resolved at click time."""

    def __init__(
        self,
        client: WebClient,
        *,
        state_url: str,
        user_map_file: Path | None,
        identify: Identify | None = None,
    ) -> None:
        self._client = client
        self._state_url = state_url
        self._user_map_file = user_map_file
        self._identify = identify  # the direct messages' identity sources, when configured

    def slack_user(self, login: str, now: datetime) -> tuple[str | None, str]:
        """(Slack user id, "") for ``login``, or (None, why nobody) when it cannot be resolved."""
        if self._identify is not None:
            return self._through_sources(login, now)
        if self._user_map_file is None:
            return None, "no user map is configured"
        try:
            emails = load_user_map(self._user_map_file)
        except UserMapError as exc:
            log.error("slack.user_map_unreadable", error=str(exc))
            return None, "the user map could not be read"
        try:
            with DmLedger(self._state_url) as ledger:
                return find_user(self._client, ledger, login, emails, now, mapped=True)
        except StateStoreError as exc:
            log.error("slack.dm_lookup_failed", error=str(exc))
            return None, "the state store is unavailable"

    def _through_sources(self, login: str, now: datetime) -> tuple[str | None, str]:
        """As the direct message did: the identity sources (cached), then the Slack look-up."""
        assert self._identify is not None
        try:
            choice = self._identify([login], now).get(login.casefold())
            emails = {login.casefold(): choice.email} if choice and choice.email else {}
            missing = choice.why if choice is not None and choice.why else NO_IDENTITY
            with DmLedger(self._state_url) as ledger:
                return find_user(
                    self._client, ledger, login, emails, now, mapped=True, missing=missing
                )
        except StateStoreError as exc:
            log.error("slack.dm_lookup_failed", error=str(exc))
            return None, "the state store is unavailable"
        except ReaperError as exc:
            log.error("identity.lookup_failed", error=str(exc))
            return None, "the identity sources could not be read"


class Admins:
    """``REAPER_SLACK_ADMINS``: users named directly, and the members of the user groups named."""

    def __init__(
        self,
        client: WebClient,
        ids: Iterable[str],
        *,
        ttl: float = GROUP_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        ids = list(ids)
        self._client = client
        self._users = frozenset(i for i in ids if not i.startswith("S"))
        self._groups = tuple(i for i in ids if i.startswith("S"))
        self._ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    def allows(self, user: str) -> bool:
        """Tell whether this Slack user is an admin (named, or a member of a named group)."""
        if user in self._users:
            return True
        return any(user in self._group(group) for group in self._groups)

    def _group(self, group: str) -> frozenset[str]:
        """The group's members, read again once the cached answer is older than the TTL."""
        now = self._monotonic()
        with self._lock:
            cached = self._members.get(group)
            if cached is not None and now - cached[0] < self._ttl:
                return cached[1]
        try:
            answer = call(
                "usergroups.users.list",
                lambda: self._client.usergroups_users_list(usergroup=group),
            )
        except SlackCallError as exc:
            log.warning("slack.admin_group_unreadable", group=group, error=str(exc))
            return cached[1] if cached is not None else frozenset()
        members = frozenset(str(u) for u in answer.get("users") or [])
        with self._lock:
            self._members[group] = (now, members)
        return members
