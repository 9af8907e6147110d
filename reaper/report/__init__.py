"""What a cycle found and did, and how that is written for people."""

from reaper.report.model import Counts, CycleReport, Entry, OrgReport
from reaper.report.summary import Prices
from reaper.report.text import render_text

__all__ = ["Counts", "CycleReport", "Entry", "OrgReport", "Prices", "render_text"]
