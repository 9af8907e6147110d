"""The simulated Apps, installations and tokens, and their JSON as GitHub's OpenAPI says."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization

from reaper.simulator import github_objects as objects

if TYPE_CHECKING:
    from datetime import datetime

    from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class App:
    """A registered GitHub App and its key pair."""

    app_id: int
    slug: str
    client_id: str
    key: rsa.RSAPrivateKey

    @property
    def private_key_pem(self) -> str:
        """The private key as GitHub hands it out (PKCS#1 PEM, ``BEGIN RSA PRIVATE KEY``)."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()


@dataclass
class Installation:
    """An App installed on an org, with the permissions the org granted it."""

    installation_id: int
    app: App
    org: str
    permissions: dict[str, str]
    created_at: datetime
    rate_limit: int | None = None  # its hourly limit; None: the registry's default


@dataclass
class IssuedToken:
    """An installation token handed out: which installation, until when."""

    installation: Installation
    expires_at: datetime
    permissions: dict[str, str] = field(default_factory=dict)


def installation_body(installation: Installation) -> dict[str, Any]:
    """An installation as ``GET /orgs/{org}/installation`` answers (GitHub's schema)."""
    app, number, org = installation.app, installation.installation_id, installation.org
    created = objects.iso(installation.created_at)
    return {
        "id": number,
        "account": account(org, 9000 + number),
        "repository_selection": "selected",
        "access_tokens_url": f"https://api.github.com/app/installations/{number}/access_tokens",
        "repositories_url": "https://api.github.com/installation/repositories",
        "html_url": f"https://github.com/organizations/{org}/settings/installations/{number}",
        "app_id": app.app_id,
        "client_id": app.client_id,
        "target_id": 9000 + number,
        "target_type": "Organization",
        "permissions": dict(installation.permissions),
        "events": [],
        "created_at": created,
        "updated_at": created,
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "app_slug": app.slug,
        "suspended_by": None,
        "suspended_at": None,
        "contact_email": None,
    }


def account(login: str, number: int) -> dict[str, Any]:
    """The org as GitHub's ``simple-user`` shape describes an installation's account."""
    api = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": number,
        "node_id": f"O_kgDO{number}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "Organization",
        "site_admin": False,
    }


def app_body(app: App) -> dict[str, Any]:
    """The App as ``GET /app`` answers."""
    return {
        "id": app.app_id,
        "slug": app.slug,
        "client_id": app.client_id,
        "name": app.slug,
        "html_url": f"https://github.com/apps/{app.slug}",
    }
