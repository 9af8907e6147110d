"""Structured logging: stable event names, JSON off a terminal, secrets scrubbed everywhere."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO

import structlog

from reaper import redact

if TYPE_CHECKING:
    from collections.abc import Iterable, MutableMapping


def scrub_event(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: every value of the event goes through ``redact.scrub``."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact.scrub(value)
        elif value is not None and not isinstance(value, bool | int | float):
            cleaned = redact.scrub_data(value)
            text = repr(cleaned)
            scrubbed = redact.scrub(text)  # objects whose repr shows a secret
            event[key] = cleaned if scrubbed == text else scrubbed
    return event


def configure_logging(
    *,
    level: str = "INFO",
    fmt: str = "auto",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Set up structlog once for the process: JSON unless writing to a terminal."""
    out = stream or sys.stderr
    redact.register_secrets(secrets)
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
            scrub_event,
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
        record.msg = redact.scrub(record.getMessage())
        record.args = None
        return True


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """Return the logger of one module."""
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
