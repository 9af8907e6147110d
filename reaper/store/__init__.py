"""The state store: SQL tables (`sql`), migrations (`migrate`), the writer lock (`lock`)."""

from reaper.store.lock import LockInfo, default_holder
from reaper.store.records import AuditEntry, CancelIntent, Exemption
from reaper.store.schema import UTCDateTime
from reaper.store.sql import SqlStore, normalise_url

__all__ = [
    "AuditEntry",
    "CancelIntent",
    "Exemption",
    "LockInfo",
    "SqlStore",
    "UTCDateTime",
    "default_holder",
    "normalise_url",
]
