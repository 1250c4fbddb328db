"""What the telemetry process runs: the popularity and telemetry consumers and their sinks."""

from __future__ import annotations

from dataclasses import dataclass, field

from vodstack.config.settings import Settings
from vodstack.contracts.telemetry import ConsumerStatus
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

    @classmethod
    def open(cls, settings: Settings, event_log: EventLog) -> TelemetryRuntime:
        runtime = cls(
            event_log,
            PopularitySink(settings.database_url("popularity")),
            TelemetrySink(settings.database_url("telemetry"), settings.events.series_bucket_s),
            settings.playback.heartbeat_interval_s,
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
