"""One request sent ahead: the next page travels while the caller works on the last one.

GitHub asks for serial requests, so a list is read one page after another and the floor of
a read is its pages times the round trip. ``ReadAhead`` sends the request for page N+1 from
a helper thread as soon as page N's headers name it, while the caller parses and plans
page N: the caller's CPU time hides behind the wire, and there is never more than one
request in flight (a new one starts only after the previous one is collected or dropped).

One helper thread serves a whole read (started at its first ``send``, ended when the read
is left). It runs each request in a copy of the caller's context (so log lines keep
their bound fields) and blocks stop signals: they belong to the main thread, which waits
in ``result`` and is interrupted there.
"""

from __future__ import annotations

import contextvars
import queue
import signal
import threading
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Call(Protocol[T_co]):
    """A call handed to the helper: ``on_wire`` is for it to call once its request is sent."""

    def __call__(self, *, on_wire: Callable[[], None]) -> T_co:
        """Make the call; call ``on_wire`` once the request is on the wire."""
        ...


class Ahead(Generic[T]):
    """One call handed to the helper thread; ``result`` waits for it and returns or raises.

    The call is given ``on_wire``, to call once its request is sent (``bounded.fetch`` does).
    """

    def __init__(self, call: Call[T]) -> None:
        self._call = call
        self._context = contextvars.copy_context()
        self._sent = threading.Event()
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        """Make the call (in the helper thread), in the context it was handed over in."""
        try:
            self._value = self._context.run(self._call, on_wire=self._sent.set)
        except BaseException as exc:  # noqa: BLE001  (handed to the caller by result)
            self._error = exc
        finally:
            self._sent.set()  # a call that ended unsent (a refusal, an error) frees its sender
            self._done.set()

    def sent(self) -> None:
        """Wait until the call's request is on the wire, or the call has ended."""
        self._sent.wait()

    def result(self) -> T:
        """Wait for the call to end; return its value or raise its exception."""
        self._done.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._value  # type: ignore[return-value]  # set by the call, which returned

    def settle(self) -> None:
        """Wait for the call to end and drop whatever it gave (the request is not wanted)."""
        self._done.wait()
        self._value = self._error = None


class _Helper:
    """The one helper thread of a read: it makes the calls handed to it, one at a time.

    Started once per read, not once per page: starting a thread waits for it to run, and
    that wait (about a millisecond, more on a busy machine) was paid between every answer
    and the next request (issue 21: 1.4 s of a 1,001-page read).
    """

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[Ahead[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="reaper-github-ahead", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        while (ahead := self._calls.get()) is not None:
            ahead.run()

    def hand(self, ahead: Ahead[Any]) -> None:
        """Queue a call: the thread starts it as soon as it is free (it is: one at a time)."""
        self._calls.put(ahead)

    def stop(self, *, wait: bool) -> None:
        """End the thread after its call; ``wait``: until it has ended."""
        self._calls.put(None)
        if wait:
            self._thread.join()


class ReadAhead(Generic[T]):
    """At most one call ahead of its caller; leaving waits for a call still on its way.

    Use as a context manager around a read: ``send`` starts the next call (after the last
    one was collected), ``take`` collects it. Leaving the block normally or by an ``Exception``
    (a bad page, a consumer that stops early) waits for a call still running and drops its
    answer, so no request outlives the read and the next read starts with none in flight.
    Leaving by a stop signal (``Terminated``, a ``BaseException``) does not wait: the process
    is on its way out.
    """

    def __init__(self) -> None:
        self._ahead: Ahead[T] | None = None
        self._helper: _Helper | None = None

    def send(self, call: Call[T]) -> None:
        """Start ``call(on_wire=...)`` in the helper thread; the previous call must have been taken.

        Returns once the call's request is on the wire (it calls ``on_wire``) or it ended.
        """
        if self._ahead is not None:
            raise RuntimeError("a call is already on its way: take it first")
        if self._helper is None:
            self._helper = _Helper()
        self._ahead = Ahead(call)
        self._helper.hand(self._ahead)
        # Let the helper alone until its request is on the wire: otherwise it competes for
        # the GIL with the caller parsing the last page and the request leaves late (the
        # switch interval is 5 ms; issue 21). Waiting here releases the GIL to the helper.
        self._ahead.sent()

    def take(self) -> T:
        """Wait for the call on its way and return what it gave (or raise what it raised)."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            raise RuntimeError("no call is on its way")
        return ahead.result()

    def __enter__(self) -> ReadAhead[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        ahead, self._ahead = self._ahead, None
        helper, self._helper = self._helper, None
        orderly = exc_type is None or issubclass(exc_type, Exception | GeneratorExit)
        if ahead is not None and orderly:
            ahead.settle()
        if helper is not None:
            helper.stop(wait=orderly)
