"""A title's own pipeline settings: whether its asset versions are encrypted (issue 20, point 5).

Encryption is a per-title choice ("unencrypted playback stays a per-title setting"): a trailer
or a free episode plays without a licence, a feature film with one. The choice lives in the
object store beside the title's masters and subtitles (`settings/{title_id}.json`), not in a
job row: every way a job starts (an upload, `POST /v1/jobs`, the offline CLI, a re-encode
after the choice changed, an added audio language) reads the same record, on any worker host,
and no database schema changes. A title without a record follows `pipeline.encrypt`.

PROBE reads it once and writes the answer into the job's plan (`JobPlan.encrypted`), so one job
= one asset version is encrypted throughout or not at all, whatever changes meanwhile; changing
the setting of a published title takes a new job, which publishes a new version with a new key.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from vodstack.storage import ObjectNotFoundError, ObjectStore
from vodstack.storage.keys import title_settings_key


class TitleSettings(BaseModel):
    # None = the platform's default (`pipeline.encrypt`).
    encrypt: bool | None = None


def read_title_settings(store: ObjectStore, title_id: int) -> TitleSettings:
    """The title's settings; defaults when it has none (or an unreadable record)."""
    try:
        return TitleSettings.model_validate_json(store.read_bytes(title_settings_key(title_id)))
    except (ObjectNotFoundError, ValidationError):
        return TitleSettings()


def write_title_settings(store: ObjectStore, title_id: int, settings: TitleSettings) -> None:
    store.put_bytes(title_settings_key(title_id), settings.model_dump_json().encode())


def set_encryption(store: ObjectStore, title_id: int, encrypt: bool | None) -> None:
    """Record the title's choice; None leaves whatever it had."""
    if encrypt is None:
        return
    current = read_title_settings(store, title_id)
    write_title_settings(store, title_id, current.model_copy(update={"encrypt": encrypt}))


def encrypts(store: ObjectStore, title_id: int, default: bool) -> bool:
    """Whether the title's next asset version is encrypted."""
    chosen = read_title_settings(store, title_id).encrypt
    return default if chosen is None else chosen
