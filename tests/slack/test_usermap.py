"""The user map file: CSV or flat YAML of GitHub login to e-mail, with clear errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reaper.identity.usermap import UserMapError, load_user_map

if TYPE_CHECKING:
    from pathlib import Path


def test_csv_with_header_and_comments(tmp_path: Path) -> None:
    """CSV rows map logins (any case) to e-mails; header, comments and blank lines are skipped."""
    path = tmp_path / "users.csv"
    path.write_text("login,email\n# staff\nIdle-Ian, ian@example.com\n\nbea,bea@example.com\n")
    assert load_user_map(path) == {"idle-ian": "ian@example.com", "bea": "bea@example.com"}


def test_flat_yaml_mapping(tmp_path: Path) -> None:
    """A YAML file of login: email lines (quotes and comments allowed) is read."""
    path = tmp_path / "users.yaml"
    path.write_text(
        "---\n# who is who\nidle-ian: ian@example.com\n\"bea\": 'bea@example.com'  # x\n"
    )
    assert load_user_map(path) == {"idle-ian": "ian@example.com", "bea": "bea@example.com"}


def test_yaml_is_recognised_without_suffix(tmp_path: Path) -> None:
    """A ConfigMap key without a suffix is read as YAML when its lines look like YAML."""
    path = tmp_path / "user-map"
    path.write_text("idle-ian: ian@example.com\n")
    assert load_user_map(path) == {"idle-ian": "ian@example.com"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("users.csv", "idle-ian\n", "line 1: expected login,email"),
        ("users.csv", "idle-ian,not-an-email\n", "not an e-mail address"),
        ("users.csv", "a,a@x.io\nA,b@x.io\n", "mapped twice"),
        ("users.yaml", "users:\n  idle-ian: ian@example.com\n", "is not 'login: email'"),
        ("users.yaml", "just text\n", "expected a mapping of 'login: email'"),
        ("users.yaml", "bad login!: x@example.com\n", "not a GitHub login"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    """A bad line raises UserMapError naming the file, the line and the problem."""
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(UserMapError, match=message) as raised:
        load_user_map(path)
    assert str(path) in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    """A file that cannot be read raises UserMapError, not OSError."""
    with pytest.raises(UserMapError, match="cannot be read"):
        load_user_map(tmp_path / "gone.csv")
