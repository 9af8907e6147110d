"""The ``Simulator``: GitHub's Copilot seat API and Slack on one loopback port."""

from __future__ import annotations

import copy
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from reaper.simulator.faults import Fault, FaultQueue
from reaper.simulator.github import DEFAULT_EDITOR, GitHubApi
from reaper.simulator.graphql import GraphQLApi
from reaper.simulator.server import LoopbackServer, RecordedRequest, Response
from reaper.simulator.slack import API_PREFIX, WEBHOOK_PATH, SlackApi
from reaper.simulator.slack_actions import SlackActions
from reaper.simulator.slack_side import SIM_SLACK_APP_TOKEN, SlackSide
from reaper.simulator.socket_mode import SocketModeServer

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date


SIM_GITHUB_TOKEN = "ghp_sim"
SIM_SLACK_BOT_TOKEN = "xoxb-sim"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Simulator(SlackSide):
    """A stand-in for GitHub's Copilot seat endpoints and Slack, served on 127.0.0.1.

    Use it as a context manager: entering binds a random free port and starts a background
    thread; leaving stops the server, closes its connections and joins its threads. State
    (orgs, seats, Slack users) may be set up before or while it runs.

    Slack's Socket Mode is served too, on a second loopback port: ``apps.connections.open``
    (with ``slack_app_token``) hands out its URLs, and ``click`` delivers button clicks to the
    connected app (see ``SlackSide``).

    ``clock`` returns the simulated "now" as an aware UTC datetime; it dates cancellations
    (``pending_cancellation_date``), new seats, Slack message timestamps and rate-limit resets.

    ``latency`` (also settable later as ``sim.latency``) is how many real seconds after a
    GitHub request came in its answer goes out, faults included: a stand-in for the round
    trip to GitHub in benchmarks, which holds GitHub's own work as this holds the
    simulator's. Requests wait in parallel, holding no lock; Slack is not delayed.

    Seats live in a scope: an org's login, or ``"enterprise:<slug>"`` for grants made at an
    enterprise (``reaper.core.domain.enterprise_scope``). Every seat method takes either.
    """

    def __init__(
        self,
        *,
        token: str = SIM_GITHUB_TOKEN,
        slack_bot_token: str = SIM_SLACK_BOT_TOKEN,
        slack_app_token: str = SIM_SLACK_APP_TOKEN,
        clock: Callable[[], datetime] = _utc_now,
        rate_limit: int = 5000,
        latency: float = 0.0,
    ) -> None:
        self.latency = latency
        self._server = LoopbackServer(self._dispatch)
        # Test hooks, called in the server thread: before a request is handled (return True
        # to hang up without handling it), and after it changed the simulated state but
        # before the answer is sent (e.g. to kill the client at that very point).
        self.before_request: Callable[[RecordedRequest], bool] | None = None
        self.after_request: Callable[[RecordedRequest], None] | None = None
        self._faults = FaultQueue()
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._github = GitHubApi(
            token=token, clock=clock, base_url=lambda: self.github_url, rate_limit=rate_limit
        )
        self.apps, self.usage = self._github.apps, self._github.usage  # Apps; usage reports
        self.add_team = self._github.add_team  # org and enterprise teams (simulator.teams)
        self.graphql = GraphQLApi(token=lambda: self._github.token, clock=clock)  # identities
        self._socket = SocketModeServer()
        slack_lock = threading.RLock()
        self._actions = SlackActions(lock=slack_lock, clock=clock, base_url=lambda: self.github_url)
        self._slack = SlackApi(
            bot_token=slack_bot_token,
            app_token=slack_app_token,
            clock=clock,
            base_url=lambda: self.github_url,
            lock=slack_lock,
            actions=self._actions,
            socket_url=self._socket.issue_url,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start serving on 127.0.0.1 at random free ports (HTTP, and Socket Mode's)."""
        self._server.start()
        try:
            self._socket.start()
        except BaseException:
            self._server.stop()
            raise

    def stop(self) -> None:
        """Stop serving and join the servers' threads (safe to call twice).

        Socket Mode connections are closed first; an app still running would then reach
        for ``apps.connections.open`` again, so stop the app's client before the simulator.
        """
        self._socket.stop()
        self._server.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def github_url(self) -> str:
        """The GitHub API root, ``http://127.0.0.1:PORT`` (no trailing slash)."""
        return self._server.base_url

    @property
    def slack_webhook_url(self) -> str:
        """The incoming-webhook URL."""
        return f"{self._server.base_url}{WEBHOOK_PATH}"

    @property
    def slack_api_url(self) -> str:
        """The Web API root with a trailing slash, for ``WebClient(base_url=...)``."""
        return f"{self._server.base_url}{API_PREFIX}"

    # -- GitHub state ------------------------------------------------------------------------

    def add_enterprise(self, slug: str, *, plan_type: str = "enterprise") -> None:
        """Create an enterprise with no orgs and no enterprise-level grants.

        Its grants live in the scope ``"enterprise:<slug>"``; add orgs to it with
        ``add_org(..., enterprise=slug)``.
        """
        self._github.add_enterprise(slug, plan_type=plan_type)

    def add_org(
        self,
        org: str,
        *,
        seat_management_setting: str = "assign_selected",
        plan_type: str = "business",
        public_code_suggestions: str = "block",
        enterprise: str | None = None,
    ) -> None:
        """Create an organisation with Copilot enabled and no seats.

        ``enterprise`` (a slug already added with ``add_enterprise``) makes the org one of that
        enterprise's: its seat records then also appear in the enterprise's list.
        """
        self._github.add_org(
            org,
            seat_management_setting=seat_management_setting,
            plan_type=plan_type,
            public_code_suggestions=public_code_suggestions,
            enterprise=enterprise,
        )

    def add_seat(
        self,
        scope: str,
        login: str,
        *,
        created_at: datetime | None = None,
        last_activity_at: datetime | None = None,
        team: str | None = None,
        plan_type: str | None = None,
        editor: str | None = DEFAULT_EDITOR,
        pending_cancellation_date: date | str | None = None,
    ) -> dict[str, Any]:
        """Give ``login`` a seat in ``scope`` and return the seat JSON as it will be served.

        ``scope`` is an org's login or ``"enterprise:<slug>"``. ``created_at`` defaults to the
        clock's now; ``team`` is the slug of the team that assigned the seat (``None``:
        assigned directly); in an enterprise it is an enterprise team, and a user may hold a
        direct grant and grants through several enterprise teams there (an org: one seat a
        user). Enterprise-level records have ``organization: null``. ``plan_type`` defaults to
        the org's or enterprise's. ``last_authenticated_at`` follows ``last_activity_at``;
        ``editor`` is reported only when there is activity, as GitHub nulls both together.
        """
        return self._github.add_seat(
            scope,
            login,
            created_at=created_at,
            last_activity_at=last_activity_at,
            team=team,
            plan_type=plan_type,
            editor=editor,
            pending_cancellation_date=pending_cancellation_date,
        )

    def add_raw_seat(self, scope: str, record: Any) -> None:
        """Append ``record`` to the scope's seat list, served verbatim (for malformed data)."""
        with self._github.lock:
            self._github.holder(scope).add(copy.deepcopy(record))

    def set_activity(
        self,
        scope: str,
        login: str,
        at: datetime,
        *,
        editor: str | None = None,
        team: str | None = None,
    ) -> None:
        """Record Copilot use: sets ``last_activity_at`` and ``last_authenticated_at``.

        ``team`` picks one of a user's several enterprise-level grants (see ``seat``).
        """
        self._github.set_activity(scope, login, at, editor, team)

    def remove_seat(self, scope: str, login: str, *, team: str | None = None) -> None:
        """Remove ``login``'s seat from ``scope`` altogether (``team``: see ``seat``)."""
        self._github.remove_seat(scope, login, team)

    def seat(self, scope: str, login: str, *, team: str | None = None) -> dict[str, Any] | None:
        """The seat JSON of ``login`` in ``scope`` as currently served, or ``None``.

        With ``team``, the grant through that team; without, the user's direct grant, else
        their first (an enterprise may hold several grants of one user; an org holds one).
        """
        with self._github.lock:
            return copy.deepcopy(self._github.holder(scope).find(login, team))

    def grants(self, scope: str, login: str) -> list[dict[str, Any]]:
        """Every record of ``login`` in ``scope`` itself (an enterprise: its own grants only)."""
        with self._github.lock:
            return copy.deepcopy(self._github.holder(scope).grants(login))

    # -- faults and records ------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        """Serve ``fault`` for the next ``fault.times`` matching requests (GitHub or Slack)."""
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Drop all injected faults, used up or not."""
        self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """Injected faults that have not been used up yet."""
        return self._faults.pending()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, GitHub and Slack alike, in arrival order."""
        with self._requests_lock:
            return list(self._requests)

    def reset_records(self) -> None:
        """Forget recorded requests and what was recorded of Slack (state and faults stay).

        Slack: messages posted, files, updates, ephemeral posts, response-URL posts, Socket
        Mode frames and handshakes, and the count of ``socket_opens``. Messages as they stand
        (``slack_message``), open connections and sent envelopes (for ``replay``) stay.
        """
        with self._requests_lock:
            self._requests.clear()
        self._slack.reset()
        self._socket.reset()

    # -- routing -----------------------------------------------------------------------------

    def _dispatch(self, request: RecordedRequest) -> Response | None:
        with self._requests_lock:
            self._requests.append(request)
        response = self._route(request)
        if self.latency > 0 and not request.path.startswith("/slack/"):
            # Due a round trip after it came in, own work included (as GitHub's); no lock held.
            time.sleep(max(request.received_at + self.latency - time.monotonic(), 0.0))
        return response

    def _route(self, request: RecordedRequest) -> Response | None:
        if self.before_request is not None and self.before_request(request):
            return None  # the hook asked to hang up without handling the request
        fault = self._faults.take(request.method, request.path)
        if fault is not None:
            return None if fault.disconnect else fault.response()
        if request.path.startswith("/slack/"):
            response = self._slack.handle(request)
        elif request.path == "/graphql":
            response = self.graphql.handle(request)
        else:
            response = self._github.handle(request)
        if self.after_request is not None:
            self.after_request(request)
        return response
