"""The GitHub App settings: the App's ID, its private key, and how they go with the token.

``PrivateKey`` is checked as it is read (it must parse as an RSA PEM key; the message never
quotes it). ``credentials_problem`` checks the settings together: a token or a whole App,
no half App, a classic token beside an App for an enterprise, one org for a fixed
installation ID.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

_KEY_LINE = 16  # a shorter line of a key is too common a string to redact on its own
_APP_ID = re.compile(r"^(?:[0-9]{1,12}|Iv[0-9A-Za-z.]{4,40})$")  # an app ID or a client ID


def _strip(value: object) -> object:
    """Surrounding whitespace stripped; empty means unset (the chart renders it so)."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _installation_id(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _app_id(value: str | None) -> str | None:
    if value is not None and not _APP_ID.match(value):
        raise ValueError(
            "not a GitHub App ID (a number such as 123456) or client ID (Iv23li...): "
            "see the App's settings page, General, About"
        )
    return value


def load_private_key(pem: str) -> RSAPrivateKey:
    """Parse an App's private key (PEM, PKCS#1 or PKCS#8); ``ValueError`` never quoting it."""
    # cryptography loads only when an App key is configured (issue 21: memory per verb)
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey  # noqa: PLC0415
    from cryptography.hazmat.primitives.serialization import load_pem_private_key  # noqa: PLC0415

    text = pem.strip().replace("\\n", "\n")
    try:
        key = load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError(
            "is not a PEM private key (use the .pem file GitHub generated for the App, "
            "PKCS#1 'BEGIN RSA PRIVATE KEY' or PKCS#8 'BEGIN PRIVATE KEY', unencrypted)"
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("is not an RSA private key (a GitHub App key is RSA)")  # noqa: TRY004
    return key


def _private_key(value: SecretStr | None) -> SecretStr | None:
    if value is None:
        return None
    load_private_key(value.get_secret_value())
    return SecretStr(value.get_secret_value().strip().replace("\\n", "\n"))


#: The App's ID or client ID, may be left unset.
AppId = Annotated[str | None, BeforeValidator(_strip), AfterValidator(_app_id)]
#: An installation's ID, may be left unset (or empty).
InstallationId = Annotated[Annotated[int, Field(ge=1)] | None, BeforeValidator(_installation_id)]
#: The App's private key (PEM, PKCS#1 or PKCS#8), may be left unset.
PrivateKey = Annotated[SecretStr | None, BeforeValidator(_strip), AfterValidator(_private_key)]


def credentials_problem(
    *,
    token: bool,
    app_id: bool,
    private_key: bool,
    installation_id: bool,
    orgs: Sequence[str],
    enterprise: str | None,
) -> str | None:
    """Say what is missing or contradictory among the GitHub credentials, or ``None``."""
    if app_id and not private_key:
        return "REAPER_GITHUB_APP_PRIVATE_KEY is required with REAPER_GITHUB_APP_ID"
    if private_key and not app_id:
        return "REAPER_GITHUB_APP_ID is required with REAPER_GITHUB_APP_PRIVATE_KEY"
    if installation_id and not app_id:
        return "REAPER_GITHUB_APP_INSTALLATION_ID needs REAPER_GITHUB_APP_ID"
    if not token and not app_id:
        return (
            "REAPER_GITHUB_TOKEN is required (or a GitHub App: REAPER_GITHUB_APP_ID and "
            "REAPER_GITHUB_APP_PRIVATE_KEY)"
        )
    if app_id and enterprise is not None and not token:
        return (
            f"REAPER_GITHUB_TOKEN is required for REAPER_GITHUB_ENTERPRISE ({enterprise}) "
            "beside a GitHub App: GitHub opens the enterprise seat endpoints only to a "
            "classic personal access token (manage_billing:copilot), not to Apps"
        )
    if installation_id and len(orgs) > 1:
        return (
            "REAPER_GITHUB_APP_INSTALLATION_ID names one installation, for one org: with "
            "several REAPER_GITHUB_ORGS leave it unset (each org's installation is looked up)"
        )
    return None


def key_lines(key: SecretStr | None) -> list[str]:
    """The base64 lines of a private key, each a secret on its own (for redaction)."""
    if key is None:
        return []
    lines = key.get_secret_value().splitlines()
    return [
        line.strip() for line in lines if len(line.strip()) >= _KEY_LINE and "-----" not in line
    ]


def no_credentials(values: Mapping[str, object]) -> list[tuple[str, str]]:
    """The missing-token problem when neither a token nor an App is given (by any name).

    Named with the other bad settings when those stop the model's own check from running.
    """
    given = {name.upper().removeprefix("REAPER_") for name, value in values.items() if value}
    if given & {"GITHUB_TOKEN", "GITHUB_APP_ID"}:
        return []
    return [("REAPER_GITHUB_TOKEN", "is required (or a GitHub App: REAPER_GITHUB_APP_ID)")]
