"""The Slack app manifest in the README is what the buttons and messages need."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

README = Path(__file__).resolve().parent.parent / "README.md"


def manifest() -> dict[str, object]:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.DOTALL)
    found = [yaml.safe_load(b) for b in blocks if "socket_mode_enabled" in b]
    assert len(found) == 1, "exactly one Slack app manifest in the README"
    assert isinstance(found[0], dict)
    return found[0]


def test_manifest_turns_on_socket_mode_and_interactivity() -> None:
    """The manifest enables Socket Mode and interactivity, without token rotation."""
    settings = manifest()["settings"]
    assert isinstance(settings, dict)
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["token_rotation_enabled"] is False


def test_manifest_asks_for_every_scope_the_reaper_uses() -> None:
    """Every bot scope the README's Slack table names is in the manifest, and nothing else."""
    oauth = manifest()["oauth_config"]
    assert isinstance(oauth, dict)
    scopes = set(oauth["scopes"]["bot"])
    assert scopes == {
        "chat:write",
        "files:write",
        "im:write",
        "users:read",
        "users:read.email",
        "usergroups:read",
    }
    table = README.read_text().split("## Slack", 1)[1].split("###", 1)[0]
    assert set(re.findall(r"`([a-z]+:[a-z.]+)`", table)) - {"connections:write"} <= scopes
