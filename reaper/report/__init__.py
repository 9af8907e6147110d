"""What a cycle found and did, and how that is written for people."""

from reaper.report.model import Counts, CycleReport, Entry, OrgReport
from reaper.report.text import render_text

__all__ = ["Counts", "CycleReport", "Entry", "OrgReport", "render_text"]
