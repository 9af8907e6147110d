"""One scrubbing step for every text that leaves the process: logs, reports, Slack, audit.

Two nets catch a secret. Values registered with ``register_secrets`` (the configured tokens)
are replaced wherever they appear; and anything shaped like a credential is replaced even
when nobody registered it: GitHub tokens (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``,
``github_pat_``; installation tokens in their long form with dots), JSON web tokens, PEM
private keys, Slack tokens (``xoxb-`` and kin, ``xapp-``), Slack webhook URLs, the value
of an ``Authorization`` header, any ``Bearer`` credential, passwords in URLs and secret query
parameters. GitHub and Slack may echo a request back in an error body, so a token can arrive
from outside as well as from our own configuration.

This module imports nothing from the reaper, so every other module (the exception tree
included) can use it.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable

REDACTED = "***"
SNIPPET_LIMIT = 200
_MIN_URL_PART = 8  # the path of a secret URL is itself a secret when at least this long

_CREDENTIAL_PARAMS = (
    "access_token|token|client_secret|password|api_key|apikey|key|sig|signature|"
    "x-amz-signature|x-amz-credential|x-amz-security-token"
)

# (pattern, replacement, clue): the replacement keeps the harmless context around the
# credential; the clue is found in every text the pattern matches (never the other way
# round), so a text with no clue at all skips the patterns (issue 21: most texts have none).
_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    # A private key in PEM (a GitHub App's), whole or from its first line on.
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:.*?-----END [A-Z ]*PRIVATE KEY-----|.*)",
            re.DOTALL,
        ),
        REDACTED,
        "-----BEGIN ",
    ),
    # A JSON web token (a GitHub App's JWT): base64url header, payload and signature.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), REDACTED, "eyJ"),
    # GitHub: classic and OAuth, user-to-server, server-to-server and refresh tokens; an
    # installation token's new long form holds dots, dashes and underscores too.
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)*"), REDACTED, "gh[pousr]_"),
    # GitHub fine-grained personal access tokens.
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{8,}"), REDACTED, "github_pat_"),
    # Slack bot, user, app-level, configuration and refresh tokens.
    (re.compile(r"\bxox[abposre]-[A-Za-z0-9][A-Za-z0-9-]*"), REDACTED, "xox[abposre]-"),
    (re.compile(r"\bxapp-[A-Za-z0-9][A-Za-z0-9-]*"), REDACTED, "xapp-"),
    # Slack incoming webhooks (and workflow triggers): the path is the credential.
    (
        re.compile(r"(hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/)[\w/-]+"),
        r"\g<1>" + REDACTED,
        r"hooks\.slack",
    ),
    # Authorization headers, whatever the scheme, quoted or not, in text or in JSON.
    (
        re.compile(
            r"(?i)(\b(?:proxy-)?authorization\b[\"']?\s*[:=]?\s*[\"']?\s*"
            r"(?:bearer|token|basic|digest|bot)\s+)[^\s\"'\\,;}\]]+"
        ),
        r"\g<1>" + REDACTED,
        "(?i:authorization)",
    ),
    # A bearer credential anywhere (the word is rare outside an Authorization header).
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+"), r"\g<1>" + REDACTED, "(?i:bearer)"),
    # A password in a URL: scheme://user:password@host.
    (
        re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@\"'\\]*:)[^\s/@\"'\\]+@"),
        r"\g<1>" + REDACTED + "@",
        "://",
    ),
    # Secret query parameters.
    (
        re.compile(rf"(?i)([?&](?:{_CREDENTIAL_PARAMS})=)[^&\s\"'#]+"),
        r"\g<1>" + REDACTED,
        rf"(?i:[?&](?:{_CREDENTIAL_PARAMS})=)",
    ),
)
_CLUES = re.compile("|".join(clue for _, _, clue in _PATTERNS))

_lock = threading.Lock()
_known: tuple[str, ...] = ()
_known_pattern: re.Pattern[str] | None = None


def _forms(value: str) -> set[str]:
    """A secret as configured, without surrounding whitespace, and a secret URL's path."""
    forms = {value, value.strip()}
    parts = urlsplit(value.strip())
    if parts.scheme and parts.netloc and len(parts.path.strip("/")) >= _MIN_URL_PART:
        forms.add(parts.path.strip("/"))
        last = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if len(last) >= _MIN_URL_PART:
            forms.add(last)
    return {form for form in forms if form.strip()}


def register_secrets(values: Iterable[str]) -> None:
    """Add process-wide secret values to replace wherever they appear (longest first)."""
    global _known, _known_pattern  # noqa: PLW0603 - one registry for the whole process
    added = {form for value in values if value and value.strip() for form in _forms(value)}
    if not added:
        return
    with _lock:
        merged = sorted({*_known, *added}, key=lambda s: (-len(s), s))
        _known = tuple(merged)
        _known_pattern = re.compile("|".join(re.escape(secret) for secret in merged))


def scrub(text: str) -> str:
    """Return ``text`` with every registered secret and every credential-shaped value replaced."""
    known = _known_pattern
    if known is not None:
        text = known.sub(REDACTED, text)
    if _CLUES.search(text) is None:
        return text
    for pattern, replacement, _ in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub_data(obj: Any) -> Any:
    """Return ``obj`` with every string inside (dicts, lists, tuples, nested) scrubbed."""
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, dict):
        return {key: scrub_data(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [scrub_data(item) for item in obj]
    if isinstance(obj, tuple):
        return tuple(scrub_data(item) for item in obj)
    return obj


def snippet(text: str, limit: int = SNIPPET_LIMIT) -> str:
    """A short, one-line, scrubbed quote of a body from GitHub or Slack.

    Scrubbed before it is cut, so a secret cut in half cannot slip past the registry.
    """
    clean = " ".join(scrub(text).split())
    if len(clean) <= limit:
        return clean
    return clean[: max(limit - 1, 0)] + "…"
