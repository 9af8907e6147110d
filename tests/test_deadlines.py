"""Overall deadlines: a dripped answer, a stalled server or a spent cycle never hangs a request."""

from __future__ import annotations

import os
import threading
import time
import warnings
from typing import TYPE_CHECKING

import httpx
import pytest

from reaper.errors import (
    DeadlineExceededError,
    GitHubError,
    GitHubUnavailableError,
    SlackDeliveryError,
)
from reaper.github import GitHubClient
from reaper.github.bounded import fetch
from reaper.simulator import Fault
from reaper.slack.transport import post_message, send_webhook, web_client, webhook_client
from tests.conftest import GITHUB_TOKEN, SLACK_BOT_TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from reaper.simulator import Simulator

SEATS = r"/copilot/billing/seats$"
PAGE = {"total_seats": 0, "seats": [], "padding": "x" * 40}  # ~80 bytes: 4 s when dripped
DRIP = 0.05  # each byte comes well within any per-read timeout
AUTH = {"Authorization": f"Bearer {GITHUB_TOKEN}"}
BOUND = 10.0  # seconds: a bound on a wait that should end at once, never a measured time
# A slow answer: "[0]" a byte every 0.95 s. Each byte beats a read timeout of a second, so
# only the watchdog cuts it at a one-second deadline; the next byte would come at 1.9 s.
SLOW = Fault(path=SEATS, status=200, body=[0], drip_seconds=0.95)
IN_TIME = 1.6  # seconds: cut by the watchdog (1.0 s), not when the next byte came (1.9 s)


@pytest.fixture
def waits() -> list[float]:
    """The retry waits the client asked for (recorded, not slept)."""
    return []


@pytest.fixture
def client(sim: Simulator, waits: list[float]) -> Iterator[GitHubClient]:
    """A real client on the simulator with a half-second overall timeout and two attempts."""
    with GitHubClient(
        base_url=sim.github_url,
        token=GITHUB_TOKEN,
        timeout=0.5,
        max_attempts=2,
        sleep=waits.append,
    ) as github:
        yield github


def pages(client: GitHubClient) -> list[int]:
    return [page.total_seats for page in client.iter_seat_pages("acme")]


def test_a_dripped_page_times_out_instead_of_hanging(sim: Simulator, client: GitHubClient) -> None:
    """A page sent one byte at a time fails each attempt at the overall timeout, not never."""
    sim.inject(Fault(path=SEATS, status=200, body=PAGE, drip_seconds=DRIP, times=2))
    started = time.monotonic()
    with pytest.raises(GitHubUnavailableError, match="timeout on GET /orgs/acme/copilot"):
        pages(client)
    assert time.monotonic() - started < 2.5  # two attempts of 0.5 s, far from the 8 s drip
    assert len([r for r in sim.requests if r.path.endswith("/seats")]) == 2


def test_a_dripped_page_is_retried_like_any_timeout(
    sim: Simulator, client: GitHubClient, waits: list[float]
) -> None:
    """The timed-out attempt is retried after a logged wait, and the next answer is used."""
    sim.inject(Fault(path=SEATS, status=200, body=PAGE, drip_seconds=DRIP))
    assert pages(client) == [0]
    assert len(waits) == 1


def test_a_deadline_in_the_past_refuses_every_request(sim: Simulator, client: GitHubClient) -> None:
    """After set_deadline has passed, a request raises DeadlineExceededError and sends nothing."""
    client.set_deadline(time.monotonic() - 1)
    with pytest.raises(DeadlineExceededError, match="REAPER_CYCLE_TIMEOUT_SECONDS"):
        pages(client)
    assert sim.requests == []
    client.set_deadline(None)
    assert pages(client) == [0]


def test_the_cycle_deadline_cuts_a_request_short(
    sim: Simulator, clock: object, waits: list[float]
) -> None:
    """A request in flight when the cycle deadline passes stops there, and is not retried."""
    sim.inject(Fault(path=SEATS, status=200, body=PAGE, drip_seconds=DRIP, times=5))
    with GitHubClient(
        base_url=sim.github_url, token=GITHUB_TOKEN, timeout=30, sleep=waits.append
    ) as github:
        github.set_deadline(time.monotonic() + 0.4)
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError):
            pages(github)
    assert time.monotonic() - started < 2.0
    assert waits == []


def test_a_wait_that_would_cross_the_deadline_is_not_started(
    sim: Simulator, client: GitHubClient, waits: list[float]
) -> None:
    """A rate limit asking for a minute, with five seconds left, fails now instead of waiting."""
    sim.inject(Fault(path=SEATS, status=429, headers={"retry-after": "60"}))
    client.set_deadline(time.monotonic() + 5)
    with pytest.raises(DeadlineExceededError, match="REAPER_CYCLE_TIMEOUT_SECONDS"):
        pages(client)
    assert waits == []


@pytest.mark.parametrize("token", [GITHUB_TOKEN + "\n", "ghp_\r\nX-Injected: 1"])
def test_a_token_http_cannot_carry_fails_at_once(
    sim: Simulator, waits: list[float], token: str
) -> None:
    """A token with a line break is an error in what we send: no retry, no token in the message."""
    with GitHubClient(base_url=sim.github_url, token=token, sleep=waits.append) as github:
        started = time.monotonic()
        with pytest.raises(GitHubError) as raised:
            pages(github)
    assert not isinstance(raised.value, GitHubUnavailableError)
    assert "REAPER_GITHUB_TOKEN" in str(raised.value)
    assert "ghp_" not in str(raised.value)
    assert waits == []
    assert time.monotonic() - started < 1
    assert sim.requests == []


def test_a_token_with_non_ascii_characters_is_a_clear_error(sim: Simulator) -> None:
    """A token with characters no HTTP header can carry is refused with a message, not a crash."""
    with pytest.raises(GitHubError, match="REAPER_GITHUB_TOKEN"):
        GitHubClient(base_url=sim.github_url, token="ghp_é")


def test_a_dripped_webhook_answer_fails_the_delivery_in_time(sim: Simulator) -> None:
    """A webhook answer sent one byte at a time fails the delivery at the deadline."""
    sim.inject(Fault(path=r"/slack/", status=200, body="ok" + " " * 60, drip_seconds=DRIP))
    started = time.monotonic()
    with pytest.raises(SlackDeliveryError):
        send_webhook(webhook_client(sim.slack_webhook_url, timeout=0.5), {"text": "hello"})
    assert time.monotonic() - started < 2.0
    assert len([r for r in sim.requests if r.path.startswith("/slack/")]) == 1  # not retried


def test_a_dripped_web_api_answer_fails_the_call_in_time(sim: Simulator) -> None:
    """A chat.postMessage answer sent one byte at a time fails the call at the deadline."""
    sim.inject(
        Fault(
            path=r"/slack/api/chat\.postMessage",
            status=200,
            body={"ok": True, "channel": "C1", "ts": "1.0", "padding": "x" * 40},
            drip_seconds=DRIP,
        )
    )
    client = web_client(SLACK_BOT_TOKEN, sim.slack_api_url, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(SlackDeliveryError, match="unreachable"):
        post_message(client, "#seats", {"text": "hello"})
    assert time.monotonic() - started < 2.0


def test_slack_answers_within_the_deadline_are_used(sim: Simulator) -> None:
    """The deadline does not get in the way of a normal answer."""
    client = web_client(SLACK_BOT_TOKEN, sim.slack_api_url, timeout=5)
    channel, ts = post_message(client, "#seats", {"text": "hello"})
    assert ts
    assert channel
    send_webhook(webhook_client(sim.slack_webhook_url, timeout=5), {"text": "hi"})
    assert len(sim.slack_messages) == 2


def _slow_fetch(sim: Simulator, seconds: float) -> float | None:
    """Fetch a page with ``seconds`` to go: how long until it was cut, or ``None`` if read."""
    started = time.monotonic()
    with httpx.Client(base_url=sim.github_url, headers=AUTH) as http:
        try:
            fetch(http, "GET", "/orgs/acme/copilot/billing/seats", deadline=started + seconds)
        except httpx.ReadTimeout:
            return time.monotonic() - started
    return None


def _watchdogs() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "reaper-github-deadline"]


def test_one_watchdog_thread_serves_every_exchange(sim: Simulator) -> None:
    """Twenty answers and two slow ones later, one watchdog thread is all there is."""
    for _ in range(20):
        assert _slow_fetch(sim, 5.0) is None
    sim.inject(SLOW)
    sim.inject(SLOW)
    cuts = [_slow_fetch(sim, 1.0) for _ in range(2)]
    assert all(cut is not None and cut < IN_TIME for cut in cuts), cuts
    assert len(_watchdogs()) == 1


def test_an_earlier_deadline_is_cut_while_a_later_one_waits(sim: Simulator) -> None:
    """Two slow answers at once: the one due first is cut at its time, though watched second."""
    sim.inject(SLOW)
    sim.inject(SLOW)
    cut: dict[str, float | None] = {}
    thread = threading.Thread(target=lambda: cut.update(later=_slow_fetch(sim, 2.5)))
    thread.start()
    time.sleep(0.2)  # the later deadline is watched first
    cut["earlier"] = _slow_fetch(sim, 1.0)
    thread.join(BOUND)
    assert cut["earlier"] is not None
    assert cut["earlier"] < IN_TIME
    assert cut["later"] is None  # its last byte came at 1.9 s, before its deadline


def test_a_forked_child_has_its_own_watchdog(sim: Simulator) -> None:
    """After a fork, the child's slow answer is still cut in time: its watchdog starts anew."""
    assert _slow_fetch(sim, 5.0) is None  # the parent's watchdog thread is running
    sim.inject(SLOW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking a threaded process
        child = os.fork()
    if child == 0:
        took = _slow_fetch(sim, 1.0)
        os._exit(0 if took is not None and took < IN_TIME else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
