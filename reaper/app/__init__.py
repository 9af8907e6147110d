"""The reaper wired from its settings: a cycle, a GitHub client and the real clock.

Beside them, the use cases that need the wiring outside a cycle: ``checks`` (``reaper
check`` and the service's start) and ``reinstate`` (the command and the Slack button).
"""

from reaper.app.wiring import github_client, open_cycle, utc_now

__all__ = ["github_client", "open_cycle", "utc_now"]
