"""Slack's side of Socket Mode in the simulator, driven over real loopback sockets.

The clients are Slack's own: slack_sdk's builtin ``SocketModeClient`` and a Bolt ``App`` with
its ``SocketModeHandler``; tickets are also tried with the ``websockets`` client directly.
"""

from __future__ import annotations

import gc
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from reaper.simulator import Fault, Simulator

from .support import BOT_TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from slack_sdk.socket_mode.request import SocketModeRequest

PING = 0.2  # the clients' ping interval: how soon they notice a lost connection
BUTTONS = [
    {
        "type": "actions",
        "block_id": "reaper",
        "elements": [
            {
                "type": "button",
                "action_id": "keep",
                "value": "k-1",
                "text": {"type": "plain_text", "text": "I still need it"},
            }
        ],
    }
]


@pytest.fixture
def web(sim: Simulator) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=sim.slack_api_url, timeout=5)


class Recorder:
    """Listens on a SocketModeClient: keeps every message and request, acks when told to."""

    def __init__(self, *, ack: bool = True) -> None:
        self.ack = ack
        self.messages: list[dict[str, Any]] = []
        self.requests: list[SocketModeRequest] = []
        self.lock = threading.Lock()

    def on_message(self, _client: Any, message: dict[str, Any], _raw: str | None) -> None:
        with self.lock:
            self.messages.append(message)

    def on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        with self.lock:
            self.requests.append(request)
        if self.ack:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(sim: Simulator, web: WebClient, recorder: Recorder) -> Iterator[SocketModeClient]:
    sdk = SocketModeClient(app_token=sim.slack_app_token, web_client=web, ping_interval=PING)
    sdk.message_listeners.append(recorder.on_message)
    sdk.socket_mode_request_listeners.append(recorder.on_request)
    try:
        yield sdk
    finally:
        sdk.close()


def post_dm(web: WebClient, user: str = "U0ALICE") -> tuple[str, str]:
    """Post a DM with a button; return its (channel, ts)."""
    posted = web.chat_postMessage(channel=user, text="Your seat is idle", blocks=BUTTONS)
    return str(posted["channel"]), str(posted["ts"])


# -- apps.connections.open ------------------------------------------------------------------


def test_connections_open_hands_out_a_loopback_url(sim: Simulator, web: WebClient):
    """apps.connections.open with the app token answers a ws://127.0.0.1 /link/ URL."""
    response = web.apps_connections_open(app_token=sim.slack_app_token)
    url = urlsplit(response["url"])
    assert response["ok"] is True
    assert (url.scheme, url.hostname, url.path) == ("ws", "127.0.0.1", "/link/")
    assert url.query.startswith("ticket=")
    assert sim.socket_opens == 1


def test_connections_open_refuses_the_bot_token(sim: Simulator, web: WebClient):
    """The bot token on apps.connections.open fails with not_allowed_token_type."""
    with pytest.raises(SlackApiError) as raised:
        web.apps_connections_open(app_token=BOT_TOKEN)
    assert raised.value.response["error"] == "not_allowed_token_type"
    assert sim.socket_opens == 0


def test_connections_open_refuses_a_wrong_token(sim: Simulator, web: WebClient):
    """An unknown token on apps.connections.open fails with invalid_auth."""
    with pytest.raises(SlackApiError) as raised:
        web.apps_connections_open(app_token="xapp-wrong")
    assert raised.value.response["error"] == "invalid_auth"


def test_connections_open_wants_the_token_in_the_header(sim: Simulator):
    """The app token as a form field is not accepted (not_authed), as Slack documents."""
    response = httpx.post(
        f"{sim.slack_api_url}apps.connections.open", data={"token": sim.slack_app_token}
    )
    assert response.json() == {"ok": False, "error": "not_authed"}


def test_app_token_is_refused_by_bot_methods(sim: Simulator):
    """The app-level token cannot post messages: not_allowed_token_type."""
    app_client = WebClient(token=sim.slack_app_token, base_url=sim.slack_api_url)
    with pytest.raises(SlackApiError) as raised:
        app_client.chat_postMessage(channel="C0123", text="hi")
    assert raised.value.response["error"] == "not_allowed_token_type"


def test_connections_open_serves_injected_faults(sim: Simulator, web: WebClient):
    """A fault injected on apps.connections.open is served once, then URLs come again."""
    sim.inject(Fault(path=r"/apps\.connections\.open$", body={"ok": False, "error": "fatal"}))
    with pytest.raises(SlackApiError):
        web.apps_connections_open(app_token=sim.slack_app_token)
    assert sim.socket_opens == 0
    assert web.apps_connections_open(app_token=sim.slack_app_token)["ok"] is True


# -- the websocket ------------------------------------------------------------------------------


def test_hello_arrives_on_connect(sim: Simulator, client: SocketModeClient, recorder: Recorder):
    """A connecting client is greeted with hello: its connection count and the app id."""
    client.connect()
    assert sim.socket_connected()
    assert sim.wait_for(lambda: bool(recorder.messages))
    hello = recorder.messages[0]
    assert hello["type"] == "hello"
    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A0SIM"}
    assert set(hello["debug_info"]) >= {"host"}
    assert sim.socket_connections == 1
    assert sim.socket_handshakes == [101]


def test_a_ticket_opens_one_connection_once(sim: Simulator, web: WebClient):
    """A ticket is good for one handshake; a second use and a made-up ticket get 401."""
    url = web.apps_connections_open(app_token=sim.slack_app_token)["url"]
    with connect(url, open_timeout=5) as first:
        assert '"type": "hello"' in str(first.recv(timeout=5))
        with pytest.raises(InvalidStatus) as reused:
            connect(url, open_timeout=5)
        assert reused.value.response.status_code == 401
    made_up = url.split("ticket=")[0] + "ticket=00000000-0000-0000-0000-000000000000"
    with pytest.raises(InvalidStatus) as unknown:
        connect(made_up, open_timeout=5)
    assert unknown.value.response.status_code == 401
    assert sim.socket_handshakes == [101, 401, 401]


def test_server_answers_pings_and_records_frames(sim: Simulator, web: WebClient):
    """The server answers a ping with a pong and records each frame the client sends."""
    url = web.apps_connections_open(app_token=sim.slack_app_token)["url"]
    with connect(url, open_timeout=5) as ws:
        ws.recv(timeout=5)  # hello
        assert ws.ping(b"are you there").wait(5)
        ws.send('{"note": "hi"}')
        ws.send("not json")
        assert sim.wait_for(lambda: len(sim.socket_frames) == 2)
    assert sim.socket_frames == [{"note": "hi"}, "not json"]


# slack_sdk's builtin client never closes the socket of a refused handshake (3.47): ResourceWarning
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_refused_handshake_is_retried_with_a_new_url(sim: Simulator, client: SocketModeClient):
    """A refused handshake (503) leaves the client to reconnect through apps.connections.open."""
    sim.refuse_socket_connections(1)
    client.connect()
    assert sim.socket_connected()
    assert sim.wait_for(client.is_connected)  # closing mid-connect leaks a socket
    assert sim.socket_handshakes == [503, 101]
    assert sim.socket_opens == 2
    gc.collect()  # the leaked socket warns now, under this test's filter, not in a later test


def test_dropped_connection_is_reopened(sim: Simulator, client: SocketModeClient):
    """Closed from Slack's side, the client opens a new URL and connects again."""
    client.connect()
    assert sim.socket_connected()
    assert sim.drop_socket_connections() == 1
    assert sim.socket_connections == 0
    assert sim.wait_for(lambda: sim.socket_connections == 1)
    assert sim.wait_for(client.is_connected)
    assert sim.socket_opens == 2
    assert sim.socket_handshakes == [101, 101]


def test_disconnect_message_makes_the_client_refresh(sim: Simulator, client: SocketModeClient):
    """Slack's disconnect message (refresh_requested) makes the client reconnect at once."""
    client.connect()
    assert sim.socket_connected()
    sim.drop_socket_connections(reason="refresh_requested")
    assert sim.wait_for(lambda: sim.socket_opens == 2 and sim.socket_connections == 1)
    assert sim.wait_for(client.is_connected)


# -- clicks ------------------------------------------------------------------------------------


def test_click_is_delivered_and_acked(
    sim: Simulator, web: WebClient, client: SocketModeClient, recorder: Recorder
):
    """A click reaches the client as an interactive envelope; the client's ack is returned."""
    sim.slack_users_by_email = {"alice@example.com": "U0ALICE"}
    channel, ts = post_dm(web)
    client.connect()
    assert sim.socket_connected()
    ack = sim.click(
        action_id="keep", value="k-1", user_id="U0ALICE", channel=channel, message_ts=ts
    )
    [request] = recorder.requests
    assert ack == {"envelope_id": request.envelope_id}
    assert request.type == "interactive"
    assert request.retry_attempt == 0
    payload = request.payload
    assert payload["type"] == "block_actions"
    assert payload["user"] == {
        "id": "U0ALICE",
        "username": "alice",
        "name": "alice",
        "team_id": "T000",
    }
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "D0ALICE",
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": "D0ALICE", "name": "directmessage"}
    assert payload["message"]["blocks"] == BUTTONS
    assert payload["message"]["ts"] == ts
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == ("keep", "reaper", "k-1")
    assert action["text"]["text"] == "I still need it"
    assert payload["response_url"].startswith(f"{sim.github_url}/slack/response/")
    assert {"envelope_id": request.envelope_id} in sim.socket_frames


def test_click_on_an_unknown_message_has_no_message(
    sim: Simulator, client: SocketModeClient, recorder: Recorder
):
    """A click on a ts that was never posted carries no message (a stale or made-up one)."""
    client.connect()
    sim.click(action_id="keep", value="k-1", user_id="U1", channel="C0123", message_ts="1.000009")
    [request] = recorder.requests
    assert "message" not in request.payload
    assert request.payload["channel"]["id"] == "C0123"


def test_click_without_ack_times_out(sim: Simulator, client: SocketModeClient, recorder: Recorder):
    """When the app never acknowledges, click raises TimeoutError after its timeout."""
    recorder.ack = False
    client.connect()
    assert sim.socket_connected()
    with pytest.raises(TimeoutError):
        sim.click(
            action_id="keep", value="v", user_id="U1", channel="C1", message_ts="1.1", timeout=0.3
        )
    assert sim.wait_for(lambda: len(recorder.requests) == 1)


def test_click_without_connection_times_out(sim: Simulator):
    """With no app connected, click raises TimeoutError."""
    with pytest.raises(TimeoutError):
        sim.click(
            action_id="keep", value="v", user_id="U1", channel="C1", message_ts="1.1", timeout=0.2
        )


def test_replay_sends_the_same_envelope_again(
    sim: Simulator, client: SocketModeClient, recorder: Recorder
):
    """A replay resends an envelope with the same id and retry_attempt 1, and returns the ack."""
    client.connect()
    first = sim.click(action_id="keep", value="v", user_id="U1", channel="C1", message_ts="1.1")
    again = sim.replay(first["envelope_id"])
    assert again == first
    assert [r.envelope_id for r in recorder.requests] == [first["envelope_id"]] * 2
    assert [r.retry_attempt for r in recorder.requests] == [0, 1]
    assert recorder.requests[1].retry_reason == "timeout"
    assert recorder.requests[1].payload == recorder.requests[0].payload


def test_response_url_rules(sim: Simulator, client: SocketModeClient, recorder: Recorder):
    """A response_url takes five posts; delete_original removes the message; unknown: 404."""
    web = WebClient(token=BOT_TOKEN, base_url=sim.slack_api_url)
    channel, ts = post_dm(web)
    client.connect()
    sim.click(action_id="keep", value="k-1", user_id="U0ALICE", channel=channel, message_ts=ts)
    url = recorder.requests[0].payload["response_url"]
    answers = [httpx.post(url, json={"text": f"note {n}"}).status_code for n in range(6)]
    assert answers == [200] * 5 + [404]
    assert sim.slack_message(channel, ts) is not None
    sim.click(action_id="keep", value="k-1", user_id="U0ALICE", channel=channel, message_ts=ts)
    second = recorder.requests[1].payload["response_url"]
    assert httpx.post(second, json={"delete_original": True}).json() == {"ok": True}
    assert sim.slack_message(channel, ts) is None
    assert httpx.post(f"{sim.github_url}/slack/response/nope", json={}).status_code == 404
    assert [r["user_id"] for r in sim.slack_responses] == ["U0ALICE"] * 6


# -- Bolt --------------------------------------------------------------------------------------


@pytest.fixture
def bolt(sim: Simulator, web: WebClient) -> Iterator[App]:
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bolt-listener")
    try:
        yield App(client=web, listener_executor=executor)
    finally:
        executor.shutdown(wait=True)


@pytest.fixture
def handler(sim: Simulator, bolt: App) -> Iterator[SocketModeHandler]:
    socket_handler = SocketModeHandler(bolt, sim.slack_app_token, ping_interval=PING)
    try:
        yield socket_handler
    finally:
        socket_handler.close()


def test_bolt_round_trip(sim: Simulator, web: WebClient, bolt: App, handler: SocketModeHandler):
    """A Bolt listener acks, responds (replacing the message), updates it and posts privately."""

    @bolt.action("keep")
    def keep(ack: Any, body: dict[str, Any], respond: Any, client: WebClient) -> None:
        ack()
        respond(text="Kept for 30 days", replace_original=True)
        container = body["container"]
        client.chat_update(
            channel=container["channel_id"], ts=container["message_ts"], text="Kept (updated)"
        )
        client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], text="ok")

    channel, ts = post_dm(web)
    handler.connect()
    assert sim.socket_connected()
    ack = sim.click(
        action_id="keep", value="k-1", user_id="U0ALICE", channel=channel, message_ts=ts
    )
    assert set(ack) == {"envelope_id"}
    assert sim.wait_for(lambda: len(sim.slack_ephemeral) == 1)
    [response] = sim.slack_responses
    assert response["user_id"] == "U0ALICE"
    assert response["body"] == {"text": "Kept for 30 days", "replace_original": True}
    [update] = sim.slack_updates
    assert (update["channel"], update["ts"], update["text"]) == ("D0ALICE", ts, "Kept (updated)")
    assert sim.slack_message(channel, ts)["text"] == "Kept (updated)"
    [ephemeral] = sim.slack_ephemeral
    assert (ephemeral["channel"], ephemeral["user"], ephemeral["text"]) == (
        "D0ALICE",
        "U0ALICE",
        "ok",
    )
    paths = [r.path for r in sim.requests]
    assert paths.index("/slack/api/auth.test") < paths.index("/slack/api/apps.connections.open")


def test_bolt_reconnects_after_a_drop(sim: Simulator, bolt: App, handler: SocketModeHandler):
    """Bolt's handler comes back after Slack drops it, and clicks are answered again."""
    bolt.action("keep")(lambda ack: ack())
    handler.connect()
    assert sim.socket_connected()
    sim.drop_socket_connections()
    assert sim.wait_for(lambda: sim.socket_connections == 1)
    assert sim.wait_for(handler.client.is_connected)  # closing mid-connect leaks a socket
    ack = sim.click(action_id="keep", value="v", user_id="U1", channel="C1", message_ts="1.1")
    assert "envelope_id" in ack
    assert sim.socket_opens == 2


# -- lifecycle ---------------------------------------------------------------------------------


def test_reset_records_forgets_socket_records(sim: Simulator, client: SocketModeClient):
    """reset_records empties frames, handshakes and the open count; the connection stays."""
    client.connect()
    sim.click(action_id="keep", value="v", user_id="U1", channel="C1", message_ts="1.1")
    sim.reset_records()
    assert (sim.socket_frames, sim.socket_handshakes, sim.socket_opens) == ([], [], 0)
    assert sim.socket_connections == 1
    assert sim.slack_responses == []


def test_stop_closes_connections_and_joins_threads():
    """Stopping the simulator closes its websockets (1001) and leaves no server thread behind."""
    before = set(threading.enumerate())
    sim = Simulator()
    sim.start()
    try:
        url = WebClient(base_url=sim.slack_api_url).apps_connections_open(
            app_token=sim.slack_app_token
        )["url"]
        with connect(url, open_timeout=5) as ws:
            ws.recv(timeout=5)  # hello
            sim.stop()
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
    finally:
        sim.stop()
    assert sim.wait_for(lambda: not (set(threading.enumerate()) - before), timeout=2)
