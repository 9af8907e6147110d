"""The long-running service of ``reaper run``: the scheduler and the health/metrics server."""
