"""A local stand-in for GitHub's Copilot seat API and Slack, for tests and ``reaper demo``.

Everything listens on 127.0.0.1 only::

    with Simulator(clock=lambda: now) as sim:
        sim.add_org("acme")
        sim.add_seat("acme", "alice", created_at=then, last_activity_at=None)
        ...  # point the reaper at sim.github_url, sim.slack_webhook_url, sim.slack_api_url
        assert sim.slack_messages

The GitHub responses follow GitHub's published OpenAPI description (npm ``@octokit/openapi``
23.0.2, ``generated/ghec.json``); ``tests/data/github-copilot-openapi.json`` holds the seat
endpoints' subset and the contract tests check the simulator against it.
"""

from reaper.simulator.core import Simulator
from reaper.simulator.faults import Fault
from reaper.simulator.server import RecordedRequest

__all__ = ["Fault", "RecordedRequest", "Simulator"]
