"""The one settings object. Built at start-up by `load_settings`, never at import time.

Sources, strongest first: explicit overrides, `VODSTACK_*` environment variables, an optional
TOML file (`--config FILE` or `VODSTACK_CONFIG`), then the defaults below.
"""

from __future__ import annotations

import ipaddress
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from vodstack.config.resilience import ResilienceSettings

DEFAULT_PORTS: dict[str, int] = {
    "gateway": 8000,
    "accounts": 8101,
    "catalog": 8102,
    "playback": 8103,
    "pipeline": 8104,
    "events": 8105,
    "telemetry": 8106,
    "history": 8107,
    "recs": 8108,
    "experiments": 8109,
    "origin": 8110,
    "planner": 8111,
    "billing": 8112,
}


class Mode(StrEnum):
    LOCAL = "local"
    PRODUCTION = "production"


class RateLimit(BaseModel):
    """A token bucket: `burst` requests at once, refilled at `per_minute`."""

    per_minute: float = Field(10.0, gt=0)
    burst: int = Field(10, ge=1)


class AttemptLimit(BaseModel):
    """Consecutive failures allowed before a lock-out; each further lock-out lasts twice as long."""

    max_failures: int = Field(5, ge=1)
    lockout_s: float = Field(30.0, gt=0)
    max_lockout_s: float = Field(3600.0, gt=0)
    # A counter untouched this long starts afresh: old typos do not add up to a lock-out.
    forget_after_s: float = Field(24 * 3600.0, gt=0)


class LockoutSettings(BaseModel):
    """Guessing limits kept by the accounts service (the data's owner), so every gateway instance
    and every client address shares them (docs/security.md, "Limits")."""

    profile_pin: AttemptLimit = AttemptLimit()
    # Across all of an account's profiles: spreading guesses over profiles gains little.
    account_pin: AttemptLimit = AttemptLimit(max_failures=10)
    account_login: AttemptLimit = AttemptLimit(max_failures=10)


class BodyLimits(BaseModel):
    """Request body caps: a body above its service's cap is refused with 413 before it is read
    (core.body_limit). The upload routes have their own, larger caps (the pipeline's
    `max_upload_bytes`, the gateway's upload slice)."""

    default_bytes: int = Field(2 * 1024 * 1024, gt=0)
    per_service: dict[str, int] = Field(default_factory=dict)  # e.g. {"catalog": 8388608}

    def for_service(self, service: str) -> int:
        return self.per_service.get(service, self.default_bytes)


class PipelineExecutor(StrEnum):
    """Where the pipeline's tasks run (docs/pipeline.md, "Celery workers")."""

    LOCAL = "local"  # worker processes spawned by the pipeline service, sharing its disk
    CELERY = "celery"  # `vodstack worker` processes anywhere, reached through a broker


VideoCodecName = Literal["h264", "av1", "vp9"]


class PipelineSettings(BaseModel):
    """The content pipeline's knobs (orchestration; see docs/pipeline.md, "Orchestration")."""

    # None = one worker process per CPU core. With the Celery executor: how many tasks the
    # controller keeps in flight (the worker processes it expects across every worker host).
    workers: int | None = Field(None, ge=1, le=256)
    executor: PipelineExecutor = PipelineExecutor.LOCAL
    # The Celery executor's broker (RabbitMQ: a lost worker's task comes back at once) and the
    # queue its tasks go to; workers consume it with `vodstack worker --broker URL`.
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    celery_queue: str = Field("vodstack.pipeline", min_length=1, max_length=200)
    # With the Celery executor, the `vodstack worker` processes `vodstack up` runs and
    # supervises on its own host (each with `workers` processes, else one per core); 0 = none,
    # the workers run elsewhere. They read and write objects in S3 (storage.backend = "s3").
    celery_workers: int = Field(1, ge=0, le=64)
    # Threads each ffmpeg may use; 0 = ffmpeg decides. 1 for the worker-scaling benchmark.
    encoder_threads: int = Field(0, ge=0, le=64)
    # Worker i (and its ffmpeg) on core i. None = when single-threaded (`encoder_threads` 1)
    # and there are no more workers than cores (docs/pipeline.md, "Performance").
    pin_workers: bool | None = None
    chunk_s: float = Field(16.0, gt=0, le=600)
    # Let a chunk be a segment shorter or longer so it starts just after a keyframe of the
    # master: less decoded and dropped before each chunk (media.encode.plan_chunks).
    align_chunks_to_keyframes: bool = True
    # Chunks decoded into a mezzanine but not yet encoded in every rendition (bounds scratch
    # disk: ~(chunk_s + 4) x fps x 3 MB at 1080p each); 0 = workers + 1.
    split_window: int = Field(0, ge=0, le=1024)
    # Side outputs of a job; off for encode-throughput benchmarks.
    quality_report: bool = True
    # Encrypt new asset versions (CENC, one key per version from the key service in playback;
    # players get keys through the Clear Key licence route). Off: versions play without a
    # licence, as before. The default of a title that has no setting of its own (an upload's
    # `encrypt`, `vodstack encryption`: pipeline.jobs.title_settings). docs/security.md.
    encrypt: bool = False
    thumbnails: bool = True
    # (height, kbit/s) rungs replacing the default ladder; empty = the media layer's default.
    ladder: list[tuple[int, int]] = Field(default_factory=list)
    # Video codecs every title is encoded in, each with the whole ladder; H.264 is always
    # included (every player's fallback). AV1 (SVT-AV1) and VP9 (libvpx) need fewer bits at
    # equal quality but cost more CPU to encode (docs/benchmarks.md, "Codecs").
    codecs: list[VideoCodecName] = Field(default_factory=lambda: list[VideoCodecName](["h264"]))
    # "per-title": a LADDER task chooses this title's rungs on the convex hull of sample encodes
    # (media.per_title), from `ladder`'s rungs as candidates and ceilings; "fixed": `ladder` as
    # is. Why a second key rather than a string in `ladder`: docs/decisions.md. Per-title by
    # default since it met both goals on eight 60 s sources (docs/benchmarks.md).
    ladder_mode: Literal["fixed", "per-title"] = "per-title"
    # Titles shorter than this keep `ladder` as is even in per-title mode: the analysis samples
    # a fixed ~5 s whatever the length and costs about what encoding 10-15 s of the title
    # does, so on a short clip it would cost more than the bits it saves (docs/decisions.md).
    per_title_min_s: float = Field(30.0, ge=0)
    # Rungs up to this height are encoded first, in a pass of their own, and published as a
    # preview version so the title is watchable early (costs one more decode of the master);
    # 0 = no preview pass.
    preview_height: int = Field(360, ge=0, le=4320)
    # The ffmpeg of full ladders and VMAF runs this much nicer than that of previews, so a
    # title's preview (and whatever else runs at normal priority, like the demo's master
    # synthesis) gets the CPU first while the full ladders use what is left; 0 = same priority.
    ladder_niceness: int = Field(10, ge=0, le=19)
    max_attempts: int = Field(3, ge=1, le=50)
    retry_backoff_s: float = Field(2.0, ge=0)
    retry_backoff_max_s: float = Field(120.0, ge=0)
    lease_s: float = Field(30.0, gt=0)
    poll_s: float = Field(0.5, gt=0)
    task_timeout_s: float = Field(6 * 3600.0, gt=0)
    shutdown_grace_s: float = Field(10.0, ge=0)
    max_upload_bytes: int = Field(20 * 1024**3, ge=1)
    # An upload that received no byte for this long is abandoned: its part file is deleted (it
    # can be gigabytes) and the upload expires. Checked every `upload_reap_interval_s`.
    upload_ttl_s: float = Field(24 * 3600.0, gt=0)
    upload_reap_interval_s: float = Field(300.0, gt=0)
    # A PATCH of an upload holds a writer lease in the jobs database, renewed while it streams:
    # the next chunk may go to any pipeline API instance, and one whose writer was killed is
    # taken over once this runs out (pipeline.service.upload_lease).
    upload_lease_s: float = Field(10.0, gt=0)


class EvictionKind(StrEnum):
    LRU = "lru"
    FIFO = "fifo"
    S3FIFO = "s3fifo"
    SIEVE = "sieve"


class ForecastKind(StrEnum):
    MODEL = "model"
    LEARNED = "learned"


class FillPlanSettings(BaseModel):
    """Nightly pre-positioning (`vodstack.control`): when edges are filled, how fast, from what.

    The forecast model and its constants are described in docs/cdn.md, "Pre-positioning".
    """

    # Fill window: starts at this hour (UTC) each day, lasts window_hours; off-peak by default.
    window_start_hour: int = Field(4, ge=0, le=23)
    window_hours: float = Field(4.0, gt=0, le=24)
    # Fill windows per day, evenly spaced from window_start_hour: the later ones re-plan with
    # the day's requests so far (launches and surges of the day), at the night's pinned share.
    # Offline replay only so far: the live planner runs the first window of each day.
    fills_per_day: int = Field(1, ge=1, le=24)
    # Bandwidth cap per edge for planned fills, bytes/s (the window x this = a night's fill).
    rate_bytes_per_s: int = Field(100_000_000, gt=0)
    # Share of an edge's capacity held by the plan; the rest is demand-fetch (cdn.eviction).
    # With auto_share, chosen each night by replaying yesterday (control/tuning.py) instead.
    planned_share: float = Field(0.5, ge=0, le=1)
    auto_share: bool = True
    # ... and pins only if that beats no pinning by this much (relative): a day is noisy.
    share_margin: float = Field(0.02, ge=0)
    # ... summed over this many past days (each replayed with the plan made before it).
    backtest_days: int = Field(1, ge=1, le=14)
    # Title demand forgets by half in this many days; the shape within a title more slowly.
    half_life_days: float = Field(1.0, gt=0)
    shape_half_life_days: float = Field(7.0, gt=0)
    # A title first seen within new_release_days days is forecast x new_release_boost. Off
    # (1.0) by default: 1.5 cost 0.1-0.9 point on every trace measured, the launch peak being
    # in the first day's counts already (docs/benchmarks.md, fifth pass).
    new_release_days: int = Field(2, ge=0)
    new_release_boost: float = Field(1.0, ge=0)
    # How many requests' worth of catalogue-wide shape a title's own shape is pulled towards.
    shape_prior_requests: float = Field(20.0, ge=0)
    # A region's title demand is pulled this far towards the title's demand in all regions
    # (scaled to the region's share): one region's counts of a title are a small sample.
    region_pooling: float = Field(0.0, ge=0, le=1)
    # Forecast objects as viewings from the start of their title x the catalogue's requests per
    # viewing at their (rendition, position), when ids name them (control/forecast.py).
    position_model: bool = True
    # Add the requests of viewers resuming where they stopped on the days before, at the rate
    # learnt from the trace (control/returns.py).
    return_model: bool = True
    # Objects whose ids name no segment (hashes, numbers, file paths): forecast by their own
    # request history, calibrated each night on what histories like it brought the next day
    # (control/count_history.py), instead of their rate since first seen.
    count_history: bool = True
    # What ranks the plan: the hand-built model above ("model"), or a small regression fitted
    # each night on the trace's own past days, the model's value among its inputs ("learned",
    # control/learned_forecast.py).
    forecast: ForecastKind = ForecastKind.MODEL
    # Also plan positions of known titles nobody has requested yet (up to the title's last
    # requested position, in each rendition requested), valued by the position model, when
    # worth at least unrequested_min_requests tomorrow (control/coverage.py). On by default:
    # +0.03 to +1.7 points of byte hit ratio on every trace and capacity measured, for 5-81 %
    # more fill bytes (docs/benchmarks.md, "Unrequested positions").
    unrequested: bool = True
    unrequested_min_requests: float = Field(0.3, gt=0)
    # The live planner also reads the telemetry service's plays per title and region.
    use_popularity: bool = True


class DnsSettings(BaseModel):
    """DNS steering (control/dns.py): an authoritative zone naming the viewer's region's edges."""

    # UDP port of the DNS server (its /healthz answers on the same TCP port); 0 = not run.
    port: int = Field(0, ge=0, lt=65536)
    zone: str = "edges.vodstack.test"
    ttl_s: int = Field(20, ge=0)
    # Public address per edge name for A/AAAA answers; unnamed edges answer with their URL's host.
    addresses: dict[str, str] = Field(default_factory=dict)


class DataPlaneKind(StrEnum):
    SENDFILE = "sendfile"
    GRANIAN = "granian"


class CdnSettings(BaseModel):
    """The delivery tier: regions x edges, each edge's disk budget, steering inputs."""

    regions: list[str] = Field(default_factory=lambda: ["eu", "us"], min_length=1)
    edges_per_region: int = Field(2, ge=1)
    # Edge `i` (0-based over all regions) listens on base_port + i unless `ports` names it.
    base_port: int = Field(8120, gt=0, lt=65536)
    capacity_bytes: int = Field(2 * 1024**3, gt=0)
    # S3-FIFO: the best byte hit ratio of the four on VOD traces (docs/benchmarks.md, "CDN
    # caching (issue 19)"); segments of abandoned sessions are one-hit wonders it drops early.
    eviction: EvictionKind = EvictionKind.S3FIFO
    # With N > 0, a viewer's miss is cached only if its title was also missed on this edge in
    # an earlier slice of the UTC day (N a day; 8 = three hours), at most a day back. Off by
    # default: it gains 0.1-1.5 points on traces of few viewings per title and loses 0.6 on
    # the issue-shaped ones, below S3-FIFO alone (cdn/cache/admission.py; docs/benchmarks.md).
    admission_slices_per_day: int = Field(0, ge=0, le=1440)
    manifest_ttl_s: int = Field(2, ge=0)
    # Client region: trusted gateway header, then CIDR map, then GeoIP (if configured).
    region_header: str = "x-vodstack-region"
    cidr_regions: dict[str, str] = Field(default_factory=dict)
    geoip_db: Path | None = None
    geoip_regions: dict[str, str] = Field(default_factory=dict)
    health_interval_s: float = Field(2.0, gt=0)
    health_error_threshold: int = Field(3, ge=1)
    health_error_window_s: float = Field(10.0, gt=0)
    peer_timeout_s: float = Field(1.0, gt=0)
    server_threads: int = Field(1, ge=1)
    # What serves an edge's HTTP: its own data plane (hits by kernel sendfile, the rest through
    # the ASGI app; docs/cdn.md) or granian for everything (server_threads applies to it).
    data_plane: DataPlaneKind = DataPlaneKind.SENDFILE
    # How often edges and the origin fetch newly revoked play sessions from playback (a stopped
    # or logged-out session's segment URLs die within about this long); 0 = never (no playback
    # service, e.g. a CDN-only benchmark).
    revocation_poll_s: float = Field(1.0, ge=0)
    # One line per request in data_dir/edges/{edge}/access.log (cdn/access_log.py), rotated to
    # access.log.1 past access_log_max_bytes.
    access_log: bool = True
    access_log_max_bytes: int = Field(64 * 1024**2, gt=0)
    fill_plan: FillPlanSettings = Field(default_factory=FillPlanSettings)
    dns: DnsSettings = Field(default_factory=DnsSettings)


class PlaybackSettings(BaseModel):
    """Play sessions: heartbeats, when a silent stream stops counting, how long URLs live."""

    heartbeat_interval_s: float = Field(10.0, gt=0)
    # A stream whose last heartbeat is older than this no longer counts against the plan.
    stream_timeout_s: float = Field(30.0, gt=0)
    token_ttl_s: int = Field(6 * 3600, gt=0)
    # How often silent streams are ended everywhere (and their segment tokens revoked).
    sweep_s: float = Field(1.0, gt=0)
    # Resume points live in the history service; a start waits this long for one, then plays
    # from 0: a slow or down history service must never delay or fail a start.
    resume_timeout_s: float = Field(0.5, gt=0)
    # A start asks billing whether the account may play (a cancelled one may not) and waits
    # this long; a billing service that is down or slow lets the start through (docs/billing.md).
    entitlement_timeout_s: float = Field(1.0, gt=0)
    # Starts keep the titles they play and the accounts' entitlements in memory, and read the
    # catalog's and billing's change feeds this often to drop what changed (playback/titles.py,
    # playback/entitlements.py): the bound on how long a start may still see a title or a
    # subscription as it was. 0: nothing is kept, every start asks both.
    change_feed_s: float = Field(0.5, ge=0)
    # Web origins (`https://player.example`) whose pages may call `/api/playback` (stream URLs,
    # and with the cookie start/heartbeat/stop): CORS is answered for these only; `*` = any.
    cors_origins: list[str] = Field(default_factory=list)


class EventLogBackend(StrEnum):
    SQLITE = "sqlite"  # embedded: one file under data_dir/events, nothing to run
    REDIS = "redis"  # Redis Streams at `redis_url`


class EventsSettings(BaseModel):
    """The events pipeline (docs/events.md): its durable log and the ingest API's limits."""

    backend: EventLogBackend = EventLogBackend.SQLITE
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Every key in Redis starts with this, so several platforms can share one Redis.
    redis_prefix: str = "vodstack:events"
    # A profile's events always land in the same partition (in order); partitions are the unit
    # of consumer parallelism. Changing it re-keys new events only: drain the log first.
    partitions: int = Field(8, ge=1, le=1024)
    # Records (and the event-id dedup window) are kept this long.
    retention_s: float = Field(7 * 24 * 3600.0, gt=0)
    max_batch: int = Field(500, ge=1, le=10_000)
    # When a consumer group is this many records behind, `POST /v1/events` answers 429 with
    # Retry-After `backoff_s`, and players back off instead of growing the backlog.
    max_lag: int = Field(100_000, ge=1)
    backoff_s: int = Field(5, ge=1)
    # Lag is read at most this often (reading it costs a query per group and partition).
    lag_check_s: float = Field(1.0, ge=0)
    # The telemetry series' bucket: short, so an incident shows within seconds.
    series_bucket_s: int = Field(10, ge=1, le=3600)
    # The telemetry series are kept this long (Prometheus keeps the long view).
    series_retention_s: float = Field(2 * 24 * 3600.0, gt=0)
    # The consumers' threads run this much nicer than the request-serving ones (Linux): they
    # are background work and must not delay the ingest path (docs/decisions.md). 0: equal.
    consumer_niceness: int = Field(10, ge=0, le=19)


class HistorySettings(BaseModel):
    """The history service (docs/events.md, "History"): shards, their ring, the read cache."""

    # Only seeds a fresh data directory: afterwards `vodstack history reshard` changes it.
    shards: int = Field(4, ge=1, le=256)
    vnodes: int = Field(64, ge=1, le=4096)
    # Continue-watching answers are cached this long (writes invalidate them at once).
    cache_ttl_s: float = Field(30.0, ge=0)
    # Past this share of its length a title counts as watched.
    watched_ratio: float = Field(0.95, gt=0, le=1)
    # Each shard's database URL, from its generation and index; None: SQLite files under
    # data_dir/history. PostgreSQL: a database per shard (needs CREATEDB), e.g.
    # "postgresql+psycopg://u@db/vodstack_history_g{generation}_s{shard}", or a schema per
    # shard in one database (needs CREATE on it), e.g.
    # "...@db/vodstack_history?options=-csearch_path%3Dg{generation}_s{shard}".
    # Missing databases and schemas are created and migrated on start (docs/databases.md).
    shard_url_template: str | None = None
    # Each shard's PostgreSQL streaming replica, the same shape as `shard_url_template` (the
    # replica server's host and port, the same database or schema); None: every read on the
    # shard. Continue watching, resume points and viewers then read there, a profile that just
    # wrote waiting for the replica to replay its write (`database_replica_wait_s`, then the
    # primary); docs/databases.md, "Read replica".
    replica_url_template: str | None = None

    @field_validator("shard_url_template", "replica_url_template")
    @classmethod
    def _distinct_shards(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            urls = {value.format(generation=g, shard=s) for g in (0, 1) for s in (0, 1)}
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"only {{generation}} and {{shard}} may appear in braces ({exc!r})"
            ) from exc
        if len(urls) < 4:
            raise ValueError("must contain both {generation} and {shard}: shards would share data")
        return value

    @model_validator(mode="after")
    def _replica_of_postgresql_shards(self) -> HistorySettings:
        if self.replica_url_template is not None and not (self.shard_url_template or "").startswith(
            "postgresql"
        ):
            raise ValueError(
                "history.replica_url_template needs the shards on PostgreSQL "
                "(history.shard_url_template = 'postgresql+psycopg://...'): a streaming replica "
                "is a PostgreSQL server's"
            )
        return self


class RecsSettings(BaseModel):
    """The recommendations service (docs/recommendations.md)."""

    # The offline trainer runs at start-up and then this often (`vodstack recs train` too).
    train_every_s: float = Field(3600.0, ge=0)
    # The catalog and popularity snapshots the rows are cut from are refreshed this often: a
    # newly published title reaches the personalized rows within `catalog_refresh_s`.
    catalog_refresh_s: float = Field(5.0, gt=0)
    popularity_refresh_s: float = Field(60.0, gt=0)
    # A profile's home rows are kept as bytes until what they are cut from changes; history's
    # change feed (the profiles whose viewing changed) is read this often: the bound on how old
    # a kept page's "Continue watching" may be (docs/recommendations.md). 0: nothing is kept,
    # every page is computed and asks history.
    history_feed_s: float = Field(0.5, ge=0)
    # The memory the kept pages may take (past it they start over). A page of 16 rows of 20
    # titles is about 150 KB: 128 MB keeps some 850 profiles' pages.
    kept_rows_mb: int = Field(128, ge=1)
    # "Trending now": a play's weight halves every this many hours.
    trending_half_life_h: float = Field(12.0, gt=0)
    # The model: EASE's L2 and the recency decay of a profile's history. Unset (the default),
    # each training run chooses them on its own data by holding out every profile's latest
    # titles (services/recs/tuning.py; docs/recommendations.md); set, they are used as given.
    l2: float | None = Field(None, gt=0)
    decay: float | None = Field(None, gt=0, le=1)
    # Choosing them costs several extra fits (minutes on 10,000 titles), and the best values
    # move with the data slowly: scheduled runs reuse the last choice for this long.
    retune_every_s: float = Field(86_400.0, ge=0)
    # The gateway builds viewers' home pages from these rows; off, it serves the static rows
    # (newest, genres) everyone got before, without asking the recs service.
    personalized_home: bool = True


class PaymentProviderSettings(BaseModel):
    """The local simulated payment provider (services/billing/provider.py): what it declines
    and how slowly it answers, to rehearse dunning and timeouts without a real processor."""

    # Every charge to any card is declined with this probability (seeded, so reproducible).
    decline_rate: float = Field(0.0, ge=0, le=1)
    seed: int = 0
    # How long the provider takes to answer a charge; above `timeout_s` the attempt times out.
    latency_s: float = Field(0.0, ge=0)
    timeout_s: float = Field(5.0, gt=0)


class BillingSettings(BaseModel):
    """Subscriptions, invoices and dunning (docs/billing.md)."""

    period_days: int = Field(30, ge=1, le=366)
    # After a failed charge, the next ones come this long after each failure; when the last
    # one fails too, the subscription is cancelled.
    retry_schedule_s: list[float] = Field(
        default_factory=lambda: [86400.0, 3 * 86400.0, 5 * 86400.0], min_length=1
    )
    # A past-due account keeps playing this long after its first failed charge.
    grace_s: float = Field(7 * 86400.0, ge=0)
    # How often renewals and retries that have come due are charged.
    dunning_interval_s: float = Field(60.0, ge=0)
    # An idempotency key is remembered this long (a retry after that is a new call).
    idempotency_ttl_s: float = Field(24 * 3600.0, gt=0)
    provider: PaymentProviderSettings = Field(default_factory=PaymentProviderSettings)


class ExperimentsSettings(BaseModel):
    """A/B experiments (docs/experiments.md)."""

    # How long a page or a playback start waits for a member's cell before serving the
    # default: an experiment must never cost a page.
    assign_timeout_s: float = Field(0.3, gt=0)


class SupervisorSettings(BaseModel):
    """Liveness: how `vodstack up` spots a process that runs but no longer answers (frozen,
    deadlocked) and replaces it; a process that exits is restarted anyway."""

    liveness_interval_s: float = Field(2.0, gt=0)  # between two /healthz probes
    liveness_timeout_s: float = Field(2.0, gt=0)  # a probe slower than this failed
    # Consecutive failed probes before the process is killed (SIGKILL) and started again.
    liveness_failures: int = Field(3, ge=1)
    # A process that does not answer but keeps using CPU (starved on an overloaded host, not
    # frozen) is replaced only after this long without an answer (supervisor/liveness.py).
    liveness_busy_grace_s: float = Field(30.0, gt=0)
    # A (re)started process that has not answered /healthz by then is replaced too.
    start_timeout_s: float = Field(60.0, gt=0)


class StorageBackend(StrEnum):
    LOCAL = "local"  # embedded: a directory under data_dir/objects
    S3 = "s3"  # an S3-compatible bucket every host reads (AWS S3, SeaweedFS, MinIO...)


class StorageSettings(BaseModel):
    """Where masters, intermediate outputs and published assets live (docs/storage.md)."""

    backend: StorageBackend = StorageBackend.LOCAL
    s3_endpoint: str | None = None  # e.g. http://127.0.0.1:8333; None = AWS's own endpoint
    s3_bucket: str = "vodstack"
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    # Files at least this big go up as a multipart upload, in parts of this size.
    s3_multipart_mb: int = Field(16, ge=5)
    # Short on purpose: an endpoint that is down must become a 503 soon, not a hung request.
    s3_connect_timeout_s: float = Field(2.0, gt=0)
    s3_read_timeout_s: float = Field(10.0, gt=0)
    s3_max_attempts: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _credentials_in_pairs(self) -> StorageSettings:
        # Half a pair would fail only at the first request, deep inside a service.
        if (self.s3_access_key is None) != (self.s3_secret_key is None):
            raise ValueError("storage.s3_access_key and storage.s3_secret_key go together")
        return self


class RedisSettings(BaseModel):
    """Redis for the state every instance and host must share: the look-aside caches (gateway
    sessions, answers of catalog and accounts reads), the gateway's rate limits and the service
    registry (docs/deployment.md, "Redis"). `url` None = each in its embedded form (process
    memory, the SQLite registry under data_dir/run)."""

    url: str | None = None  # e.g. redis://127.0.0.1:6379/0
    # Every key starts with this, so several platforms (and tests) share one Redis.
    prefix: str = "vodstack"
    # Short on purpose: a cache that is slow to answer must not slow every request down; a
    # failed call is a miss (the source answers) and Redis is left alone for `retry_s`.
    timeout_s: float = Field(0.25, gt=0)
    retry_s: float = Field(1.0, ge=0)
    # Cached answers are dropped by version, this only reclaims the memory of old versions.
    answer_ttl_s: float = Field(600.0, gt=0)


# Services with no state of their own in process memory: several instances of one behave as
# one. The pipeline keeps per-upload locks in its process and owns the worker pool; events,
# telemetry and history own consumers and caches; edges are placed by the topology instead.
SCALABLE_SERVICES = ("gateway", "accounts", "catalog", "playback", "pipeline")
# Scalable services that serve every region from one place and are placed in none, so
# `vodstack chaos kong` never takes them down: the pipeline API's uploads and jobs are the
# platform's, not a region's.
REGIONLESS_SERVICES = ("pipeline",)
MAX_INSTANCES = 16


class ScaleSettings(BaseModel):
    """Instances per stateless service (docs/architecture.md, "Instances and discovery")."""

    # e.g. {"catalog": 3}; a service not named runs one instance (`make up` stays light).
    instances: dict[str, int] = Field(default_factory=dict)
    # An instance not renewed for this long is evicted from the registry (3 missed heartbeats
    # at the supervisor's liveness interval, the renewal period).
    lease_s: float = Field(6.0, gt=0)
    # How long a client trusts its cached instance list before reading the registry again.
    refresh_s: float = Field(2.0, gt=0)

    @field_validator("instances")
    @classmethod
    def _scalable(cls, value: dict[str, int]) -> dict[str, int]:
        for service, count in value.items():
            check_scalable(service, count)
        return value

    def count(self, service: str) -> int:
        return self.instances.get(service, 1)


def check_scalable(service: str, count: int) -> None:
    """Raise ValueError, with a message naming what is allowed, for a count that cannot run."""
    if service not in SCALABLE_SERVICES:
        raise ValueError(
            f"{service!r} cannot run as several instances; scalable services are "
            f"{', '.join(SCALABLE_SERVICES)}"
        )
    if not 1 <= count <= MAX_INSTANCES:
        raise ValueError(f"instances of {service} must be between 1 and {MAX_INSTANCES}")


# Services whose instances share one port (SO_REUSEPORT): a scraper reaching the port reaches
# any of them, so their metrics cannot be read one instance at a time.
SHARED_PORT_SERVICES = ("gateway",)


class AutoscaleTargets(BaseModel):
    """What one instance should carry; a metric whose target is None is not used. Several
    targets: the largest instance count any of them asks for wins (as in Kubernetes' HPA)."""

    # Mean requests in flight per instance over the scrape interval (Little's law on the latency
    # histogram: seconds of requests served per second), /healthz and /metrics left out.
    concurrency: float | None = Field(2.0, gt=0)
    # Process CPU per instance, in cores (one event loop uses at most about 1).
    cpu: float | None = Field(0.6, gt=0)
    # Mean request latency per instance, in seconds.
    latency_s: float | None = Field(None, gt=0)


class AutoscalePolicy(BaseModel):
    min: int = Field(1, ge=1, le=MAX_INSTANCES)
    max: int = Field(4, ge=1, le=MAX_INSTANCES)
    targets: AutoscaleTargets = Field(default_factory=AutoscaleTargets)

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalePolicy:
        if self.min > self.max:
            raise ValueError(f"autoscale min ({self.min}) is above max ({self.max})")
        return self


def _default_autoscaled() -> dict[str, AutoscalePolicy]:
    return {name: AutoscalePolicy() for name in ("accounts", "catalog", "playback")}


class AutoscaleSettings(BaseModel):
    """The autoscaler (docs/resilience.md, "Autoscaling"): Kubernetes' HPA rule over the
    instances' Prometheus metrics, acting through `run/control.json` like `vodstack scale`."""

    enabled: bool = False
    interval_s: float = Field(5.0, gt=0)  # one scrape and decision per service
    scrape_timeout_s: float = Field(2.0, gt=0)
    # |observed / target - 1| within this: no change (HPA's default 0.1).
    tolerance: float = Field(0.1, ge=0, lt=1)
    # A scale-up needs every recommendation of the last window above the current count, a
    # scale-down every one below it: a burst adds capacity quickly, a lull removes it slowly.
    scale_up_window_s: float = Field(15.0, ge=0)
    scale_down_window_s: float = Field(120.0, ge=0)
    services: dict[str, AutoscalePolicy] = Field(default_factory=_default_autoscaled)

    @field_validator("services")
    @classmethod
    def _scalable(cls, value: dict[str, AutoscalePolicy]) -> dict[str, AutoscalePolicy]:
        for service, policy in value.items():
            check_scalable(service, policy.max)
            if service in SHARED_PORT_SERVICES:
                raise ValueError(
                    f"{service} instances share one port, so their metrics cannot be read one "
                    "by one; scale it with `vodstack scale` instead of the autoscaler"
                )
        return value


class ChaosSettings(BaseModel):
    """Chaos tooling (docs/chaos.md): off unless the platform was started with it on."""

    enabled: bool = False


# The consumer sinks' SQLite files where releases before `database_urls` named them kept them
# (their migrations adopt such a file with its rows), under data_dir.
_SINK_FILES = {
    "popularity": "telemetry/popularity.sqlite",
    "telemetry": "telemetry/series.sqlite",
    "recs": "recs/rows.sqlite",
    "recs_watched": "recs/watched.sqlite",
    "experiments_activity": "experiments/activity.sqlite",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VODSTACK_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    mode: Mode = Mode.LOCAL
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    # The region this process is placed in: set per instance by the supervisor (`vodstack serve
    # --region`); clients prefer instances of their own region (docs/resilience.md).
    region: str | None = None
    ports: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_PORTS))
    # Where a service is reached when services run on different hosts (containers, pods), e.g.
    # {"catalog": "catalog", "edge-eu-1": "edge-eu-0.edge-eu"}; a service not named is at
    # `host`, which is also where servers listen (0.0.0.0 in a container: then name them all).
    service_hosts: dict[str, str] = Field(default_factory=dict)
    # Local mode generates one under data_dir/secrets on first run (see config.secrets).
    secret_key: SecretStr | None = None
    database_urls: dict[str, str] = Field(default_factory=dict)
    # A PostgreSQL streaming replica per service whose reads may go there (today: catalog
    # browse and search; docs/databases.md). Writes always go to `database_urls`.
    database_replica_urls: dict[str, str] = Field(default_factory=dict)
    # How long a read waits for the replica to replay the reader's last write before it
    # goes to the primary instead.
    database_replica_wait_s: float = Field(0.5, ge=0)
    log_level: str = "info"
    public_url: str | None = None

    session_ttl_s: int = Field(14 * 24 * 3600, gt=0)
    session_cache_ttl_s: float = Field(5.0, ge=0)
    upstream_timeout_s: float = Field(5.0, gt=0)
    login_rate: RateLimit = RateLimit(per_minute=10, burst=10)
    signup_rate: RateLimit = RateLimit(per_minute=5, burst=5)
    # Peers (CIDRs) whose X-Forwarded-For the gateway believes when it keys rate limits; empty =
    # never: a client could otherwise pick a fresh address per request and dodge every limit.
    trusted_proxies: list[str] = Field(default_factory=list)
    lockouts: LockoutSettings = Field(default_factory=LockoutSettings)
    # Mark cookies `Secure` (sent over HTTPS only) in local mode too; production always does.
    cookie_secure: bool = False
    seed_demo_data: bool = True
    # Make and ingest synthetic media for demo titles that have none (heavy: ffmpeg on every core).
    demo_media: bool = True
    body_limits: BodyLimits = Field(default_factory=BodyLimits)
    cdn: CdnSettings = Field(default_factory=CdnSettings)
    playback: PlaybackSettings = Field(default_factory=PlaybackSettings)
    pipeline: PipelineSettings = PipelineSettings()
    supervisor: SupervisorSettings = Field(default_factory=SupervisorSettings)
    events: EventsSettings = Field(default_factory=EventsSettings)
    history: HistorySettings = Field(default_factory=HistorySettings)
    recs: RecsSettings = Field(default_factory=RecsSettings)
    billing: BillingSettings = Field(default_factory=BillingSettings)
    experiments: ExperimentsSettings = Field(default_factory=ExperimentsSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    chaos: ChaosSettings = Field(default_factory=ChaosSettings)
    autoscale: AutoscaleSettings = Field(default_factory=AutoscaleSettings)
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings)

    @field_validator("trusted_proxies")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def _absolute_data_dir(self) -> Settings:
        # Child processes run with other working directories; make the path unambiguous.
        if not self.data_dir.is_absolute():
            object.__setattr__(self, "data_dir", self.data_dir.resolve())
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry `Secure` in production (served over HTTPS), or when asked to."""
        return self.cookie_secure or self.mode is Mode.PRODUCTION

    def port(self, service: str) -> int:
        return self.ports.get(service, DEFAULT_PORTS.get(service, 0))

    def service_host(self, service: str) -> str:
        return self.service_hosts.get(service, self.host)

    def service_url(self, service: str) -> str:
        return f"http://{self.service_host(service)}:{self.port(service)}"

    def database_url(self, service: str) -> str:
        """The service's own database: configured URL, else a SQLite file under data_dir/db."""
        if service in self.database_urls:
            return self.database_urls[service]
        file = _SINK_FILES.get(service, f"db/{service}.sqlite")
        return f"sqlite:///{self.data_dir / file}"

    def database_replica_url(self, service: str) -> str | None:
        """The service's read replica, if one is configured."""
        return self.database_replica_urls.get(service)

    @property
    def gateway_url(self) -> str:
        return self.public_url or f"http://localhost:{self.port('gateway')}"

    def secret(self) -> bytes:
        if self.secret_key is None:
            raise RuntimeError("settings.secret_key is unset; call config.secrets.with_secrets")
        return self.secret_key.get_secret_value().encode()

    def dump_for_child(self) -> str:
        """JSON that rebuilds exactly these settings (secret included) in a child process."""
        data = self.model_dump(mode="json")
        if self.secret_key is not None:
            data["secret_key"] = self.secret_key.get_secret_value()
        if self.storage.s3_secret_key is not None:
            data["storage"]["s3_secret_key"] = self.storage.s3_secret_key.get_secret_value()
        return json.dumps(data)

    @classmethod
    def from_child_json(cls, text: str) -> Settings:
        return cls.model_validate_json(text)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from overrides, environment and an optional TOML file."""
    raw = config_file or os.environ.get("VODSTACK_CONFIG")
    toml_path = Path(raw) if raw else None
    if toml_path is not None and not toml_path.is_file():
        raise FileNotFoundError(f"config file not found: {toml_path}")

    class _Sourced(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if toml_path is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
            return tuple(sources)

    built = _Sourced(**overrides)
    return Settings.model_validate(built.model_dump())
