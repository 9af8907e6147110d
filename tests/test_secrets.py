"""Secrets never leave: GitHub or Slack may echo a token back, and no output may repeat it."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import pytest
import structlog

from reaper import redact
from reaper.errors import GitHubError, SlackDeliveryError, StateStoreError
from reaper.github import GitHubClient
from reaper.logs import configure_logging
from reaper.metrics import Metrics
from reaper.simulator import Fault
from reaper.slack.transport import SlackCallError
from reaper.store import SqlStore
from tests.conftest import GITHUB_TOKEN, SLACK_BOT_TOKEN
from tests.harness import Reaper, active_seat, idle_seat
from tests.slack.support import bot_settings
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

# Token-shaped values nobody configured: only the patterns can catch them.
OTHER_GITHUB = "ghp_" + "Zq9x" * 9
FINE_GRAINED = "github_pat_11ABCDEFG0" + "k7" * 20
SLACK_LIKE = "xoxb-2400-1234-NOTconfiguredANYWHERE"
BEARER = "abc.def"
LEAKS = (GITHUB_TOKEN, SLACK_BOT_TOKEN, OTHER_GITHUB, FINE_GRAINED, SLACK_LIKE, BEARER)

# GitHub's error bodies echoing the request, as JSON and as plain text.
ECHO_JSON = {
    "message": f"Bad credentials; request_headers: Authorization: Bearer {GITHUB_TOKEN}, "
    f"also {OTHER_GITHUB}",
    "request_headers": f"Authorization: Bearer {GITHUB_TOKEN}",
}
ECHO_TEXT = (
    f"Bad gateway\nAuthorization: token {GITHUB_TOKEN}\n{FINE_GRAINED} {SLACK_LIKE}\n"
    f"Bearer {BEARER}"
)
ORGS = ["acme", "beta", "gamma"]


def assert_clean(text: str) -> None:
    """No secret, configured or merely token-shaped, appears in ``text``."""
    found = [leak for leak in LEAKS if leak in text]
    assert found == [], text


def echo_faults(sim: Simulator, times: int = 1) -> None:
    """Every failure GitHub can quote: billing (JSON), seat list (text), cancel (JSON)."""
    sim.inject(Fault(path="^/orgs/beta/copilot/billing$", status=400, body=ECHO_JSON, times=times))
    sim.inject(
        Fault(path="^/orgs/gamma/copilot/billing/seats$", status=409, body=ECHO_TEXT, times=times)
    )
    sim.inject(
        Fault(path="selected_users$", method="DELETE", status=422, body=ECHO_JSON, times=times)
    )


def seed(sim: Simulator, clock: FakeClock) -> None:
    """An idle seat in acme (cancelled on the second cycle), and two more orgs."""
    for org in ORGS[1:]:
        sim.add_org(org)
    idle_seat(sim, clock, "idle-ian")
    active_seat(sim, clock, "busy-bea")


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """The process's logging as the CLI sets it up, written to a buffer, reset afterwards."""
    buffer = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", secrets=[GITHUB_TOKEN], stream=buffer)
    yield buffer
    structlog.reset_defaults()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (OTHER_GITHUB, "***"),
        ("gho_" + "a" * 36, "***"),
        ("ghu_" + "b" * 36, "***"),
        ("ghs_" + "c" * 36, "***"),
        ("ghr_" + "d" * 36, "***"),
        (f"pat {FINE_GRAINED} end", "pat *** end"),
        (f"{SLACK_LIKE}.", "***."),
        ("xoxp-1-2-3-abc xoxa-2-x xoxr-9 xoxs-1 xoxo-7", "*** *** *** *** ***"),
        ("app xapp-1-A0B-99-ffee", "app ***"),
        (
            "see https://hooks.slack.com/services/T000/B000/XXXXsecret now",
            "see https://hooks.slack.com/services/*** now",
        ),
        ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
        ('{"authorization": "token s3cr3t"}', '{"authorization": "token ***"}'),
        ("Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization: Basic ***"),
        ("sent Bearer abc.def back", "sent Bearer *** back"),
        ("postgresql://reaper:hunter2@db/reaper", "postgresql://reaper:***@db/reaper"),
        ("GET /x?access_token=abc123&page=2", "GET /x?access_token=***&page=2"),
        (
            "key -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- end",
            "key *** end",
        ),
        ("jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2ln end", "jwt *** end"),
    ],
)
def test_scrub_replaces_every_token_pattern(text: str, expected: str) -> None:
    """Scrubbing replaces each kind of token by its shape, though nobody registered it."""
    assert redact.scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "token accepted",
        "the token expired; renew REAPER_GITHUB_TOKEN",
        "ghost, ghp, gh_pages and ghost-rider",
        "Authorization failed for acme (401)",
        "bob_smith-emu logged in with xox and xapp",
        "https://github.com/orgs/acme/settings/copilot",
    ],
)
def test_scrub_leaves_ordinary_words(text: str) -> None:
    """Scrubbing leaves ordinary words, logins and plain URLs alone."""
    assert redact.scrub(text) == text


def test_registered_secrets_are_scrubbed_with_and_without_whitespace() -> None:
    """A registered value is replaced as configured and stripped, longest first."""
    redact.register_secrets(["  plain-words-secret\n", "plain-words-secret-longer"])
    text = "a plain-words-secret-longer b plain-words-secret c"
    assert redact.scrub(text) == "a *** b *** c"


def test_scrub_data_reaches_every_nested_string() -> None:
    """scrub_data scrubs strings in nested dicts, lists and tuples, and keeps other values."""
    payload = {"blocks": [{"text": {"text": f"x {OTHER_GITHUB}"}}], "n": 3, "t": (SLACK_LIKE,)}
    assert redact.scrub_data(payload) == {
        "blocks": [{"text": {"text": "x ***"}}],
        "n": 3,
        "t": ("***",),
    }


def test_snippet_is_short_one_line_and_scrubbed_before_it_is_cut() -> None:
    """A snippet is cut to the limit on one line, after scrubbing, so half a token never shows."""
    redact.register_secrets(["a-registered-secret-of-some-length"])
    quoted = redact.snippet("x" * 15 + "\n a-registered-secret-of-some-length " + "y" * 300, 30)
    assert quoted.startswith("x" * 15 + " *** y")
    assert len(quoted) == 30
    assert "a-registered" not in quoted


def test_exception_messages_are_scrubbed_whatever_built_them() -> None:
    """ReaperError and its subclasses scrub their message and keep their own fields."""
    error = GitHubError(f"echo: Authorization: Bearer {GITHUB_TOKEN} {OTHER_GITHUB}", status=401)
    assert str(error) == "echo: Authorization: Bearer *** ***"
    assert error.status == 401
    call_error = SlackCallError(f"chat.postMessage failed: {SLACK_LIKE}", "invalid_auth")
    assert (str(call_error), call_error.code) == ("chat.postMessage failed: ***", "invalid_auth")
    assert_clean(str(StateStoreError(f"state store failed: {FINE_GRAINED}")))


@pytest.mark.parametrize("body", [ECHO_JSON, ECHO_TEXT])
def test_github_client_errors_never_quote_a_token(sim: Simulator, body: object) -> None:
    """A GitHub error body echoing the request is quoted short and scrubbed in GitHubError."""
    sim.inject(Fault(path="^/orgs/acme/copilot/billing$", status=400, body=body))
    with (
        GitHubClient(base_url=sim.github_url, token=GITHUB_TOKEN) as client,
        pytest.raises(GitHubError) as raised,
    ):
        client.org_billing("acme")
    message = str(raised.value)
    assert message.startswith("GitHub answered 400 on GET /orgs/acme/copilot/billing: Bad ")
    assert_clean(message)


def test_live_cycle_keeps_echoed_tokens_out_of_slack_audit_logs_and_metrics(
    sim: Simulator, clock: FakeClock, tmp_path: Path, logged: io.StringIO
) -> None:
    """Echoed tokens reach no Slack message or file, audit row, log line or metric."""
    seed(sim, clock)
    reaper = Reaper(sim, clock, tmp_path, overrides=bot_settings(sim, github_orgs=ORGS))
    assert reaper.run().ok  # flags idle-ian and warns about it
    clock.advance(days=8)
    echo_faults(sim)
    outcome = reaper.run()
    assert not outcome.ok
    slack = json.dumps([sim.slack_messages, sim.slack_files], default=str)
    assert "Bad credentials" in slack  # the failures are reported, only the secrets are gone
    assert "Bad gateway" in slack
    assert_clean(slack)
    store = SqlStore(reaper.state_url)
    try:
        audit = store.audit_log()
    finally:
        store.close()
    assert {e.event for e in audit} >= {"cancel.failed", "scan.incomplete"}
    assert_clean(repr(audit))
    logs = logged.getvalue()
    assert "org.cancel_failed" in logs
    assert_clean(logs)
    metrics = Metrics(dry_run=False)
    metrics.record_cycle(outcome, 1.0, None)
    text = metrics.render().decode()
    assert 'reaper_org_last_cycle_ok{org="gamma"} 0.0' in text
    assert_clean(text)


def test_slack_errors_quoted_back_are_scrubbed(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A webhook's or the Web API's error echoing a token is reported without it."""
    idle_seat(sim, clock, "idle-ian")
    reaper = Reaper(sim, clock, tmp_path)
    sim.inject(Fault(path="/slack/webhook/", status=400, body=f"invalid_token {ECHO_TEXT}"))
    webhook = reaper.run()
    reaper.overrides = bot_settings(sim)
    error = {"ok": False, "error": f"invalid_auth {OTHER_GITHUB} {SLACK_LIKE}"}
    sim.inject(Fault(path="chat.postMessage", status=200, body=error, times=5))
    bot = reaper.run()
    assert [webhook.delivered, bot.delivered] == [False, False]
    errors = f"{webhook.delivery_error} | {bot.delivery_error}"
    assert "HTTP 400 invalid_token" in errors
    assert "invalid_auth" in errors
    assert_clean(errors)
    assert_clean(str(SlackDeliveryError(errors)))


def test_cli_once_keeps_echoed_tokens_out_of_its_output_and_audit(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """`reaper once` at debug level never prints or stores a token GitHub echoed."""
    seed(sim, clock)
    env = env_for(sim, tmp_path, LOG_LEVEL="DEBUG", GITHUB_ORGS=",".join(ORGS))
    echo_faults(sim)
    result = run(["once"], env)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Bad credentials" in output
    assert_clean(output)
    store = SqlStore(env["REAPER_STATE_URL"])
    try:
        assert_clean(repr(store.audit_log()))
    finally:
        store.close()
    assert_clean(json.dumps(sim.slack_messages))


@pytest.mark.parametrize("fmt", ["table", "slack", "csv", "json"])
def test_report_never_prints_an_echoed_token(sim: Simulator, tmp_path: Path, fmt: str) -> None:
    """`reaper report --format X` describes GitHub's failures without the tokens they echo."""
    for org in ORGS[1:]:
        sim.add_org(org)
    env = env_for(
        sim,
        tmp_path,
        GITHUB_ORGS=",".join(ORGS),
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="#admins",
        SLACK_API_URL=sim.slack_api_url,
    )
    del env["REAPER_SLACK_WEBHOOK_URL"]
    echo_faults(sim)
    result = run(["report", "--format", fmt], env)
    assert result.returncode == 1, result.stderr
    if fmt != "csv":  # the csv lists seats only
        assert "Bad credentials" in result.stdout
    assert_clean(result.stdout + result.stderr)


def test_configure_logging_registers_the_configured_secrets(logged: io.StringIO) -> None:
    """Values given to configure_logging are scrubbed from every later text, not only logs."""
    configure_logging(fmt="json", secrets=["configured-only-here-42"], stream=logged)
    structlog.get_logger("t").info("test.event", detail="x configured-only-here-42 y")
    assert "configured-only-here-42" not in logged.getvalue()
    assert redact.scrub("configured-only-here-42") == "***"
