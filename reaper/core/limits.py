"""The limits on mass change: a cycle that would forget or cancel too much does nothing.

Pure, like the rest of the core: ``forget_breach`` holds an org whose seat list lost too much
since the last complete scan to be believed; ``blast_radius`` holds every cancel of a cycle
that would cancel too many persons in all, or too large a share of one scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

MIN_FORGET_CHANGE = 5  # fewer vanished seats or dropped flags than this never hold an org


def forget_breach(
    org: str,
    *,
    previous_seats: int | None,
    seats: int,
    flags: int,
    forgets: int,
    max_percent: float,
) -> str | None:
    """Say why an org's list lost too much to be believed, or ``None`` when it did not.

    Mass forgetting is bounded like mass cancelling: when the seat list shrank by more than
    ``max_percent`` since the last complete scan (``previous_seats``), or more than
    ``max_percent`` of the org's ``flags`` would be dropped as gone, an empty or shifted
    answer is more likely than a real change, and the org is held.
    """
    reasons = []
    shrink = (previous_seats or 0) - seats
    if (
        previous_seats
        and shrink >= MIN_FORGET_CHANGE
        and shrink * 100 / previous_seats > max_percent
    ):
        reasons.append(
            f"its seat list shrank from {previous_seats} to {seats} since the last complete scan"
        )
    if flags and forgets >= MIN_FORGET_CHANGE and 100 * forgets / flags > max_percent:
        reasons.append(f"{forgets} of its {flags} flags would be dropped as gone")
    if not reasons:
        return None
    return (
        f"{org}: {' and '.join(reasons)}, more than REAPER_MAX_FORGET_PERCENT={max_percent:g}%. "
        f"Nothing was done in {org} and every flag was kept. If the change is real, raise the "
        "limit for one run; if not, check the seat list GitHub reports."
    )


def blast_radius(
    cancels: Mapping[str, tuple[int, int]],
    *,
    max_total: int,
    max_percent: float,
    total: int | None = None,
) -> str | None:
    """Say why a cycle's cancellations exceed the limits, or ``None`` when they do not.

    ``cancels`` maps each scope to (persons who would lose a grant there, persons it grants).
    Past either limit, the whole cycle cancels nothing: a mass cancellation is more likely a
    fault than a plan.
    """
    if total is None:  # persons are counted once however many scopes they lose a grant in
        total = sum(count for count, _ in cancels.values())
    over = [
        f"{org}: {count} of {seats} persons ({100 * count / seats:.0f}%)"
        for org, (count, seats) in cancels.items()
        if count and seats and 100 * count / seats > max_percent
    ]
    if total <= max_total and not over:
        return None
    parts = [f"this cycle would cancel the seats of {total} persons"]
    if total > max_total:
        parts.append(f"more than REAPER_MAX_CANCELLATIONS={max_total}")
    if over:
        parts.append(
            f"more than REAPER_MAX_CANCELLATION_PERCENT={max_percent:g}% in {'; '.join(over)}"
        )
    return (
        ", ".join(parts)
        + ". Nothing was cancelled and every flag was kept. If this is expected, raise the limit "
        "for one run; if not, check the activity data GitHub reports."
    )
