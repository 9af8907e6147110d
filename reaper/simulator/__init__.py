"""A local stand-in for GitHub's Copilot seat API and Slack, for tests and ``reaper demo``.

Everything listens on 127.0.0.1 only::

    with Simulator(clock=lambda: now) as sim:
        sim.add_org("acme")
        sim.add_seat("acme", "alice", created_at=then, last_activity_at=None)
        sim.add_enterprise("octo")                   # an enterprise, and an org of it
        sim.add_org("octo-a", enterprise="octo")
        sim.add_seat("enterprise:octo", "bob")       # a direct enterprise-level grant
        sim.add_seat("enterprise:octo", "eve", team="ent-devs")  # through an enterprise team
        ...  # point the reaper at sim.github_url, sim.slack_webhook_url, sim.slack_api_url
        assert sim.slack_messages

``Simulator(latency=0.1)`` (or ``sim.latency = 0.1``) sends every GitHub answer 0.1 s after
its request came in, for benchmarks; ``RecordedRequest.received_at`` tells when each request
arrived.

The GitHub responses follow GitHub's published OpenAPI description (npm ``@octokit/openapi``
23.0.2, ``generated/ghec.json``); ``tests/data/github-copilot-openapi.json`` holds the seat
endpoints' subset and the contract tests check the simulator against it.
"""

from reaper.simulator.core import Simulator
from reaper.simulator.faults import Fault
from reaper.simulator.server import RecordedRequest

__all__ = ["Fault", "RecordedRequest", "Simulator"]
