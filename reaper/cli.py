"""The command line: ``reaper once | run | demo``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from reaper import __version__
from reaper.errors import ConfigError, ReaperError
from reaper.logs import configure_logging, get_logger

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reaper.settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2

log = get_logger("reaper")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reaper",
        description="Find idle GitHub Copilot seats, warn in Slack, cancel after a grace period. "
        "Configured by REAPER_* environment variables; dry run unless REAPER_DRY_RUN=false.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("once", help="run one cycle and exit (0 ok, 1 incomplete, 2 bad config)")
    commands.add_parser("run", help="run cycles on REAPER_SCHEDULE until stopped")
    commands.add_parser(
        "demo", help="run the reaper against its built-in GitHub and Slack simulator"
    )
    report = commands.add_parser(
        "report", help="run a read-only cycle and print what would be sent (nothing is posted)"
    )
    report.add_argument(
        "--format", choices=["table", "slack", "csv", "json"], default="table", dest="fmt"
    )
    commands.add_parser(
        "check", help="check configuration, token, orgs, Slack and state; exit 0 when ready"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from reaper.demo import run_demo  # noqa: PLC0415

        return run_demo()
    try:
        settings = _load()
    except ConfigError as exc:
        print(f"reaper: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    configure_logging(level=settings.log_level, fmt=settings.log_format, secrets=settings.secrets())
    log.info("config.loaded", command=args.command, **settings.describe())
    try:
        if args.command == "run":
            from reaper.service import serve  # noqa: PLC0415

            return serve(settings)
        if args.command == "report":
            from reaper.preview import preview  # noqa: PLC0415

            return preview(settings, args.fmt, sys.stdout)
        if args.command == "check":
            from reaper.check import run_checks  # noqa: PLC0415

            return run_checks(settings, sys.stdout)
        return _once(settings)
    except ReaperError as exc:
        log.error("reaper.failed", error=str(exc))
        return EXIT_FAILED


def _load() -> Settings:
    from reaper.settings import load_settings  # noqa: PLC0415

    return load_settings()


def _once(settings: Settings) -> int:
    from reaper.app import open_cycle  # noqa: PLC0415

    with open_cycle(settings) as cycle:
        outcome = cycle.run()
    return EXIT_OK if outcome.ok else EXIT_FAILED


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
