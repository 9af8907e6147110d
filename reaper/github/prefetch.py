"""One request sent ahead: the next page travels while the caller works on the last one.

GitHub asks for serial requests, so a list is read one page after another and the floor of
a read is its pages times the round trip. ``ReadAhead`` sends the request for page N+1 from
a helper thread as soon as page N's headers name it, while the caller parses and plans
page N: the caller's CPU time hides behind the wire, and there is never more than one
request in flight (a new one starts only after the previous one is collected or dropped).

The helper thread runs the request in a copy of the caller's context (so log lines keep
their bound fields) and blocks stop signals: they belong to the main thread, which waits
in ``result`` and is interrupted there.
"""

from __future__ import annotations

import contextvars
import signal
import threading
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

T = TypeVar("T")


class Ahead(Generic[T]):
    """One call running in a helper thread; ``result`` waits for it and returns or raises."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=self._run, args=(context, call), name="reaper-github-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, context: contextvars.Context, call: Callable[[], T]) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        try:
            self._value = context.run(call)
        except BaseException as exc:  # noqa: BLE001  (handed to the caller by result)
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> T:
        """Wait for the call to end; return its value or raise its exception."""
        self._done.wait()
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        assert self._done.is_set()
        return self._value  # type: ignore[return-value]  # set by the call, which returned

    def settle(self) -> None:
        """Wait for the call to end and drop whatever it gave (the request is not wanted)."""
        self._done.wait()
        self._thread.join()
        self._value = self._error = None


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

    def send(self, call: Callable[[], T]) -> None:
        """Start ``call`` in the helper thread; the previous call must have been taken."""
        if self._ahead is not None:
            raise RuntimeError("a call is already on its way: take it first")
        self._ahead = Ahead(call)

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
        if ahead is None:
            return
        if exc_type is None or issubclass(exc_type, Exception | GeneratorExit):
            ahead.settle()
