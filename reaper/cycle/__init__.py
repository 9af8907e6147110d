"""The orchestrator: one cycle (scan, decide, limit, act, remember, report) and its steps.

``orchestrator`` runs a cycle top to bottom; ``plan`` reads and decides, ``act`` and
``cancel`` carry out a live plan, ``reconcile`` settles cancels whose outcome was lost,
``release`` and ``reinstate`` take a person's seat away or give it back on request.
"""

from reaper.cycle.orchestrator import Cycle, CycleOutcome

__all__ = ["Cycle", "CycleOutcome"]
