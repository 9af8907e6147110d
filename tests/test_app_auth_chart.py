"""The Helm chart with a GitHub App: its ID and installation in the ConfigMap, its key a secret."""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reaper.config.settings import Settings
from tests.deploy.chart import NAMESPACE, RELEASE, VALUE_SETS, config, one, pod_spec, render_failure
from tests.deploy.tools import CHART, run_helm

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def render(tmp_path: Path, values: dict[str, Any]) -> list[dict[str, Any]]:
    extra = tmp_path / "app-values.yaml"
    extra.write_text(yaml.safe_dump(values))
    result = run_helm(
        "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
        "-f", str(VALUE_SETS["minimal"]), "-f", str(extra),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def test_the_chart_renders_an_app_without_a_classic_token(tmp_path: Path):
    """App ID and installation ID in the ConfigMap; the key in the Secret; the token optional."""
    key = pem()
    docs = render(
        tmp_path,
        {
            "github": {"app": {"id": "123456", "installationId": 7890}},
            "secret": {"githubToken": "", "githubAppPrivateKey": key},
        },
    )
    settings = config(docs)
    assert settings["REAPER_GITHUB_APP_ID"] == "123456"
    assert settings["REAPER_GITHUB_APP_INSTALLATION_ID"] == "7890"
    assert "REAPER_GITHUB_APP_PRIVATE_KEY" not in settings
    secret = one(docs, "Secret")["stringData"]
    assert secret == {"REAPER_GITHUB_APP_PRIVATE_KEY": key}
    env = {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in pod_spec(docs)["containers"][0]["env"]
    }
    assert env["REAPER_GITHUB_TOKEN"]["optional"] is True
    assert env["REAPER_GITHUB_APP_PRIVATE_KEY"]["optional"] is True
    loaded = Settings(
        **{k.removeprefix("REAPER_").lower(): v for k, v in (settings | secret).items()}
    )
    assert loaded.github_app_id == "123456"
    assert loaded.github_app_installation_id == 7890
    assert loaded.github_token is None


def test_an_app_from_an_existing_secret_renders(tmp_path: Path):
    """With existingSecret the key is read from it; the chart creates no Secret."""
    docs = render(tmp_path, {"github": {"app": {"id": "Iv23liABCDEF"}}, "existingSecret": "mine"})
    assert "Secret" not in {doc["kind"] for doc in docs}
    assert config(docs)["REAPER_GITHUB_APP_INSTALLATION_ID"] == ""


def test_an_app_without_its_key_fails_to_render():
    """github.app.id with no key source: helm refuses, naming REAPER_GITHUB_APP_PRIVATE_KEY."""
    complaint = render_failure(
        "-f", str(VALUE_SETS["minimal"]), "--set", "github.app.id=123456",
        "--set", "secret.githubToken=",
    )  # fmt: skip
    assert "REAPER_GITHUB_APP_PRIVATE_KEY" in complaint
