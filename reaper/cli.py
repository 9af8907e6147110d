"""The command line: ``reaper once | run | check | report | demo | reinstate | audit``.

SIGTERM and SIGINT are caught first thing, before the heavy imports, and unwind the main
thread with ``Terminated``: a stop at any moment, start-up included, ends with a
``reaper.stopped`` log line and exit code 128 + the signal (143 for SIGTERM, 130 for SIGINT);
``reaper run`` stops after its running cycle and exits 0.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
from typing import TYPE_CHECKING

from reaper import __version__
from reaper.commands import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, EXIT_SKIPPED  # noqa: F401  (re-exported)
from reaper.errors import ConfigError, ReaperError, Terminated

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from types import FrameType

    from reaper.config.settings import Settings

#: Packages the reaper never uses that httpx (its command-line client) and structlog (rich
#: tracebacks) import whenever they are installed, as the development tools install them:
#: about 10 MB of a process. The image has none of them; the CLI masks them so a checkout
#: runs as lean as the image. On a terminal, rich and pygments stay for structlog's console.
DEV_EXTRAS = ("click", "rich", "pygments")
EXIT_STOPPED = 128 + signal.SIGTERM  # 143; a stop by SIGINT gives 130
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop(signum: int, _frame: FrameType | None) -> None:
    """Unwind the main thread; further stop signals are ignored while it exits."""
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)
    raise Terminated(signum)


def catch_stop_signals() -> None:
    """Make SIGTERM and SIGINT raise ``Terminated`` in the main thread."""
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, _stop)


def mask_dev_extras(*, terminal: bool) -> None:
    """Make ``import`` of ``DEV_EXTRAS`` fail in this process (``None`` in ``sys.modules``).

    Both libraries import them in a ``try`` and carry on without them; modules already
    imported are left alone.
    """
    for name in DEV_EXTRAS:
        if terminal and name != "click":
            continue
        # None in sys.modules means "not importable": the import raises ImportError
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reaper",
        description="Find idle GitHub Copilot seats, warn in Slack, cancel after a grace period. "
        "Configured by REAPER_* environment variables; dry run unless REAPER_DRY_RUN=false.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "once",
        help="run one cycle and exit (0 ok, 1 incomplete, 2 bad config, 3 another reaper runs)",
    )
    commands.add_parser("run", help="run cycles on REAPER_SCHEDULE until stopped")
    demo = commands.add_parser(
        "demo", help="run the reaper against its built-in GitHub and Slack simulator"
    )
    demo.add_argument(
        "--auth",
        choices=["token", "app"],
        help="authenticate with the simulator's token (default) or as a GitHub App with "
        "installation tokens; REAPER_DEMO_AUTH does the same",
    )
    report = commands.add_parser(
        "report", help="run a read-only cycle and print what would be sent (nothing is posted)"
    )
    report.add_argument(
        "--format", choices=["table", "slack", "csv", "json"], default="table", dest="fmt"
    )
    report.add_argument(
        "--with-emails",
        action="store_true",
        help="csv/json: add each person's address (personal data: kept out of Slack and logs)",
    )
    commands.add_parser(
        "check", help="check configuration, token, orgs, Slack and state; exit 0 when ready"
    )
    _add_reinstate(commands)
    audit = commands.add_parser(
        "audit", help="print the audit log, oldest first (reads the state store only)"
    )
    audit.add_argument(
        "--since", type=_since, metavar="DATE", help="entries at or after DATE (YYYY-MM-DD or ISO)"
    )
    audit.add_argument("--login", metavar="LOGIN", help="entries of this person only")
    audit.add_argument("--format", choices=["table", "csv", "json"], default="table", dest="fmt")
    return parser


def _add_reinstate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reinstate = commands.add_parser(
        "reinstate",
        help="give seats back and exempt those people for a while (dry run unless --yes)",
        description="Give Copilot seats back, audited, clear the people's flags and exempt them "
        "for REAPER_REINSTATE_EXEMPT_DAYS days. Without --org or --enterprise, each seat goes "
        "back where the reaper cancelled it. Nothing changes without --yes. Exit codes: 0 done, "
        "1 GitHub refused someone or failed, 2 bad usage, 3 another reaper holds the lock.",
    )
    reinstate.add_argument("logins", nargs="+", metavar="LOGIN", help="GitHub login")
    where = reinstate.add_mutually_exclusive_group()
    where.add_argument("--org", metavar="ORG", help="give the seat in this organisation")
    where.add_argument(
        "--enterprise",
        action="store_true",
        help="give the seat at the enterprise (REAPER_GITHUB_ENTERPRISE)",
    )
    reinstate.add_argument(
        "--reason", required=True, metavar="TEXT", help="why (kept in the audit log)"
    )
    reinstate.add_argument(
        "--by", metavar="NAME", help="who asks (default: the operating-system user)"
    )
    reinstate.add_argument(
        "--yes", action="store_true", help="do it (without it: show what would be done)"
    )


def _since(text: str) -> datetime:
    """``--since``: a date or an ISO datetime, else a usage error (exit 2)."""
    from reaper.commands.audit import parse_since  # noqa: PLC0415

    try:
        return parse_since(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    catch_stop_signals()
    mask_dev_extras(terminal=sys.stderr.isatty())
    command: str | None = None
    try:
        args = _parser().parse_args(argv)
        command = args.command
        return _command(args)
    except Terminated as stop:
        from reaper.logs import get_logger  # noqa: PLC0415

        name = signal.Signals(stop.signum).name
        get_logger("reaper").info("reaper.stopped", command=command, signal=name)
        return EXIT_OK if command == "run" else 128 + stop.signum


def _command(args: argparse.Namespace) -> int:
    from reaper.logs import configure_logging, get_logger  # noqa: PLC0415

    log = get_logger("reaper")
    if args.command == "demo":
        from reaper.commands.demo import run_demo  # noqa: PLC0415
        from reaper.commands.demo_auth import demo_auth_choice  # noqa: PLC0415

        try:
            return run_demo(auth=demo_auth_choice(args.auth))
        except ConfigError as exc:
            print(f"reaper: {exc}", file=sys.stderr)  # noqa: T201
            return EXIT_CONFIG
    try:
        settings = _load()
    except ConfigError as exc:
        print(f"reaper: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    if args.command in {"run", "once", "report", "reinstate"}:
        from reaper.datadir import state_dir_problem  # noqa: PLC0415

        problem = state_dir_problem(settings.state_url)
        if problem is not None:
            print(f"reaper: {problem}", file=sys.stderr)  # noqa: T201
            return EXIT_CONFIG
    if args.command in {"run", "once"} and settings.reclaim_teams:
        from reaper.app.teams import startup_problems  # noqa: PLC0415

        unseen = startup_problems(settings)
        for problem in unseen:
            print(f"reaper: {problem}", file=sys.stderr)  # noqa: T201
        if unseen:
            return EXIT_CONFIG
    configure_logging(level=settings.log_level, fmt=settings.log_format, secrets=settings.secrets())
    log.info("config.loaded", command=args.command, **settings.describe())
    try:
        return _verb(settings, args)
    except ReaperError as exc:
        log.error("reaper.failed", error=str(exc))
        return EXIT_FAILED


def _verb(settings: Settings, args: argparse.Namespace) -> int:
    """Hand over to the verb's module, imported only when that verb runs."""
    if args.command == "run":
        from reaper.commands.run import run  # noqa: PLC0415

        return run(settings)
    if args.command == "report":
        from reaper.commands.report import preview  # noqa: PLC0415

        return preview(settings, args.fmt, sys.stdout, with_emails=args.with_emails)
    if args.command == "check":
        from reaper.commands.check import check  # noqa: PLC0415

        return check(settings, sys.stdout)
    if args.command == "reinstate":
        from reaper.commands.reinstate import reinstate_command  # noqa: PLC0415

        return reinstate_command(settings, args, sys.stdout, sys.stderr)
    if args.command == "audit":
        from reaper.commands.audit import show_audit  # noqa: PLC0415

        return show_audit(settings, sys.stdout, since=args.since, login=args.login, fmt=args.fmt)
    from reaper.commands.once import once  # noqa: PLC0415

    return once(settings)


def _load() -> Settings:
    from reaper.config import load_settings  # noqa: PLC0415

    return load_settings()


def entry() -> None:
    """Console-script entry point, and ``python -m reaper``'s."""
    # A cycle keeps what it read until it ends: some 480,000 objects the collector tracks
    # for 100,000 seats. At Python's default thresholds it walked them all eight times a
    # cycle (0.97 s of a 5.0 s dry run, much of it after the last page; issue 21); at
    # these, at most once. Reference cycles are rare in a cycle and still collected.
    gc.set_threshold(50_000, 20, 10)
    sys.exit(main())
