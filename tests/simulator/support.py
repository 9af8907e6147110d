"""Constants and a hand-moved clock shared by the simulator tests."""

from __future__ import annotations

from datetime import UTC, datetime

TOKEN = "ghp_test_token"
BOT_TOKEN = "xoxb-test-token"
NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
