"""`reaper demo`'s epilogue: a cancel moved to the cycle end, a person kept by the usage report."""

from __future__ import annotations

import subprocess

import pytest

from tests.test_cli import REAPER


@pytest.mark.usefixtures("clean_env")
def test_the_demo_shows_the_cycle_end_and_the_usage_report() -> None:
    """The epilogue keeps lagging-lee (records disagree) and cancels mia on the planned run."""
    result = subprocess.run(
        [*REAPER, "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    epilogue = out[out.index("Epilogue, acme-finance") :]
    assert "records disagree: lagging-lee, the seat record's last use is" in epilogue
    waiting = epilogue.index("the last run that still saves the next month's charge")
    cancelled = epilogue.index("• month-end-mia", waiting)
    assert epilogue.index("Cancelled (1)") < cancelled
    assert "lagging-lee" not in epilogue[epilogue.index("Cancelled (1)") :].split("Done:")[0]
    assert out.index("Needs a person") < out.index("Epilogue")  # the main story comes first
