"""The simulated Slack answers slack_sdk's webhook and Web API calls and records them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from .support import BOT_TOKEN

if TYPE_CHECKING:
    from reaper.simulator import Simulator


@pytest.fixture
def slack(sim: Simulator) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=sim.slack_api_url, timeout=5)


def test_webhook_post_is_recorded(sim: Simulator):
    """A webhook post answers 200 "ok" and lands in slack_messages with via=webhook."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*3 idle seats*"}}]
    response = WebhookClient(sim.slack_webhook_url).send(text="3 idle seats", blocks=blocks)
    assert response.status_code == 200
    assert response.body == "ok"
    [message] = sim.slack_messages
    assert message["via"] == "webhook"
    assert message["text"] == "3 idle seats"
    assert message["blocks"] == blocks
    assert message["channel"] is None


def test_webhook_rejects_invalid_json(sim: Simulator):
    """A webhook body that is not JSON answers 400 invalid_payload and records nothing."""
    response = httpx.post(sim.slack_webhook_url, content=b"not json")
    assert response.status_code == 400
    assert response.text == "invalid_payload"
    assert sim.slack_messages == []


def test_webhook_rejects_too_many_blocks(sim: Simulator):
    """More than 50 blocks are refused like Slack does (invalid_blocks)."""
    blocks = [{"type": "divider"}] * 51
    response = WebhookClient(sim.slack_webhook_url).send(text="x", blocks=blocks)
    assert response.status_code == 400
    assert response.body == "invalid_blocks"


def test_chat_post_message_is_recorded_with_unique_ts(sim: Simulator, slack: WebClient):
    """chat.postMessage records channel/text/blocks and answers ok with distinct ts values."""
    first = slack.chat_postMessage(channel="C0123", text="hello", blocks=[{"type": "divider"}])
    second = slack.chat_postMessage(channel="C0123", text="again", thread_ts=first["ts"])
    assert first["ok"] is True
    assert first["channel"] == "C0123"
    assert first["ts"] != second["ts"]
    assert first["message"]["text"] == "hello"
    messages = sim.slack_messages
    assert [m["via"] for m in messages] == ["chat.postMessage"] * 2
    assert messages[0]["channel"] == "C0123"
    assert messages[0]["blocks"] == [{"type": "divider"}]
    assert messages[1]["thread_ts"] == first["ts"]


def test_chat_post_message_to_user_id_opens_dm(slack: WebClient):
    """Posting to a user id answers with a D-channel, as Slack's DMs do."""
    assert slack.chat_postMessage(channel="U0ALICE", text="hi")["channel"] == "D0ALICE"


def test_chat_post_message_without_text_fails(slack: WebClient):
    """A message with neither text nor blocks fails with no_text."""
    with pytest.raises(SlackApiError) as raised:
        slack.api_call("chat.postMessage", json={"channel": "C0123"})  # sdk would warn first
    assert raised.value.response["error"] == "no_text"


def test_auth_test_succeeds_with_the_bot_token(slack: WebClient):
    """auth.test answers ok with the bot's identity."""
    response = slack.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == "U000BOT"


def test_invalid_auth(sim: Simulator):
    """A wrong bot token answers HTTP 200 with ok=false, error=invalid_auth."""
    client = WebClient(token="xoxb-wrong", base_url=sim.slack_api_url)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0123", text="hi")
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "invalid_auth"
    assert sim.slack_messages == []


def test_token_form_field_is_accepted(sim: Simulator):
    """The token may also come as a form field instead of the Authorization header."""
    response = httpx.post(f"{sim.slack_api_url}auth.test", data={"token": BOT_TOKEN})
    assert response.json()["ok"] is True


def test_unknown_method(slack: WebClient):
    """Methods the simulator does not know answer unknown_method."""
    with pytest.raises(SlackApiError) as raised:
        slack.api_call("emoji.list")
    assert raised.value.response["error"] == "unknown_method"


def test_users_lookup_by_email_found(sim: Simulator, slack: WebClient):
    """users.lookupByEmail returns the id registered in slack_users_by_email."""
    sim.slack_users_by_email["alice@example.com"] = "U0ALICE"
    response = slack.users_lookupByEmail(email="alice@example.com")
    assert response["user"]["id"] == "U0ALICE"
    assert response["user"]["profile"]["email"] == "alice@example.com"


def test_users_lookup_by_email_not_found(slack: WebClient):
    """An unknown e-mail answers users_not_found."""
    with pytest.raises(SlackApiError) as raised:
        slack.users_lookupByEmail(email="nobody@example.com")
    assert raised.value.response["error"] == "users_not_found"


def test_conversations_open_returns_dm_channel(slack: WebClient):
    """conversations.open with one user id returns that user's D-channel."""
    response = slack.conversations_open(users="U0ALICE")
    assert response["channel"]["id"] == "D0ALICE"


def test_files_upload_v2_end_to_end(sim: Simulator, slack: WebClient):
    """files_upload_v2 runs all three steps against the simulator and the file is recorded."""
    thread = slack.chat_postMessage(channel="C0123", text="report")["ts"]
    response = slack.files_upload_v2(
        channel="C0123",
        thread_ts=thread,
        content="login,last_activity\nalice,\n",
        filename="idle-seats.csv",
        title="Idle seats",
        initial_comment="Full list attached",
    )
    assert response["ok"] is True
    assert response["file"]["title"] == "Idle seats"
    [uploaded] = sim.slack_files
    assert uploaded["filename"] == "idle-seats.csv"
    assert uploaded["title"] == "Idle seats"
    assert uploaded["content"] == b"login,last_activity\nalice,\n"
    assert uploaded["channel_id"] == "C0123"
    assert uploaded["thread_ts"] == thread
    assert uploaded["initial_comment"] == "Full list attached"
    assert any(r.path.startswith("/slack/files/upload/") for r in sim.requests)


def test_complete_upload_without_upload_fails(slack: WebClient):
    """Completing an upload whose bytes never arrived fails with file_not_found."""
    file_id = slack.files_getUploadURLExternal(filename="x.csv", length=3)["file_id"]
    with pytest.raises(SlackApiError) as raised:
        slack.files_completeUploadExternal(files=[{"id": file_id, "title": "x"}])
    assert raised.value.response["error"] == "file_not_found"


def test_reset_records_forgets_messages_and_requests(sim: Simulator, slack: WebClient):
    """reset_records empties requests, messages and files but keeps state."""
    sim.slack_users_by_email["a@example.com"] = "U1"
    slack.chat_postMessage(channel="C1", text="x")
    sim.reset_records()
    assert sim.requests == []
    assert sim.slack_messages == []
    assert sim.slack_users_by_email == {"a@example.com": "U1"}


def test_chat_update_changes_the_message(sim: Simulator, slack: WebClient):
    """chat.update is recorded and the message as it stands has the new text and blocks."""
    posted = slack.chat_postMessage(channel="U0ALICE", text="old", blocks=[{"type": "divider"}])
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "new"}}]
    response = slack.chat_update(
        channel=posted["channel"], ts=posted["ts"], text="new", blocks=blocks
    )
    assert (response["channel"], response["ts"]) == ("D0ALICE", posted["ts"])
    [update] = sim.slack_updates
    assert (update["channel"], update["ts"], update["text"]) == ("D0ALICE", posted["ts"], "new")
    current = sim.slack_message("U0ALICE", posted["ts"])
    assert current is not None
    assert (current["text"], current["blocks"]) == ("new", blocks)
    assert sim.slack_messages[0]["text"] == "old"  # the log of posts keeps what was posted


def test_chat_update_of_an_unknown_message_fails(sim: Simulator, slack: WebClient):
    """chat.update on a ts that was never posted fails with message_not_found."""
    posted = slack.chat_postMessage(channel="C0123", text="x")
    with pytest.raises(SlackApiError) as raised:
        slack.chat_update(channel="C0999", ts=posted["ts"], text="y")
    assert raised.value.response["error"] == "message_not_found"
    assert sim.slack_updates == []


def test_chat_post_ephemeral_is_recorded(sim: Simulator, slack: WebClient):
    """chat.postEphemeral answers a message_ts and is recorded, not kept as a message."""
    response = slack.chat_postEphemeral(channel="C0123", user="U0BOB", text="not allowed")
    [ephemeral] = sim.slack_ephemeral
    assert (ephemeral["channel"], ephemeral["user"], ephemeral["text"]) == (
        "C0123",
        "U0BOB",
        "not allowed",
    )
    assert ephemeral["message_ts"] == response["message_ts"]
    assert sim.slack_message("C0123", response["message_ts"]) is None


def test_usergroups_users_list(sim: Simulator, slack: WebClient):
    """usergroups.users.list answers a group's members; an unknown group: no_such_subteam."""
    sim.slack_user_groups = {"S0ADMINS": ["U0ALICE", "U0BOB"]}
    assert slack.usergroups_users_list(usergroup="S0ADMINS")["users"] == ["U0ALICE", "U0BOB"]
    with pytest.raises(SlackApiError) as raised:
        slack.usergroups_users_list(usergroup="S0NOPE")
    assert raised.value.response["error"] == "no_such_subteam"


def test_reset_records_forgets_updates_but_not_messages(sim: Simulator, slack: WebClient):
    """reset_records empties updates and ephemeral posts; messages as they stand remain."""
    posted = slack.chat_postMessage(channel="C1", text="x")
    slack.chat_update(channel="C1", ts=posted["ts"], text="y")
    slack.chat_postEphemeral(channel="C1", user="U1", text="z")
    sim.reset_records()
    assert (sim.slack_updates, sim.slack_ephemeral) == ([], [])
    assert sim.slack_message("C1", posted["ts"])["text"] == "y"
