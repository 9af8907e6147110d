"""The Slack side: an incoming webhook and the few Web API methods the reaper calls.

Requests are accepted the way ``slack_sdk`` sends them: parameters in the query string, a
form-encoded body or a JSON body, and the bot token in ``Authorization: Bearer`` or a
``token`` parameter. Like Slack, API errors are HTTP 200 with ``{"ok": false, "error": ...}``.
``apps.connections.open`` takes the app-level token (``xapp-…``), in the header only, and
answers with a Socket Mode URL; any other method refuses that token.
"""

from __future__ import annotations

import itertools
import zlib
from typing import TYPE_CHECKING, Any

from reaper.simulator.server import text_response
from reaper.simulator.slack_directory import Directory
from reaper.simulator.slack_wire import (
    BOT_USER_ID,
    RESPONSE_PREFIX,
    TEAM_ID,
    blocks_error,
    channel_id,
    decode_json,
    fail,
    ok,
    request_params,
)

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable
    from datetime import datetime

    from reaper.simulator.server import RecordedRequest, Response
    from reaper.simulator.slack_actions import SlackActions

WEBHOOK_PATH = "/slack/webhook/T000/B000/XXXX"
API_PREFIX = "/slack/api/"
UPLOAD_PREFIX = "/slack/files/upload/v1/"


class SlackApi:
    """Records what the reaper posts to Slack and answers like Slack would."""

    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str,
        clock: Callable[[], datetime],
        base_url: Callable[[], str],
        lock: threading.RLock,
        actions: SlackActions,
        socket_url: Callable[[], str],
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.clock = clock
        self.base_url = base_url
        self.lock = lock
        self.actions = actions
        self.socket_url = socket_url
        self.messages: list[dict[str, Any]] = []
        self.files: list[dict[str, Any]] = []
        self.users_by_email: dict[str, str] = {}
        self.deactivated: set[str] = set()  # user ids answered as ``deleted`` (deactivated)
        self.directory = Directory()  # users.list: bots, strangers; the bot token's scopes
        self._uploads: dict[str, dict[str, Any]] = {}
        self._counter = itertools.count(1)

    def reset(self) -> None:
        """Forget recorded messages and files (users and tokens stay)."""
        with self.lock:
            self.messages.clear()
            self.files.clear()
            self._uploads.clear()
            self.actions.reset()

    def handle(self, request: RecordedRequest) -> Response:
        """Answer one request under ``/slack/``."""
        with self.lock:
            if request.path == WEBHOOK_PATH and request.method == "POST":
                return self._webhook(request)
            if request.path.startswith(UPLOAD_PREFIX) and request.method == "POST":
                return self._upload(request, request.path.removeprefix(UPLOAD_PREFIX))
            if request.path.startswith(API_PREFIX):
                return self._api(request, request.path.removeprefix(API_PREFIX))
            if request.path.startswith(RESPONSE_PREFIX):
                return self.actions.respond(request, request.path.removeprefix(RESPONSE_PREFIX))
            return text_response(404, "no_service")

    def _webhook(self, request: RecordedRequest) -> Response:
        payload = request.json
        if not isinstance(payload, dict):
            return text_response(400, "invalid_payload")
        if not payload.get("text") and not payload.get("blocks"):
            return text_response(400, "no_text")
        if problem := blocks_error(payload.get("blocks")):
            return text_response(400, problem)
        self.messages.append(
            {
                "via": "webhook",
                "channel": payload.get("channel"),
                "text": payload.get("text"),
                "blocks": payload.get("blocks"),
                **payload,
            }
        )
        return text_response(200, "ok")

    def _api(self, request: RecordedRequest, method: str) -> Response:
        params = request_params(request)
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        bearer = credential if scheme.lower() == "bearer" else None
        token = bearer or params.get("token")
        if method == "apps.connections.open":
            return self._connections_open(bearer, token)
        if token == self.app_token:
            return fail("not_allowed_token_type")
        if token != self.bot_token:
            return fail("invalid_auth")
        params.pop("token", None)
        handlers: dict[str, Callable[[dict[str, Any]], Response]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self.actions.update,
            "chat.postEphemeral": self.actions.post_ephemeral,
            "usergroups.users.list": self.actions.usergroup_users,
            "users.lookupByEmail": self._lookup_by_email,
            "conversations.open": self._conversations_open,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        handlers["users.list"] = lambda p: (
            self.directory.throttled(self.clock())
            or self.directory.users_list(p, self.users_by_email, self.deactivated)
        )
        handler = handlers.get(method)
        response = self.directory.missing(method) or (
            handler(params) if handler else fail("unknown_method")
        )
        response.headers.update(self.directory.header())
        return response

    def _connections_open(self, bearer: str | None, token: Any) -> Response:
        """``apps.connections.open``: the app-level token, sent as a header, gets a URL."""
        if token == self.bot_token:
            return fail("not_allowed_token_type")
        if bearer is None:
            return fail("not_authed")
        if bearer != self.app_token:
            return fail("invalid_auth")
        return ok(url=self.socket_url())

    def _auth_test(self, _params: dict[str, Any]) -> Response:
        return ok(
            url="https://simulated.slack.com/",
            team="Simulated Workspace",
            user="copilot-seat-reaper",
            team_id=TEAM_ID,
            user_id=BOT_USER_ID,
            bot_id="B000",
            is_enterprise_install=False,
        )

    def _post_message(self, params: dict[str, Any]) -> Response:
        channel = params.get("channel")
        if not channel or not isinstance(channel, str):
            return fail("channel_not_found")
        args = {key: decode_json(value) for key, value in params.items()}
        text, blocks = args.get("text"), args.get("blocks")
        if not text and not blocks and not args.get("attachments"):
            return fail("no_text")
        if problem := blocks_error(blocks):
            return fail(problem)
        ts = self.actions.new_ts()
        self.messages.append(
            {"via": "chat.postMessage", "text": text, "blocks": blocks, **args, "ts": ts}
        )
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": "B000", "text": text or ""}
        if blocks:
            message["blocks"] = blocks
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        message = {**message, "ts": ts, "team": TEAM_ID}
        self.actions.remember(channel, message)
        return ok(channel=channel_id(channel), ts=ts, message=message)

    def _lookup_by_email(self, params: dict[str, Any]) -> Response:
        email = str(params.get("email") or "")
        user_id = self.users_by_email.get(email) or self.users_by_email.get(email.lower())
        if user_id is None:
            return fail("users_not_found")
        name = email.split("@", 1)[0]
        return ok(
            user={
                "id": user_id,
                "team_id": TEAM_ID,
                "name": name,
                "real_name": name,
                "deleted": user_id in self.deactivated,
                "is_bot": False,
                "profile": {"email": email, "real_name": name, "display_name": name},
            }
        )

    def _conversations_open(self, params: dict[str, Any]) -> Response:
        if params.get("channel"):
            return ok(channel={"id": channel_id(str(params["channel"]))})
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            return fail("users_list_not_supplied")
        if len(users) == 1:
            return ok(channel={"id": channel_id(users[0])})
        return ok(channel={"id": f"G{zlib.crc32(','.join(sorted(users)).encode()):08X}"})

    def _get_upload_url(self, params: dict[str, Any]) -> Response:
        filename, length = params.get("filename"), params.get("length")
        if not filename or length in (None, ""):
            return fail("invalid_arguments")
        file_id = f"F{next(self._counter):08d}"
        self._uploads[file_id] = {
            "file_id": file_id,
            "filename": filename,
            "length": int(length),
            "content": None,
        }
        return ok(upload_url=f"{self.base_url()}{UPLOAD_PREFIX}{file_id}", file_id=file_id)

    def _upload(self, request: RecordedRequest, file_id: str) -> Response:
        upload = self._uploads.get(file_id)
        if upload is None:
            return text_response(404, "file_not_found")
        upload["content"] = request.body
        return text_response(200, f"OK - {len(request.body)}")

    def _complete_upload(self, params: dict[str, Any]) -> Response:
        entries = decode_json(params.get("files"))
        if not isinstance(entries, list) or not entries:
            return fail("invalid_arguments")
        uploads = [self._uploads.get(str(e.get("id"))) for e in entries if isinstance(e, dict)]
        if len(uploads) != len(entries) or any(u is None or u["content"] is None for u in uploads):
            return fail("file_not_found")
        answered = []
        for entry, upload in zip(entries, uploads, strict=True):
            assert upload is not None
            title = entry.get("title") or upload["filename"]
            record = {
                **upload,
                "title": title,
                "channel_id": params.get("channel_id"),
                "channels": params.get("channels"),
                "thread_ts": params.get("thread_ts"),
                "initial_comment": params.get("initial_comment"),
            }
            self.files.append(record)
            del self._uploads[upload["file_id"]]
            answered.append(
                {
                    "id": upload["file_id"],
                    "name": upload["filename"],
                    "title": title,
                    "size": len(upload["content"]),
                }
            )
        return ok(files=answered)
