"""Configuration: the ``REAPER_*`` settings, loaded once and checked strictly."""

from reaper.config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
