"""Per-seat records stay compact: slots and no ``__dict__``, no raw JSON, repeated text shared."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from reaper.core.domain import BadSeat, Decision, Flag, Person, Seat
from reaper.github.client import SeatPage
from reaper.github.seats import OrgScan, parse_seat
from reaper.store import SqlStore

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EDITOR = "vscode/1.95.0/copilot/1.250.0"


def record(login: str, **extra: object) -> dict[str, object]:
    """A seat record as GitHub sends it, decoded from JSON text (so no string is shared)."""
    body = {
        "created_at": "2025-01-01T00:00:00Z",
        "assignee": {"login": login, "id": 1, "url": f"https://api.github.com/users/{login}"},
        "plan_type": "business",
        "last_activity_at": "2026-03-01T00:00:00Z",
        "last_activity_editor": EDITOR,
        "assigning_team": {"slug": "platform", "name": "Platform"},
        **extra,
    }
    decoded: dict[str, object] = json.loads(json.dumps(body))
    return decoded


@pytest.mark.parametrize("kind", [Seat, Person, BadSeat, Flag, Decision, OrgScan, SeatPage])
def test_records_kept_per_seat_have_slots_and_no_instance_dict(kind: type) -> None:
    """Every record a cycle keeps per seat or person is a slots class: no ``__dict__``."""
    assert "__slots__" in vars(kind)
    assert "__dict__" not in vars(kind)


def test_a_parsed_seat_keeps_no_raw_json_and_has_no_dict() -> None:
    """A seat keeps its fields only: no ``__dict__``, no reference to the record it came from."""
    raw = record("ada")
    seat = parse_seat("acme", raw)
    assert isinstance(seat, Seat)
    assert not hasattr(seat, "__dict__")
    fields = [getattr(seat, name) for name in Seat.__slots__]
    assert not any(isinstance(value, dict | list) for value in fields)
    assert raw["assignee"] not in fields


def test_repeated_texts_of_many_seats_are_one_object_each() -> None:
    """Equal editor, plan type, team and org strings of different seats are one object."""
    one = parse_seat("acme", record("ada"))
    two = parse_seat("acme", record("bob"))
    assert isinstance(one, Seat)
    assert isinstance(two, Seat)
    assert one.last_activity_editor == EDITOR
    assert one.last_activity_editor is two.last_activity_editor
    assert one.plan_type is two.plan_type
    assert one.assigning_team is two.assigning_team
    assert one.org is two.org
    assert one.login is not two.login


def test_sharing_changes_no_value_of_a_seat() -> None:
    """A seat parsed with shared strings equals one built from the same values by hand."""
    seat = parse_seat("acme", record("ada"))
    assert seat == Seat(
        org="acme",
        login="ada",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        last_activity_at=datetime(2026, 3, 1, tzinfo=UTC),
        last_activity_editor=EDITOR,
        pending_cancellation_date=None,
        assigning_team="platform",
        plan_type="business",
        last_authenticated_at=None,
    )


def test_remembered_grant_scopes_read_back_whole_with_each_set_once(tmp_path: Path) -> None:
    """The grant memory reads back every person's scopes; equal sets are one object."""
    store = SqlStore(f"sqlite:///{tmp_path / 'state.db'}")
    held = [("ada", "acme"), ("bob", "acme"), ("cy", "acme"), ("cy", "globex"), ("di", "globex")]
    held += [("eve", "globex"), ("eve", "acme")]
    store.commit(add=[], remove=[], audit=[], scans=[], held=held, not_held=[])
    scopes = store.grant_scopes()
    store.close()
    assert scopes == {
        "ada": {"acme"},
        "bob": {"acme"},
        "cy": {"acme", "globex"},
        "di": {"globex"},
        "eve": {"acme", "globex"},
    }
    assert scopes["ada"] is scopes["bob"]
    assert scopes["cy"] is scopes["eve"]
