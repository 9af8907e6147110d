"""The store's records as table rows, free text scrubbed and cut as it is written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reaper.redact import scrub

if TYPE_CHECKING:
    from reaper.core.domain import Flag
    from reaper.store.records import AuditEntry, CancelIntent, Exemption


def flag_row(flag: Flag) -> dict[str, Any]:
    """One flag row."""
    return {
        "org": flag.org,
        "login": flag.login,
        "flagged_at": flag.flagged_at,
        "reference_at": flag.reference_at,
        "warned_at": flag.warned_at,
        "due_at": flag.due_at,
    }


def intent_row(intent: CancelIntent) -> dict[str, Any]:
    """One cancel-intent row, still unresolved."""
    return {"org": intent.org, "login": intent.login, "requested_at": intent.requested_at}


def exemption_row(exemption: Exemption) -> dict[str, Any]:
    """One exemption row; who asked and why are free text, scrubbed like audit reasons."""
    return {
        "login_key": exemption.login.casefold(),
        "login": exemption.login,
        "until": exemption.until,
        "reason": scrub(exemption.reason)[:2000],
        "by": scrub(exemption.by)[:200],
        "at": exemption.at,
    }


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    """One audit row; its free text is scrubbed, as reasons may quote GitHub's answers."""
    return {
        "at": entry.at,
        "org": entry.org,
        "login": entry.login if entry.login is None else scrub(entry.login),
        "event": entry.event,
        "reason": scrub(entry.reason)[:2000],
    }
