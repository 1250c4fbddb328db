"""Options shared by several `vodstack` commands, declared once so their flags and help agree."""

from __future__ import annotations

import typer

DataDir = typer.Option(None, "--data-dir", help="Where data lives (default ./var).")
ConfigFile = typer.Option(None, "--config", help="A TOML settings file.")
