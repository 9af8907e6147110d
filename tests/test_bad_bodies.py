"""Answers that cannot be decoded make the org incomplete: exit 1, no traceback, no flag lost."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING, Any

import pytest

from reaper.core.domain import Flag
from reaper.github.bounded import MAX_BODY_BYTES
from reaper.simulator import Fault
from reaper.store import SqlStore
from tests.conftest import T0
from tests.harness import DAY
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator

SEATS = r"/copilot/billing/seats$"
JSON = {"Content-Type": "application/json; charset=utf-8"}
BAD_BODIES: dict[str, dict[str, Any]] = {
    "gzip that does not decompress": {
        "headers": {**JSON, "Content-Encoding": "gzip"},
        "body": b"this is not gzip at all",
    },
    "JSON nested too deeply to parse": {"headers": JSON, "body": b"[" * 100_000},
    "an error body nested too deeply": {"status": 403, "headers": JSON, "body": b"[" * 100_000},
    "invalid UTF-8": {"headers": JSON, "body": b'{"total_seats": 1, "seats": ["\xff\xfe"]}'},
    "a body larger than the cap": {"headers": JSON, "body": b" " * (MAX_BODY_BYTES + 1)},
    "a gzip bomb": {
        "headers": {**JSON, "Content-Encoding": "gzip"},
        "body": gzip.compress(b" " * (MAX_BODY_BYTES + 1024)),
    },
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_an_undecodable_page_makes_the_org_incomplete(
    sim: Simulator, tmp_path: Path, case: str
) -> None:
    """`reaper once` given an undecodable seat page exits 1 cleanly and keeps every flag."""
    sim.add_seat("acme", "idle-ian", created_at=T0 - 400 * DAY, last_activity_at=None)
    env = env_for(sim, tmp_path, DRY_RUN="false")
    store = SqlStore(env["REAPER_STATE_URL"])
    long_ago = T0 - 500 * DAY
    store.commit(add=[Flag("acme", "idle-ian", long_ago, long_ago, long_ago, long_ago)])
    store.close()
    fault = {"status": 200, **BAD_BODIES[case]}
    sim.inject(Fault(path=SEATS, times=10, **fault))

    result = run(["once"], env)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert '"org.scan_incomplete"' in output
    assert not [r for r in sim.requests if r.method == "DELETE"]
    store = SqlStore(env["REAPER_STATE_URL"])
    try:
        assert [(f.org, f.login) for f in store.all_flags()] == [("acme", "idle-ian")]
    finally:
        store.close()
