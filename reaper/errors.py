"""The reaper's own exception tree: adapters translate their wire errors into these."""

from __future__ import annotations

from reaper.redact import scrub


class ReaperError(Exception):
    """Base class of every error the reaper raises on purpose.

    Its message is scrubbed of secrets whatever built it, so ``str(exc)`` is safe to log,
    report, store in the audit log or print.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(scrub(arg) if isinstance(arg, str) else arg for arg in args))


class ConfigError(ReaperError):
    """The configuration is invalid; the message names every bad variable."""


class GitHubError(ReaperError):
    """GitHub could not be asked, or answered with an error."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubAuthError(GitHubError):
    """GitHub refused the token (401) or the permission (403 without a rate limit)."""


class GitHubNotFoundError(GitHubError):
    """The org or the seat does not exist, or the token cannot see it (404)."""


class GitHubUnprocessableError(GitHubError):
    """GitHub refused the request as it stands (422), e.g. a team-assigned seat."""


class GitHubUnavailableError(GitHubError):
    """Transient failures persisted after every retry (transport, 5xx, rate limit)."""


class BadResponseError(GitHubError):
    """GitHub answered something we cannot trust (not JSON, a foreign Link, a loop)."""


class SlackDeliveryError(ReaperError):
    """The report could not be delivered to Slack."""


class StateStoreError(ReaperError):
    """The state store could not be read or written."""


class DeadlineExceededError(GitHubUnavailableError):
    """The cycle's deadline (``REAPER_CYCLE_TIMEOUT_SECONDS``) passed: no more GitHub requests."""


class Terminated(BaseException):
    """SIGTERM or SIGINT arrived: unwinds the main thread so the process can exit cleanly.

    A ``BaseException`` so that no ``except Exception`` on the way swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
