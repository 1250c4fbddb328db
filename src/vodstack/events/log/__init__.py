"""The durable append-only log: one small interface (`EventLog`), several backends.

`open_event_log(settings)` picks the configured backend: the embedded SQLite file (default,
nothing to run) or Redis Streams (production). Both pass tests/events/log/test_contract.py.
"""

from vodstack.events.log.interface import (
    Appended,
    DeadLetter,
    EventLog,
    LogClosed,
    LogUnavailable,
    Record,
    partition_for,
)
from vodstack.events.log.opening import open_event_log

__all__ = [
    "Appended",
    "DeadLetter",
    "EventLog",
    "LogClosed",
    "LogUnavailable",
    "Record",
    "open_event_log",
    "partition_for",
]
