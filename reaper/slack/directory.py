"""Slack's directory, read when that takes fewer requests than looking each address up.

An address becomes a Slack user by ``users.lookupByEmail`` (Tier 3, one request an address)
or by reading the whole workspace with ``users.list`` (Tier 2, 200 users a page, cursor
paging). ``prime`` runs before a cycle's look-ups and reads the directory only when its
pages are fewer than the addresses not yet in the look-up cache:

- when the directory was read before, its size (kept in the ledger) gives the page count
  exactly (``reaper.identity.choose.read_directory``);
- when it never was, pages are read while the pages still to read (guessed from how many
  addresses the pages so far held) stay fewer than the addresses still unknown; then the
  look-ups take over (``worth_a_page``).

Every user read goes into the ledger's look-up cache, as ``users.lookupByEmail`` would answer:
a deactivated user, a bot, or a user of another workspace is cached as nobody, so they are
never messaged. A complete read also caches as nobody each wanted address it did not hold.
The directory is read again only once its last read is older than the maximum age
(``REAPER_IDENTITY_MAX_AGE_DAYS``). A 429 waits for ``Retry-After`` (the transport's bounded
handler); a directory Slack will not give (``missing_scope``, still rate-limited) is logged
once (``slack.directory_unreadable``) and the look-ups go on as before.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Any

from reaper.identity.choose import read_directory
from reaper.logs import get_logger
from reaper.slack.transport import SlackCallError, call

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime, timedelta

    from slack_sdk import WebClient

    from reaper.slack.ledger import DmLedger

log = get_logger(__name__)

PAGE = 200  # users.list's recommended page size


def usable(user: dict[str, Any]) -> bool:
    """Tell whether a Slack user may be messaged: not deactivated, not a bot, of this workspace."""
    if user.get("deleted") or user.get("is_bot") or not user.get("id"):
        return False
    if user.get("id") == "USLACKBOT":
        return False
    return not (user.get("is_stranger") or user.get("is_restricted_to_another_workspace"))


def find_user(
    client: WebClient,
    ledger: DmLedger,
    login: str,
    emails: dict[str, str],
    now: datetime,
    *,
    mapped: bool,
    missing: str | None = None,
) -> tuple[str | None, str]:
    """The Slack user id of a GitHub login, or None and why not (answers cached in the ledger).

    GitHub login → e-mail (from the user map, or the identity sources) →
    ``users.lookupByEmail``; a deleted user, a bot or a user of another workspace is nobody.
    ``mapped`` tells whether a user map is configured at all; ``missing`` says why there is
    no e-mail when the identity sources were asked.
    """
    email = emails.get(login.casefold())
    if email is None:
        if missing:
            return None, missing
        return None, "no e-mail in the user map" if mapped else "no user map configured"
    known, user_id = ledger.cached_user(email, now)
    if known:
        return user_id, "no Slack user with the mapped e-mail"
    try:
        answer = call("users.lookupByEmail", lambda: client.users_lookupByEmail(email=email))
    except SlackCallError as exc:
        if exc.code == "users_not_found":
            ledger.remember_user(email, None, now)
            return None, "no Slack user with the mapped e-mail"
        return None, f"Slack look-up failed ({exc.code or 'unreachable'})"
    user = answer.get("user") or {}
    if not usable(user):
        ledger.remember_user(email, None, now)
        return None, "the Slack user is deactivated"
    ledger.remember_user(email, str(user["id"]), now)
    return str(user["id"]), ""


def worth_a_page(pages: int, found: int, left: int) -> bool:
    """With the directory's size unknown, tell whether reading on beats looking ``left`` up.

    Nothing found yet: read while the pages, the next one included, stay fewer than ``left``
    (never more than twice the cheaper path). Some found: the pages still to read are guessed
    from the pace so far (``pages`` for ``found``), and read while fewer than ``left``. Never
    more pages than addresses asked about, so pages and look-ups stay within twice the
    look-ups alone.
    """
    if left == 0 or pages + 1 >= found + left:
        return False  # never more pages than addresses asked about: at most twice the look-ups
    if found == 0:
        return pages + 1 < left
    return math.ceil(pages * left / found) < left


def prime(
    client: WebClient,
    ledger: DmLedger,
    emails: Iterable[str],
    now: datetime,
    max_age: timedelta,
) -> int:
    """Read the directory into the look-up cache if that is the cheaper path; pages read."""
    wanted = {e.lower() for e in emails if not ledger.cached_user(e, now)[0]}
    if not wanted:
        return 0
    known = ledger.directory(now)
    if known is not None:
        size, read_at = known
        if now - read_at <= max_age or not read_directory(size, len(wanted), PAGE):
            return 0
    pages, seen, cursor, asked = 0, 0, "", len(wanted)
    while True:
        # Unknown size: read on while that is the cheaper bet. Known size: never more pages
        # than addresses asked about either, whatever cursors Slack keeps handing out.
        unknown_and_dear = known is None and not worth_a_page(
            pages, asked - len(wanted), len(wanted)
        )
        if unknown_and_dear or pages >= asked:
            log.info("slack.directory_stopped", pages=pages, left=len(wanted))
            return pages  # the look-ups are now the cheaper bet
        try:
            answer = call(
                "users.list", partial(client.users_list, limit=PAGE, cursor=cursor or None)
            )
        except SlackCallError as exc:
            log.warning("slack.directory_unreadable", error=exc.code or str(exc), pages=pages)
            return pages
        pages += 1
        found: dict[str, str | None] = {}
        for user in answer.get("members") or []:
            seen += 1
            email = str((user.get("profile") or {}).get("email") or "").lower()
            if email:
                found[email] = str(user["id"]) if usable(user) else None
        ledger.remember_users(found, now)
        wanted -= found.keys()
        cursor = str((answer.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            break
    ledger.remember_users(dict.fromkeys(wanted, None), now)  # not in the workspace: nobody
    ledger.remember_directory(seen, now)
    log.info("slack.directory_read", pages=pages, users=seen)
    return pages
