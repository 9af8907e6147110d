"""The seat scan reads ahead: page N+1 is asked for while page N is worked on, one at a time."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from reaper.errors import BadResponseError, GitHubUnavailableError
from reaper.github import GitHubClient, scan_org
from reaper.github.bounded import fetch
from reaper.github.prefetch import ReadAhead
from reaper.simulator import Fault
from tests.conftest import GITHUB_TOKEN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from reaper.simulator import Simulator
    from reaper.simulator.server import RecordedRequest
    from tests.conftest import FakeClock

SEATS = "/orgs/acme/copilot/billing/seats"
_AUTH = {"Authorization": f"Bearer {GITHUB_TOKEN}"}
BOUND = 10.0  # seconds: a bound on a wait that should end at once, never a measured time


class Wire:
    """What the simulator saw: the pages asked for, in order, and requests in flight at most.

    A request is in flight from its arrival until its answer was written (``answered``);
    ``most_in_flight`` counts, at each arrival, the requests not yet answered, itself included.
    """

    def __init__(self, sim: Simulator) -> None:
        self._lock = threading.Lock()
        self._seen: list[RecordedRequest] = []
        self.most_in_flight = 0
        self.arrived = {n: threading.Event() for n in range(1, 20)}
        sim.before_request = self._before

    def _before(self, request: RecordedRequest) -> bool:
        with self._lock:
            waiting = sum(not seen.answered.is_set() for seen in self._seen)
            self.most_in_flight = max(self.most_in_flight, waiting + 1)
            self._seen.append(request)
        if request.path == SEATS:
            self.arrived[_page(request)].set()
        return False

    @property
    def pages(self) -> list[int]:
        """The seat pages asked for, in arrival order."""
        with self._lock:
            return [_page(r) for r in self._seen if r.path == SEATS]


def reading_ahead() -> bool:
    """Tell whether a read-ahead thread of the client is still running."""
    return any(t.name == "reaper-github-ahead" and t.is_alive() for t in threading.enumerate())


def _page(request: RecordedRequest) -> int:
    return int(request.query.get("page", ["1"])[0])


@pytest.fixture
def waits() -> list[float]:
    """The waits the client and the scan asked for (recorded, not slept)."""
    return []


@pytest.fixture
def client(sim: Simulator, waits: list[float]) -> Iterator[GitHubClient]:
    """A real client on the simulator, retrying twice without sleeping."""
    with GitHubClient(
        base_url=sim.github_url, token=GITHUB_TOKEN, max_attempts=2, sleep=waits.append
    ) as github:
        yield github


def seats(sim: Simulator, clock: FakeClock, count: int) -> None:
    for n in range(count):
        sim.add_seat("acme", f"user{n:03d}", created_at=clock.now - timedelta(days=30))


def test_the_next_page_is_asked_for_while_the_caller_holds_this_one(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """With page 1 in hand and page 2 not yet asked of the iterator, page 2 is on its way."""
    seats(sim, clock, 30)
    wire = Wire(sim)
    reading = client.iter_seat_pages("acme", per_page=10, read_ahead=True)
    first = next(reading)
    assert wire.arrived[2].wait(BOUND), "page 2 was not asked for while page 1 was worked on"
    assert not wire.arrived[3].is_set()  # one page ahead, no more
    assert len(first.seats) == 10
    assert [len(page.seats) for page in reading] == [10, 10]
    assert wire.pages == [1, 2, 3]
    assert wire.most_in_flight == 1


def test_without_read_ahead_the_next_page_waits_for_the_caller(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """The plain iterator asks for page 2 only when the caller asks for it."""
    seats(sim, clock, 30)
    wire = Wire(sim)
    reading = client.iter_seat_pages("acme", per_page=10)
    next(reading)
    assert wire.pages == [1]
    next(reading)
    assert wire.pages == [1, 2]
    reading.close()


def test_a_scan_reads_every_page_in_order_with_one_request_in_flight(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """1,050 seats: eleven pages asked for once each, in order, never two at once; all read."""
    seats(sim, clock, 1_050)
    wire = Wire(sim)
    scan = scan_org(client, "acme")
    assert scan.complete, scan.error
    assert len(scan.seats) == scan.total_seats == 1_050
    assert wire.pages == list(range(1, 12))
    assert wire.most_in_flight == 1


def test_a_caller_that_stops_early_leaves_no_request_behind(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """Closing the reader after page 1 waits for page 2's request to end: nothing outlives it."""
    seats(sim, clock, 30)
    wire = Wire(sim)
    reading = client.iter_seat_pages("acme", per_page=10, read_ahead=True)
    next(reading)
    assert wire.arrived[2].wait(BOUND)
    reading.close()
    assert wire.pages == [1, 2]
    assert not reading_ahead()


def test_a_bad_page_fails_the_scan_as_before_and_nothing_outlives_it(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """Page 2 not a seat list: the scan is incomplete with that reason; page 3's request ended."""
    seats(sim, clock, 250)
    bad = Fault(path=SEATS, status=200, body={"nope": 1}, headers=_next_link(sim, 3))
    wire = Wire(sim)
    after_page(sim, 1, bad)
    scan = scan_org(client, "acme")
    assert not scan.complete
    assert scan.error == "seat list of acme is not a seat list"
    assert not scan.changed
    assert wire.pages == [1, 2, 3]
    assert not reading_ahead()
    assert wire.most_in_flight == 1


def test_a_failing_page_fails_the_scan_with_the_same_reason(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """Page 3 answers 503 on both attempts: the scan names it and keeps no partial list."""
    seats(sim, clock, 350)
    wire = Wire(sim)
    after_page(sim, 2, Fault(path=SEATS, status=503, times=2))
    scan = scan_org(client, "acme")
    assert scan.error == (
        "GET /orgs/acme/copilot/billing/seats failed after 2 attempts: "
        "GitHub answered 503 on GET /orgs/acme/copilot/billing/seats"
    )
    assert wire.pages == [1, 2, 3, 3]
    assert wire.most_in_flight == 1


def test_a_list_that_changes_is_read_again_from_page_one(
    sim: Simulator, clock: FakeClock, client: GitHubClient, waits: list[float]
) -> None:
    """A seat added after page 1: the read ahead changes nothing, the list is read twice."""
    seats(sim, clock, 150)
    wire = Wire(sim)
    added: list[str] = []

    def assign_once(request: RecordedRequest) -> None:
        if request.path == SEATS and "page" not in request.query and not added:
            added.append("late-lee")
            sim.add_seat("acme", "late-lee")

    sim.after_request = assign_once
    scan = scan_org(client, "acme", sleep=waits.append)
    assert scan.complete, scan.error
    assert scan.attempts == 2
    assert waits == [2.0]
    assert len(scan.seats) == 151
    assert wire.pages == [1, 2, 1, 2]
    assert wire.most_in_flight == 1


def test_a_request_that_keeps_failing_raises_at_its_page(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """A next page that fails on every attempt raises at that page, after the pages before."""
    seats(sim, clock, 30)
    after_page(sim, 2, Fault(path=SEATS, status=502, times=2))
    reading = client.iter_seat_pages("acme", per_page=10, read_ahead=True)
    next(reading)
    next(reading)
    with pytest.raises(GitHubUnavailableError, match="failed after 2 attempts"):
        next(reading)


def test_a_link_to_another_host_raises_after_its_page(sim: Simulator, client: GitHubClient) -> None:
    """A next link to elsewhere: the page is still handed over, the error comes after it."""
    link = {"Link": '<http://elsewhere.invalid/x?page=2>; rel="next"'}
    sim.inject(Fault(path=SEATS, status=200, body={"total_seats": 0, "seats": []}, headers=link))
    reading = client.iter_seat_pages("acme", read_ahead=True)
    assert next(reading).total_seats == 0
    with pytest.raises(BadResponseError, match="another host"):
        next(reading)


def after_page(sim: Simulator, page: int, fault: Fault) -> None:
    """Inject ``fault`` once page ``page`` has been answered, so the next request meets it."""
    after = sim.after_request
    armed: list[int] = []

    def hook(request: RecordedRequest) -> None:
        if after is not None:
            after(request)
        if request.path == SEATS and _page(request) == page and not armed:
            armed.append(page)
            sim.inject(fault)

    sim.after_request = hook


def _next_link(sim: Simulator, page: int) -> dict[str, str]:
    return {"Link": f'<{sim.github_url}{SEATS}?per_page=100&page={page}>; rel="next"'}


def test_one_helper_thread_serves_every_page_of_a_read(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """The same helper thread asks for pages 2, 3 and 4; it is gone once the read ends."""
    seats(sim, clock, 40)
    wire = Wire(sim)
    reading = client.iter_seat_pages("acme", per_page=10, read_ahead=True)
    helpers = []
    for page in (2, 3, 4):
        next(reading)
        assert wire.arrived[page].wait(BOUND)
        helpers.append([t for t in threading.enumerate() if t.name == "reaper-github-ahead"])
    assert [len(found) for found in helpers] == [1, 1, 1]
    assert helpers[0][0] is helpers[1][0] is helpers[2][0]
    assert [len(page.seats) for page in reading] == [10]
    assert not reading_ahead()
    assert wire.most_in_flight == 1


def test_handing_a_call_over_returns_once_its_request_is_on_the_wire() -> None:
    """``send`` waits for the call's ``on_wire``, not merely for the call to begin."""
    begun, release, wired = threading.Event(), threading.Event(), []

    def call(*, on_wire: Callable[[], None]) -> str:
        begun.set()
        release.wait(BOUND)  # the request is still being put together
        wired.append(True)
        on_wire()
        return "answer"

    with ReadAhead[str]() as ahead:
        threading.Thread(target=lambda: begun.wait(BOUND) and release.set()).start()
        ahead.send(call)
        assert wired == [True]  # send returned after on_wire, not when the call began
        assert ahead.take() == "answer"


def test_a_call_that_fails_before_sending_frees_its_sender() -> None:
    """A call that raises without a request on the wire: ``send`` returns, ``take`` raises."""

    def call(*, on_wire: Callable[[], None]) -> str:
        del on_wire
        raise GitHubUnavailableError("refused before anything was sent")

    with ReadAhead[str]() as ahead:
        ahead.send(call)
        with pytest.raises(GitHubUnavailableError, match="refused before"):
            ahead.take()


def test_fetch_tells_once_its_request_is_sent(sim: Simulator, clock: FakeClock) -> None:
    """``fetch(on_wire=...)`` calls it once per request, before the answer is handed back."""
    seats(sim, clock, 3)
    told: list[int] = []
    with httpx.Client(base_url=sim.github_url, headers=_AUTH) as http:
        answer = fetch(
            http, "GET", SEATS, deadline=time.monotonic() + BOUND, on_wire=lambda: told.append(1)
        )
        assert told == [1]
        with pytest.raises(httpx.ConnectTimeout):  # the deadline passed: nothing is sent
            fetch(http, "GET", SEATS, deadline=time.monotonic() - 1, on_wire=lambda: told.append(2))
    assert answer.status_code == 200
    assert told == [1]
