"""The state folder check: a SQLite state the reaper's user cannot write is named in one line.

Permissions mean nothing to root, so the checks that need a refusal run the real function in
a forked child that has become another user (uid 4242) when the tests run as root.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reaper.datadir import sqlite_path, state_dir_problem

if TYPE_CHECKING:
    from collections.abc import Iterator

OTHER_UID = 4242


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to its owner)."""
    with tempfile.TemporaryDirectory(prefix="reaper-datadir-") as name:
        folder = Path(name)
        folder.chmod(0o755)
        yield folder


def check_as_other_user(state_url: str) -> tuple[str | None, int, int]:
    """Run state_dir_problem as a user without rights to root's files (a forked child)."""
    if os.geteuid() != 0:
        return state_dir_problem(state_url), os.getuid(), os.getgid()
    sqlite_path("sqlite://")  # import what the check imports lazily, before giving up root
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become the other user, check, report, exit without cleanup
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(OTHER_UID)
            os.setuid(OTHER_UID)
            answer: object = [state_dir_problem(state_url), os.getuid(), os.getgid()]
        except BaseException as exc:  # noqa: BLE001  (reported to the parent)
            answer = {"error": repr(exc)}
        os.write(write, json.dumps(answer).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert isinstance(answer, list), answer
    problem, uid, gid = answer
    return problem, uid, gid


def lock_down(path: Path, mode: int) -> None:
    """Make ``path`` unwritable for the other user (as root) or for ourselves (not root)."""
    path.chmod(mode)


def test_postgresql_and_in_memory_states_have_no_folder_to_check() -> None:
    """A PostgreSQL or in-memory URL is never a problem; an unparsable one is left to settings."""
    for url in ("postgresql://reaper:pw@db/reaper", "sqlite://", "sqlite:///:memory:", "nope"):
        assert state_dir_problem(url) is None
        assert sqlite_path(url) is None


def test_a_writable_folder_passes_and_keeps_nothing_behind(tmp_path: Path) -> None:
    """A writable folder passes, a missing one under it too; the probe file is removed."""
    assert state_dir_problem(f"sqlite:///{tmp_path}/reaper.db") is None
    assert state_dir_problem(f"sqlite:///{tmp_path}/not/yet/reaper.db") is None
    assert list(tmp_path.iterdir()) == []
    assert sqlite_path(f"sqlite:///{tmp_path}/reaper.db") == tmp_path / "reaper.db"


def test_an_unwritable_folder_is_named_with_the_user_and_the_fix(shared_dir: Path) -> None:
    """A folder the user cannot write: one line with the path, uid, gid, owner and the fix."""
    data = shared_dir / "data"
    data.mkdir()
    lock_down(data, 0o555)
    problem, uid, gid = check_as_other_user(f"sqlite:///{data}/reaper.db")
    assert problem is not None
    assert "\n" not in problem
    assert f"cannot write the state at {data}/reaper.db: {data} (owned by " in problem
    assert f"refuses uid {uid} gid {gid}: Permission denied" in problem
    assert "mode 0555" in problem
    assert "securityContext.fsGroup" in problem
    assert f"`chown {uid}:{gid} {data}`" in problem


def test_a_missing_folder_under_an_unwritable_one_names_the_one_that_refuses(
    shared_dir: Path,
) -> None:
    """The store would create the folder: the nearest existing parent is the one checked."""
    lock_down(shared_dir, 0o555)
    problem, _, _ = check_as_other_user(f"sqlite:///{shared_dir}/state/reaper.db")
    assert problem is not None
    assert f": {shared_dir} (owned by " in problem


def test_an_existing_database_the_user_cannot_write_is_named(shared_dir: Path) -> None:
    """A writable folder holding a database file the user may not write: the file is named."""
    data = shared_dir / "data"
    data.mkdir()
    data.chmod(0o777)
    database = data / "reaper.db"
    database.write_bytes(b"")
    lock_down(database, 0o444)
    problem, _, _ = check_as_other_user(f"sqlite:///{database}")
    assert problem is not None
    assert f": {database} (owned by " in problem
    assert "mode 0444" in problem
