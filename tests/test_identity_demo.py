"""`reaper demo` reaches one person through the enterprise's SAML identities, with no user map."""

from __future__ import annotations

import subprocess

import pytest

from tests.test_cli import REAPER


@pytest.mark.usefixtures("clean_env")
def test_the_demo_reaches_a_person_through_saml() -> None:
    """The person missing from the demo's user map is warned through SAML and answers."""
    result = subprocess.run(
        [*REAPER, "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "NOT reached through SAML" not in result.stdout
    line = next(x for x in result.stdout.splitlines() if "not in the user map" in x)
    assert "came from the enterprise's SAML single sign-on" in line
    assert "they were warned and answered in Slack" in line
    login = line.split(" ", 1)[0]
    assert f"{login} by answering in Slack" in result.stdout  # the keeper is the SAML person
