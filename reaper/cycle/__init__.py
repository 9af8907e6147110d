"""The orchestrator: one cycle (scan, decide, limit, act, remember, report) and its steps.

``orchestrator`` runs a cycle top to bottom; ``plan`` reads and decides, ``act`` and
``cancel`` carry out a live plan, ``listing`` fills the report's lists, ``remember`` writes
what the cycle learnt, ``deliver`` sends the report, ``reconcile`` settles cancels whose
outcome was lost, ``release`` and ``reinstate`` take a person's seat away or give it back on
request.
"""

from reaper.cycle.orchestrator import Cycle, CycleOutcome

__all__ = ["Cycle", "CycleOutcome"]
