"""GitHub login → e-mail, from the file named by ``REAPER_USER_MAP_FILE`` (a mounted ConfigMap).

Two forms are read, chosen by the file's suffix (``.csv``; ``.yaml``/``.yml``), else by its
content:

- CSV: ``login,email`` per line; a first line ``login,email`` is a header; ``#`` starts a comment.
- YAML: a mapping ``login: email`` (read with PyYAML's safe loader).

Logins are matched without regard to case, as GitHub does. Any problem raises ``UserMapError``
naming the file (and the line where the format has one).
"""

from __future__ import annotations

import csv
import re
from typing import TYPE_CHECKING

from reaper.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:_[A-Za-z0-9-]{1,39})?$")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
MAX_BYTES = 20_000_000


class UserMapError(ConfigError):
    """The user map file cannot be read or understood."""


def _add(mapping: dict[str, str], where: str, login: str, email: str) -> None:
    if not _LOGIN.match(login):
        raise UserMapError(f"{where}: not a GitHub login: {login!r}")
    if not _EMAIL.match(email):
        raise UserMapError(f"{where}: not an e-mail address for {login}: {email!r}")
    key = login.casefold()
    if key in mapping and mapping[key] != email:
        raise UserMapError(f"{where}: {login} is mapped twice, to different e-mails")
    mapping[key] = email


def parse_csv(text: str, source: str = "user map") -> dict[str, str]:
    """Read ``login,email`` lines (header line optional)."""
    mapping: dict[str, str] = {}
    lines = text.splitlines()
    for number, row in enumerate(csv.reader(lines), 1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and [c.lower() for c in cells[:2]] == ["login", "email"]:
            continue
        if len(cells) < 2 or not cells[1] or any(cells[2:]):
            raise UserMapError(f"{source}, line {number}: expected login,email")
        _add(mapping, f"{source}, line {number}", cells[0], cells[1])
    return mapping


def parse_yaml(text: str, source: str = "user map") -> dict[str, str]:
    """Read a YAML mapping of ``login: email`` (safe loader: plain data only)."""
    import yaml  # noqa: PLC0415  (PyYAML loads only when a YAML map is read)

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise UserMapError(f"{source}{where}: not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserMapError(f"{source}: expected a mapping of 'login: email'")
    mapping: dict[str, str] = {}
    for login, email in data.items():
        if not isinstance(login, str) or not isinstance(email, str):
            raise UserMapError(f"{source}: entry {login!r} is not 'login: email'")
        _add(mapping, source, login.strip(), email.strip())
    return mapping


def load_user_map(path: Path) -> dict[str, str]:
    """Read the user map file: case-folded GitHub login → e-mail."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UserMapError(f"{path}: larger than {MAX_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserMapError(f"{path}: cannot be read ({type(exc).__name__})") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_csv(text, str(path))
    if suffix in {".yaml", ".yml"}:
        return parse_yaml(text, str(path))
    first = next((x for x in text.splitlines() if x.strip() and not x.startswith("#")), "")
    if ":" in first and "," not in first:
        return parse_yaml(text, str(path))
    return parse_csv(text, str(path))
