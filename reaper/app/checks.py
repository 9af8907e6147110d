"""``reaper check``: is everything ready? Configuration, token, each org, Slack, state store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.errors import SlackClientError

from reaper.app.app_checks import app_lines
from reaper.app.github_auth import classic_token
from reaper.app.identity_checks import identity_lines
from reaper.app.teams import check_teams
from reaper.app.usage_checks import usage_lines
from reaper.app.wiring import github_client, utc_now
from reaper.errors import ReaperError
from reaper.github.preflight import preflight, preflight_enterprise
from reaper.slack.transport import SlackCallError, call, web_client, webhook_client
from reaper.store import SqlStore

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import TextIO

    from reaper.config.settings import Settings


#: (ready, line): ``True`` ok, ``False`` a failure, ``None`` a warning that does not stop a start.
Line = tuple[bool | None, str]
MARK = {True: "ok", False: "FAIL", None: "warn"}
#: Unconfirmed cancels named in the check's line; the rest are counted.
INTENTS_SHOWN = 10


def run_checks(settings: Settings, out: TextIO) -> int:
    """Print a checklist; return 0 only when no item failed (warnings do not count)."""
    results: list[Line] = [(True, "configuration is valid")]
    mode = (
        "DRY RUN: nothing will be cancelled"
        if settings.dry_run
        else "LIVE: seats will be cancelled"
    )
    results.append((True, f"mode: {mode}"))
    results.extend(github_checks(settings))
    results.extend(usage_lines(settings))
    if settings.reclaim_teams:
        results.extend(check_teams(settings))
    results.append(_slack(settings))
    results.extend(identity_lines(settings, utc_now))
    if settings.slack_app_token is not None:
        results.append(_socket_mode(settings.slack_app_token.get_secret_value(), settings))
    results.extend(_state(settings))
    out.writelines(f"[{MARK[ok]}] {line}\n" for ok, line in results)
    ready = all(ok is not False for ok, _ in results)
    out.write("ready\n" if ready else "not ready: fix the items marked FAIL\n")
    return 0 if ready else 1


def github_checks(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> list[tuple[bool, str]]:
    """Preflight every org and the enterprise: (ready, one line saying so or what is wrong)."""
    client = github_client(settings, clock=clock, max_attempts=2, max_wait=30)
    with client:
        results = app_lines(client, settings.github_orgs)
        for org in settings.github_orgs:
            status = preflight(client, org)
            if status.problem is not None:
                results.append((False, status.problem))
            elif status.no_cancel is not None:
                results.append((False, status.no_cancel))
            else:
                plan = status.plan_type or "unknown plan"
                results.append((True, f"{org}: token accepted, Copilot {plan}, seats cancellable"))
        if settings.github_enterprise is not None:
            slug = settings.github_enterprise
            problem = preflight_enterprise(client, slug, classic_token(settings))
            if problem is not None:
                results.append((False, problem))
            else:
                results.append((True, f"enterprise {slug}: token accepted on its seat endpoints"))
    return results


def _slack(settings: Settings) -> tuple[bool, str]:
    try:
        if settings.slack_bot_token is not None:
            client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
            team = call("auth.test", client.auth_test).get("team", "?")
            return (
                True,
                f"Slack bot token accepted (workspace {team}), channel {settings.slack_channel}",
            )
        if settings.slack_webhook_url is not None:
            # An empty payload is refused with no_text by a live webhook and posts nothing;
            # a revoked one answers 404/410.
            webhook = webhook_client(settings.slack_webhook_url.get_secret_value())
            response = webhook.send_dict({})
            if response.status_code in (200, 400) and response.body in (
                "ok",
                "no_text",
                "invalid_payload",
            ):
                return True, "Slack webhook answers"
            return False, f"Slack webhook refused: HTTP {response.status_code} {response.body[:60]}"
    except SlackCallError as exc:
        return False, f"Slack refused the bot token: {exc}"
    except (SlackClientError, OSError) as exc:
        return False, f"Slack unreachable: {type(exc).__name__}"
    return True, "Slack not configured: reports go to the log"


def _socket_mode(app_token: str, settings: Settings) -> tuple[bool, str]:
    """Ask Slack for a Socket Mode URL with the app token (the URL is not used)."""
    client = web_client(app_token, settings.slack_api_url)
    try:
        call("apps.connections.open", lambda: client.apps_connections_open(app_token=app_token))
    except SlackCallError as exc:
        return False, f"Slack refused the app token (REAPER_SLACK_APP_TOKEN): {exc}"
    return True, "Slack app token accepted: buttons are answered over Socket Mode by reaper run"


def _state(settings: Settings) -> list[Line]:
    """The store answers; who holds the writer lock; cancels not yet confirmed (a warning).

    An unconfirmed cancel is not a failure: the next cycle re-reads those seats first and
    records what GitHub says, so nothing is lost; it is shown so an admin knows to look.
    """
    try:
        store = SqlStore(settings.state_url)
        try:
            store.ping()
            flags = len(store.all_flags())
            holder = store.lock_holder()
            intents = store.unresolved_intents()
        finally:
            store.close()
    except ReaperError as exc:
        return [(False, str(exc))]
    lines: list[Line] = [(True, f"state store reachable ({flags} flags)")]
    if holder is None:
        lines.append((True, "lock: free"))
    else:
        since = (
            "while it starts"
            if holder.acquired_at is None
            else f"since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        lines.append((True, f"lock: held by {holder.holder} {since}"))
    if intents:
        named = ", ".join(f"{i.org}/{i.login}" for i in intents[:INTENTS_SHOWN])
        more = f" and {len(intents) - INTENTS_SHOWN} more" if len(intents) > INTENTS_SHOWN else ""
        text = f"{len(intents)} cancel(s) sent but not yet confirmed: {named}{more}"
        lines.append((None, f"{text}; the next cycle re-reads them"))
    return lines
