"""Each CLI verb imports only what it needs: the real CLI in a subprocess, its modules listed.

A probe runs ``reaper.cli.main`` as ``python -m reaper`` would and, at exit, writes the
modules the process had imported. Heavy stacks a verb does not use must be absent: the
Socket Mode stack without Socket Mode, the scheduler outside ``run``, JWT and cryptography
without App auth, alembic when the schema is already at head, the dev-only terminal extras.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from reaper.config.checks import cron_trigger, never_fires
from reaper.config.fields import KNOWN_GOOD_SCHEDULES
from reaper.config.settings import Settings
from reaper.store.engine import open_engine
from tests.harness import DAY
from tests.test_cli import env_for

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

PROBE = """
import atexit, json, sys
from reaper.cli import main

def _dump():
    with open(sys.argv[1], "w") as out:
        json.dump(sorted(n for n, m in sys.modules.items() if m is not None), out)

atexit.register(_dump)
sys.exit(main(sys.argv[2:]))
"""
SOCKET_MODE = ("slack_bolt", "websockets", "reaper.desk.socket", "slack_sdk.socket_mode")
SCHEDULER = ("apscheduler", "reaper.service.scheduler")
APP_AUTH = ("jwt", "cryptography")
MIGRATIONS = ("alembic", "alembic.command", "mako")
DEV_EXTRAS = ("rich", "pygments", "click")


def loaded(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, set[str]]:
    """Run the CLI with ``args``; its exit code and the modules it had imported at exit."""
    out = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), result.stderr
    return result.returncode, set(json.loads(out.read_text()))


def at_head(env: dict[str, str]) -> dict[str, str]:
    """The store of ``env`` brought to the newest schema, as a deployed reaper's is."""
    open_engine(env["REAPER_STATE_URL"], migration_wait=10).dispose()
    return env


def absent(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Those of ``names`` (packages or modules) found among ``modules``: should be none."""
    return sorted(n for n in modules if any(n == x or n.startswith(f"{x}.") for x in names))


@pytest.fixture
def env(sim: Simulator, clock: FakeClock, tmp_path: Path) -> dict[str, str]:
    """A deployment of acme with two seats, its store at head, no App, no Socket Mode."""
    sim.add_seat("acme", "idle-ian", created_at=clock.now - 400 * DAY, last_activity_at=None)
    sim.add_seat("acme", "busy-bea", created_at=clock.now - 400 * DAY, last_activity_at=clock.now)
    return at_head(env_for(sim, tmp_path))


def test_once_loads_no_socket_mode_scheduler_app_auth_alembic_or_dev_extras(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A dry-run `reaper once` scans and reports without any stack it does not use."""
    code, modules = loaded(["once"], env, tmp_path)
    assert code == 0
    assert {"httpx", "sqlalchemy", "reaper.cycle.orchestrator"} <= modules  # the probe sees
    unused = SOCKET_MODE + SCHEDULER + APP_AUTH + MIGRATIONS + DEV_EXTRAS + ("yaml",)
    assert absent(modules, unused) == []


def test_once_on_a_new_store_loads_alembic_to_migrate(sim: Simulator, tmp_path: Path) -> None:
    """A store behind the newest schema is upgraded: only then is alembic.command imported."""
    code, modules = loaded(["once"], env_for(sim, tmp_path), tmp_path)
    assert code == 0
    assert "alembic.command" in modules


def test_report_loads_no_scheduler_socket_mode_or_app_auth(
    env: dict[str, str], tmp_path: Path
) -> None:
    """`reaper report` previews a cycle without the scheduler, Socket Mode or JWTs."""
    code, modules = loaded(["report", "--format", "json"], env, tmp_path)
    assert code == 0
    assert "reaper.report.export" in modules or "reaper.report.table" in modules
    assert absent(modules, SCHEDULER + SOCKET_MODE + APP_AUTH + MIGRATIONS + DEV_EXTRAS) == []


def test_check_loads_no_scheduler_socket_mode_or_app_auth_without_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    """`reaper check` of a token deployment without Socket Mode loads none of those stacks."""
    code, modules = loaded(["check"], env, tmp_path)
    assert code == 0
    assert absent(modules, SCHEDULER + SOCKET_MODE + APP_AUTH + DEV_EXTRAS) == []


def test_audit_reads_the_store_without_http_or_slack(env: dict[str, str], tmp_path: Path) -> None:
    """`reaper audit` reads only the store: no HTTP client, no Slack SDK, no scheduler."""
    code, modules = loaded(["audit"], env, tmp_path)
    assert code == 0
    assert "sqlalchemy" in modules
    assert absent(modules, ("httpx", "slack_sdk", *SCHEDULER, *APP_AUTH, *MIGRATIONS)) == []


def test_help_of_run_loads_nothing_heavy(env: dict[str, str], tmp_path: Path) -> None:
    """`reaper run --help` parses arguments only: no settings, store, HTTP or scheduler."""
    code, modules = loaded(["run", "--help"], env, tmp_path)
    assert code == 0
    assert absent(modules, ("httpx", "sqlalchemy", "pydantic", "structlog", *SCHEDULER)) == []


def test_a_set_schedule_is_still_checked_and_a_typo_exits_2(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A REAPER_SCHEDULE other than the default is parsed: a typo is exit 2 naming it."""
    code, _ = loaded(["report"], {**env, "REAPER_SCHEDULE": "0 9 * * mon-fry"}, tmp_path)
    assert code == 2
    result = subprocess.run(
        [sys.executable, "-m", "reaper", "report"],
        env={**env, "REAPER_SCHEDULE": "0 9 * * mon-fry"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "REAPER_SCHEDULE" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("schedule", sorted(KNOWN_GOOD_SCHEDULES))
def test_the_schedules_taken_without_apscheduler_are_valid_and_fire(schedule: str) -> None:
    """Each schedule the validator accepts unparsed parses with APScheduler and fires."""
    assert cron_trigger(schedule) is not None
    assert never_fires(schedule) is None


def test_the_default_schedule_is_one_known_good() -> None:
    """The settings' default schedule is among those accepted without APScheduler."""
    assert Settings.model_fields["schedule"].default in KNOWN_GOOD_SCHEDULES
