"""What the telemetry process runs: the popularity and telemetry consumers and their sinks."""

from __future__ import annotations

from dataclasses import dataclass, field

from vodstack.config.settings import Settings
from vodstack.contracts.telemetry import ConsumerStatus, Plays
from vodstack.core.data_memo import DataMemo
from vodstack.core.db import SqliteDataVersion
from vodstack.events.consumer import Consumer
from vodstack.events.consumers.database import DatabaseSink
from vodstack.events.consumers.popularity import PopularitySink
from vodstack.events.consumers.telemetry import TelemetrySink
from vodstack.events.groups import POPULARITY, TELEMETRY
from vodstack.events.log import EventLog


@dataclass
class TelemetryRuntime:
    event_log: EventLog
    popularity: PopularitySink
    telemetry: TelemetrySink
    heartbeat_s: float
    consumers: list[Consumer] = field(default_factory=list)
    #: The popularity file's data version (SQLite); None on PostgreSQL.
    plays_version: SqliteDataVersion | None = None
    #: `GET /v1/popularity` answers (JSON bytes) by `since_hour`, until the counts change.
    plays_answers: DataMemo[int, bytes] = field(default_factory=lambda: DataMemo(None))

    @classmethod
    def open(cls, settings: Settings, event_log: EventLog) -> TelemetryRuntime:
        version = SqliteDataVersion.of(settings.database_url("popularity"))
        runtime = cls(
            event_log,
            PopularitySink(settings.database_url("popularity")),
            TelemetrySink(settings.database_url("telemetry"), settings.events.series_bucket_s),
            settings.playback.heartbeat_interval_s,
            plays_version=version,
            plays_answers=DataMemo(version),
        )
        niceness = settings.events.consumer_niceness
        runtime.consumers = [
            Consumer(event_log, POPULARITY, runtime.popularity, niceness=niceness),
            Consumer(event_log, TELEMETRY, runtime.telemetry, niceness=niceness),
        ]
        return runtime

    def _sinks(self) -> dict[str, DatabaseSink]:
        return {POPULARITY: self.popularity, TELEMETRY: self.telemetry}

    def start(self) -> None:
        for consumer in self.consumers:
            consumer.start()

    def stop(self) -> None:
        for consumer in self.consumers:
            consumer.stop()
        for sink in self._sinks().values():
            sink.close()
        if self.plays_version is not None:
            self.plays_version.close()

    def plays_json(self, since_hour: int) -> bytes:
        """The popularity answer from `since_hour` on, read from the database (blocking) and
        kept in `plays_answers` until the counts change."""

        def read() -> bytes:
            plays = self.popularity.plays(since_hour)
            items = (Plays(title_id=t, region=r, hour=h, plays=p) for t, r, h, p in plays)
            return ("[" + ",".join(item.model_dump_json() for item in items) + "]").encode()

        return self.plays_answers.load(since_hour, read)

    def trim(self, now: float, series_retention_s: float, log_retention_s: float) -> None:
        """The series' retention, and applied ids the log can no longer replay."""
        self.telemetry.trim(now - series_retention_s)
        for sink in self._sinks().values():
            sink.forget_applied(now - log_retention_s)

    def status(self) -> list[ConsumerStatus]:
        return [
            ConsumerStatus(group=group, lag=self.event_log.lag(group), replays=sink.replays())
            for group, sink in self._sinks().items()
        ]
