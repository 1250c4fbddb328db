"""Open the configured event log backend (settings.events)."""

from __future__ import annotations

from vodstack.config.settings import EventLogBackend, Settings
from vodstack.events.log.interface import EventLog
from vodstack.events.log.redis_streams import RedisEventLog
from vodstack.events.log.sqlite import SqliteEventLog


def open_event_log(settings: Settings) -> EventLog:
    config = settings.events
    if config.backend is EventLogBackend.REDIS:
        return RedisEventLog(config.redis_url, config.partitions, prefix=config.redis_prefix)
    return SqliteEventLog(settings.data_dir / "events" / "log.sqlite", config.partitions)
