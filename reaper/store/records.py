"""The records the store reads and writes, besides the domain's ``Flag``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: when, where, who, what happened and why."""

    at: datetime
    org: str
    login: str | None
    event: str
    reason: str


@dataclass(frozen=True, slots=True)
class CancelIntent:
    """A cancel we sent (or were about to send) and have not yet confirmed."""

    org: str
    login: str
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class Exemption:
    """A person the reaper leaves alone until ``until``: reinstated, or kept on request."""

    login: str
    until: datetime
    reason: str
    by: str  # who asked: an admin's name, or a Slack user
    at: datetime
