"""``reaper reinstate LOGIN...``: give seats back, audited (dry run unless ``--yes``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app.reinstate import Ask, default_by, reinstate

if TYPE_CHECKING:
    import argparse
    from typing import TextIO

    from reaper.config import Settings


def reinstate_command(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    """Carry out what the command line asks; return the exit code."""
    ask = Ask(
        logins=tuple(args.logins),
        reason=args.reason,
        by=args.by or default_by(),
        org=args.org,
        enterprise=args.enterprise,
        yes=args.yes,
    )
    return reinstate(settings, ask, out, err)
