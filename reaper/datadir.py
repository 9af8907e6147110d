"""Can this process write the SQLite state where ``REAPER_STATE_URL`` puts it? One line if not.

SQLite says only "unable to open database file" when the folder of its file is not
writable (a volume owned by another user, a read-only root filesystem), and the writer lock
needs ``<database>.lock`` beside it. ``state_dir_problem`` tries the folder for real (it
creates and removes a file there) before the store opens, and names the path, the user and
the fix. PostgreSQL and in-memory databases have no folder: nothing to check.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

_MEMORY = {None, "", ":memory:"}


def sqlite_path(state_url: str) -> Path | None:
    """The database file of a SQLite URL, or ``None`` (PostgreSQL, in memory, not parsable)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415  (slow import)
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        url = make_url(state_url)
    except (ArgumentError, ValueError):
        return None
    if url.get_backend_name() != "sqlite" or url.database in _MEMORY:
        return None
    return Path(url.database).absolute() if url.database else None


def state_dir_problem(state_url: str) -> str | None:
    """Return ``None`` when the SQLite state can be written, else one line saying how to fix it."""
    path = sqlite_path(state_url)
    if path is None:
        return None
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent  # the store creates the missing folders below this one
    error = _try_write(existing)
    target = existing
    if error is None and path.exists():
        error, target = _try_open(path), path
    if error is None:
        return None
    return _explain(path, target, error)


def _try_write(folder: Path) -> OSError | None:
    try:
        handle, name = tempfile.mkstemp(prefix=".reaper-write-check-", dir=folder)
    except OSError as exc:
        return exc
    os.close(handle)
    Path(name).unlink()
    return None


def _try_open(path: Path) -> OSError | None:
    try:
        with path.open("r+b"):
            pass
    except OSError as exc:
        return exc
    return None


def _explain(database: Path, target: Path, error: OSError) -> str:
    uid, gid = os.getuid(), os.getgid()
    who = f"uid {uid} gid {gid}"
    if error.errno == errno.EROFS:
        return (
            f"cannot write the state at {database}: {target} is on a read-only file system; "
            f"mount a writable volume at {database.parent} (REAPER_STATE_URL)"
        )
    try:
        info = target.stat()
        owner = f"owned by {info.st_uid}:{info.st_gid}, mode {info.st_mode & 0o7777:04o}"
    except OSError:
        owner = "not readable"
    reason = os.strerror(error.errno) if error.errno else str(error)
    return (
        f"cannot write the state at {database}: {target} ({owner}) refuses {who}: {reason}; "
        f"make it writable for this user: in Kubernetes the pod's securityContext.fsGroup "
        f"(the chart sets 10001; OpenShift: group 0), with docker/podman a named volume or "
        f"`chown {uid}:{gid} {target}` on the host (REAPER_STATE_URL)"
    )
