"""Typed settings, built once at start-up and passed in."""

from vodstack.config.settings import Mode, Settings, load_settings

__all__ = ["Mode", "Settings", "load_settings"]
