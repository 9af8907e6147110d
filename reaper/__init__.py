"""Copilot seat reaper: finds idle GitHub Copilot seats and cancels them after a warning."""

__version__ = "0.1.0"
