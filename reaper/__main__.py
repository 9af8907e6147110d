"""``python -m reaper``."""

from reaper.cli import entry

entry()
