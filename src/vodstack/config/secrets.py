"""Local secrets: generated on first run under data_dir/secrets, refused if weak in production."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from vodstack.config.settings import Mode, Settings

PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "dev", "test", "password"})
MIN_LENGTH = 32


class InsecureSecretError(ValueError):
    """A placeholder or short secret outside local mode."""


def _secret_file(settings: Settings) -> Path:
    return settings.data_dir / "secrets" / "secret_key"


def _read_or_create(path: Path) -> str:
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # Create with 0600 from the start so the key is never world-readable, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def with_secrets(settings: Settings) -> Settings:
    """Return settings with a usable secret key, generating a local one if needed."""
    current = settings.secret_key.get_secret_value() if settings.secret_key else None
    if settings.mode is Mode.PRODUCTION:
        if current is None or current.lower() in PLACEHOLDERS or len(current) < MIN_LENGTH:
            raise InsecureSecretError(
                "VODSTACK_SECRET_KEY must be a random string of at least "
                f"{MIN_LENGTH} characters in production mode"
            )
        return settings
    if current is not None:
        return settings
    value = _read_or_create(_secret_file(settings))
    return settings.model_copy(update={"secret_key": SecretStr(value)})
