"""Structured logging: stable event names, JSON off a terminal, secrets scrubbed everywhere."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO

import structlog

if TYPE_CHECKING:
    from collections.abc import Iterable, MutableMapping

REDACTED = "***"


class SecretScrubber:
    """A structlog processor that replaces every known secret in every value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Register more secret values (longest first, so a prefix never leaks the rest)."""
        merged = {*self._secrets, *(s for s in secrets if s)}
        self._secrets = sorted(merged, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def __call__(
        self, _logger: object, _method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Scrub one event dict."""
        if not self._secrets:
            return event
        for key, value in event.items():
            text = value if isinstance(value, str) else repr(value)
            scrubbed = self.scrub(text)
            if scrubbed != text:
                event[key] = scrubbed
        return event


SCRUBBER = SecretScrubber()


def configure_logging(
    *,
    level: str = "INFO",
    fmt: str = "auto",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Set up structlog once for the process: JSON unless writing to a terminal."""
    out = stream or sys.stderr
    SCRUBBER.add(secrets)
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            SCRUBBER,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    # Libraries log through the standard library: keep their noise down, and scrubbed.
    logging.basicConfig(
        level=logging.WARNING, stream=out, format="%(levelname)s %(name)s %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_StdlibScrubFilter())


class _StdlibScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = SCRUBBER.scrub(record.getMessage())
        record.args = None
        return True


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """Return the logger of one module."""
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
