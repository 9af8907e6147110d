"""The ``Simulator``'s Slack methods: what was posted, and Slack's side of Socket Mode.

A mixin of ``Simulator`` (``core.py``), which builds the three parts it uses: ``_slack`` (the
Web API and webhook), ``_actions`` (messages as they stand, clicks, response URLs) and
``_socket`` (the websocket server).
"""

from __future__ import annotations

import copy
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.simulator.slack import SlackApi
    from reaper.simulator.slack_actions import SlackActions
    from reaper.simulator.slack_directory import Directory
    from reaper.simulator.socket_mode import SocketModeServer

SIM_SLACK_APP_TOKEN = "xapp-sim"


class SlackSide:
    """Slack as the tests see it: records, state to set up, and clicks over Socket Mode."""

    _slack: SlackApi
    _actions: SlackActions
    _socket: SocketModeServer

    # -- what was posted ---------------------------------------------------------------------

    @property
    def slack_messages(self) -> list[dict[str, Any]]:
        """Messages posted: webhook payloads and ``chat.postMessage`` arguments, with ``via``.

        A log of posts as they were made: later updates show in ``slack_message``.
        """
        with self._slack.lock:
            return copy.deepcopy(self._slack.messages)

    def slack_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A posted message as it stands now (after updates), or ``None``.

        ``channel`` is the id ``chat.postMessage`` answered with, or what it was posted to
        (a user id finds that user's DM).
        """
        return self._actions.message(channel, ts)

    @property
    def slack_files(self) -> list[dict[str, Any]]:
        """Files uploaded with ``files_upload_v2``; ``content`` is the uploaded bytes."""
        with self._slack.lock:
            return copy.deepcopy(self._slack.files)

    @property
    def slack_updates(self) -> list[dict[str, Any]]:
        """``chat.update`` calls that changed a message: their arguments (channel, ts, …)."""
        with self._slack.lock:
            return copy.deepcopy(self._actions.updates)

    @property
    def slack_ephemeral(self) -> list[dict[str, Any]]:
        """``chat.postEphemeral`` arguments (channel, user, text, blocks) with ``message_ts``."""
        with self._slack.lock:
            return copy.deepcopy(self._actions.ephemeral)

    @property
    def slack_responses(self) -> list[dict[str, Any]]:
        """Posts to clicks' ``response_url``s.

        Each is the JSON body's fields plus ``url``, the ``user_id``, ``channel`` and
        ``message_ts`` of the click it answers, and the untouched body under ``body``.
        """
        with self._slack.lock:
            return copy.deepcopy(self._actions.responses)

    # -- state to set up ---------------------------------------------------------------------

    @property
    def slack_users_by_email(self) -> dict[str, str]:
        """E-mail to Slack user id, answered by ``users.lookupByEmail``: fill it in tests."""
        return self._slack.users_by_email

    @slack_users_by_email.setter
    def slack_users_by_email(self, mapping: dict[str, str]) -> None:
        with self._slack.lock:
            self._slack.users_by_email.clear()
            self._slack.users_by_email.update(mapping)

    @property
    def slack_deactivated(self) -> set[str]:
        """Slack user ids answered as deactivated (``deleted``): add to it in tests."""
        return self._slack.deactivated

    @property
    def slack_directory(self) -> Directory:
        """``users.list``'s bots and users of another workspace, and the bot token's scopes."""
        return self._slack.directory

    @property
    def slack_user_groups(self) -> dict[str, list[str]]:
        """User-group id (``S…``) to member user ids, for ``usergroups.users.list``."""
        return self._actions.user_groups

    @slack_user_groups.setter
    def slack_user_groups(self, mapping: dict[str, list[str]]) -> None:
        with self._slack.lock:
            self._actions.user_groups.clear()
            self._actions.user_groups.update({key: list(v) for key, v in mapping.items()})

    @property
    def slack_app_token(self) -> str:
        """The app-level token (``xapp-…``) that ``apps.connections.open`` accepts."""
        return self._slack.app_token

    # -- Socket Mode -------------------------------------------------------------------------

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode websocket connections are open now."""
        return self._socket.connections

    @property
    def socket_opens(self) -> int:
        """How many URLs ``apps.connections.open`` handed out (since ``reset_records``)."""
        return self._socket.opens

    @property
    def socket_handshakes(self) -> list[int]:
        """HTTP status of each websocket handshake: 101 accepted, 401 bad ticket, 503 refused."""
        return self._socket.handshakes

    @property
    def socket_frames(self) -> list[Any]:
        """Every frame the app sent over Socket Mode, acks included (parsed JSON when JSON)."""
        return self._socket.frames

    @property
    def socket_envelopes(self) -> list[dict[str, Any]]:
        """Every envelope delivered by ``click`` (the last try of each), in order."""
        return self._socket.envelopes

    def socket_connected(self, timeout: float = 5.0) -> bool:
        """Wait until a Socket Mode connection is open; ``False`` after ``timeout`` seconds."""
        return self._socket.wait_connected(timeout)

    def drop_socket_connections(self, *, reason: str | None = None) -> int:
        """Close every open Socket Mode connection from Slack's side; return how many.

        The app is expected to reconnect through a new ``apps.connections.open``. ``reason``
        (e.g. ``"refresh_requested"``) sends Slack's ``disconnect`` message first.
        """
        return self._socket.drop(reason=reason)

    def refuse_socket_connections(self, count: int) -> None:
        """Refuse the next ``count`` websocket handshakes (HTTP 503)."""
        self._socket.refuse(count)

    def click(
        self,
        *,
        action_id: str,
        value: str,
        user_id: str,
        channel: str,
        message_ts: str,
        block_id: str = "reaper",
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Click a button as ``user_id`` would; return the app's acknowledgement.

        Sends an ``interactive`` envelope with a ``block_actions`` payload (carrying the
        message at ``channel``/``message_ts`` as it stands, if it was posted) to the first
        open Socket Mode connection and waits for the ack, not for what the app does next
        (see ``wait_for``). Raises ``TimeoutError`` when no ack comes within ``timeout``.
        """
        payload = self._actions.click_payload(
            action_id=action_id,
            value=value,
            user_id=user_id,
            user_name=self._user_name(user_id),
            channel=channel,
            message_ts=message_ts,
            block_id=block_id,
        )
        envelope = {
            "envelope_id": str(uuid.uuid4()),
            "type": "interactive",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": payload,
        }
        return self._socket.send(envelope, timeout)

    def replay(self, envelope_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        """Deliver an envelope again, as Slack retries one (``retry_attempt`` + 1); the ack."""
        return self._socket.replay(envelope_id, timeout)

    @staticmethod
    def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until it is true; ``False`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def _user_name(self, user_id: str) -> str:
        with self._slack.lock:
            emails = [e for e, uid in self._slack.users_by_email.items() if uid == user_id]
        return emails[0].split("@", 1)[0] if emails else user_id.lower()
