"""Button values that cannot be read, forged or replayed onto another person.

A button's ``value`` is sealed with Fernet (AES-128-CBC and HMAC-SHA256, authenticated
encryption) under a key derived with HKDF from the bot token: the value is opaque to whoever
sees it, any change to it makes it unreadable, and it needs no table, so it works in a dry
run without writing anything. What it seals (``Sealed``) says what the button asks for, about
whom, and the flag or cancel it was made for (``stamp``), so a click on an old message is
recognised; whoever clicks is still checked on the server side (``reaper.desk.who``).
A new bot token makes older buttons unreadable: they are refused, and say so.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from datetime import datetime

Kind = Literal["keep", "release", "release_confirm", "reinstate", "admin_keep"]
KINDS: tuple[str, ...] = get_args(Kind)
DM_KINDS = frozenset({"keep", "release", "release_confirm"})  # the person's own buttons
ADMIN_KINDS = frozenset({"reinstate", "admin_keep"})  # the channel report's buttons
ACTION_PREFIX = "reaper."
ACTION_PATTERN = r"^reaper\.(keep|release|release_confirm|reinstate|admin_keep)$"
MAX_VALUE_CHARS = 2000  # Slack's limit for a button's value
MAX_LABEL_CHARS = 75  # Slack's limit for a button's text
_INFO = b"copilot-seat-reaper slack button values v1"
_VERSION = 1


class UnreadableValueError(ValueError):
    """A button value that was not sealed by this reaper with this bot token, or was altered."""


@dataclass(frozen=True, slots=True)
class Sealed:
    """What one button asks for.

    ``scope`` is where the person is reported (an org, or ``enterprise:<slug>``); ``user`` the
    Slack user a direct message's buttons belong to (empty for the channel's admin buttons);
    ``stamp`` the flag's ``flagged_at`` (keep, release) or the report's time (reinstate), in
    whole seconds since the epoch; ``issued`` when the button was made.
    """

    kind: Kind
    scope: str
    login: str
    user: str
    stamp: int
    issued: int


def epoch(moment: datetime) -> int:
    """A moment in whole seconds since the epoch, as buttons carry it."""
    return int(moment.timestamp())


def action_id(kind: Kind) -> str:
    """The ``action_id`` of a button of this kind (its value says the same, sealed)."""
    return f"{ACTION_PREFIX}{kind}"


class Sealer:
    """Seals and opens button values with a key derived from the bot token."""

    def __init__(self, bot_token: str) -> None:
        # cryptography loads only when buttons are made or opened (issue 21: memory per verb)
        from cryptography.fernet import Fernet  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            bot_token.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, sealed: Sealed) -> str:
        """The opaque value for a button (well under Slack's 2,000 characters)."""
        body = {
            "v": _VERSION,
            "k": sealed.kind,
            "s": sealed.scope,
            "l": sealed.login,
            "u": sealed.user,
            "t": sealed.stamp,
            "i": sealed.issued,
        }
        value = self._fernet.encrypt(json.dumps(body, separators=(",", ":")).encode()).decode()
        if len(value) > MAX_VALUE_CHARS:
            raise ValueError(f"a button value of {len(value)} characters is too long for Slack")
        return value

    def open(self, value: object) -> Sealed:
        """What a button value seals, or ``UnreadableValueError`` when it is not one of ours."""
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE_CHARS:
            raise UnreadableValueError("not a button value of this reaper")
        from cryptography.fernet import InvalidToken  # noqa: PLC0415

        try:
            body: Any = json.loads(self._fernet.decrypt(value.encode()))
        except (InvalidToken, ValueError):
            raise UnreadableValueError(
                "not sealed by this reaper (or sealed with another bot token)"
            ) from None
        if not isinstance(body, dict) or body.get("v") != _VERSION or body.get("k") not in KINDS:
            raise UnreadableValueError("sealed, but not a button this version understands")
        try:
            return Sealed(
                kind=body["k"],
                scope=_text(body["s"]),
                login=_text(body["l"]),
                user=_text(body["u"], empty=True),
                stamp=_number(body["t"]),
                issued=_number(body["i"]),
            )
        except (KeyError, TypeError) as exc:
            raise UnreadableValueError(f"sealed, but incomplete ({exc})") from None


def _text(value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise TypeError("a text field is missing")
    return value


def _number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("a number field is missing")
    return value


def button(
    label: str, kind: Kind, value: str, *, style: Literal["primary", "danger"] | None = None
) -> dict[str, Any]:
    """A Block Kit button (plain-text label cut to Slack's 75 characters)."""
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:MAX_LABEL_CHARS], "emoji": False},
        "action_id": action_id(kind),
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


@dataclass(frozen=True, slots=True)
class Buttons:
    """Makes sealed buttons for one message: the sealer and the moment they are issued."""

    sealer: Sealer
    issued: int

    def make(
        self,
        label: str,
        sealed_kind: Kind,
        *,
        scope: str,
        login: str,
        stamp: int,
        user: str = "",
        style: Literal["primary", "danger"] | None = None,
    ) -> dict[str, Any]:
        """One button whose value seals ``sealed_kind`` for ``login``."""
        sealed = Sealed(sealed_kind, scope, login, user, stamp, self.issued)
        return button(label, sealed_kind, self.sealer.seal(sealed), style=style)
