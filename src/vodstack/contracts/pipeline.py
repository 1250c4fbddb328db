"""The pipeline service's API (internal; the admin pages reach it through the gateway).

POST   /v1/jobs                  JobCreate -> JobDetail (201); 404 source_not_found
GET    /v1/jobs?limit=           -> list[JobSummary] (newest first)
GET    /v1/jobs/{job_id}         -> JobDetail (per rendition and per task progress)
POST   /v1/jobs/{job_id}/cancel  -> JobDetail; 409 job_finished
PUT    /v1/jobs/{job_id}/priority JobPriority -> JobDetail: higher runs sooner within each
                                 scheduling band; 409 job_finished
GET    /v1/titles/{title_id}/failure -> TitleFailure: why the title's last upload or job failed;
                                 404 no_failure
GET    /v1/titles/{title_id}/encryption -> TitleEncryption (the title's setting, or the default)
PUT    /v1/titles/{title_id}/encryption TitleEncryption -> TitleEncryptionChange: a changed
                                 setting re-encodes the title's latest master as a new asset
                                 version (new key, or none); the old one plays until it publishes
POST   /v1/audio/{title_id}?language=&name= body = an audio file -> JobDetail (201):
                                 the language joined to the latest master, a new asset version;
                                 404 no_master, 422 invalid_audio (not decodable, duration off
                                 the video's, a bad language tag), 413 audio_too_large

Resumable upload (tus-like offsets):
POST   /v1/uploads               UploadCreate -> UploadStatus (201); 413 upload_too_large,
                                 422 invalid_media (an empty file)
HEAD   /v1/uploads/{upload_id}   -> headers Upload-Offset, Upload-Length
GET    /v1/uploads/{upload_id}   -> UploadStatus
PATCH  /v1/uploads/{upload_id}   header Upload-Offset: N, body = bytes from N
                                 -> UploadStatus; 409 offset_mismatch (resume from the
                                 server's offset), 413 upload_overflow, 422 invalid_media (the
                                 last chunk triggers validation; nothing is published)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

UPLOAD_OFFSET_HEADER = "Upload-Offset"
UPLOAD_LENGTH_HEADER = "Upload-Length"

FileName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class TaskState(StrEnum):
    WAITING = "waiting"  # some dependency has not succeeded yet
    READY = "ready"  # claimable (once its retry back-off has passed)
    RUNNING = "running"  # leased by a worker
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED)


class TaskKind(StrEnum):
    PROBE = "probe"  # validate the master; duration, chunking, ladder: expands the DAG
    ANALYZE = "analyze"  # the complexity estimate, off the critical path
    LADDER = "ladder"  # per-title ladder chosen on sample encodes: expands the DAG again
    SPLIT = "split"  # one chunk decoded once into a raw mezzanine every rendition reads
    ENCODE = "encode"  # one chunk of one rendition
    DISCARD = "discard"  # a chunk's mezzanine deleted once all its renditions are encoded
    AUDIO = "audio"
    CONCAT = "concat"  # a rendition's chunks joined
    PACKAGE = "package"  # CMAF segments + HLS/DASH manifests
    QUALITY = "quality"  # VMAF of every rendition, reported after the publish
    THUMBS = "thumbs"
    PUBLISH = "publish"  # validate + atomic publish of the asset version


class UploadState(StrEnum):
    RECEIVING = "receiving"
    COMPLETE = "complete"  # validated, stored as a master, job created
    REJECTED = "rejected"  # failed validation; see `error`
    EXPIRED = "expired"  # abandoned: no data for `pipeline.upload_ttl_s`; its bytes are deleted


class TaskInfo(BaseModel):
    id: int
    name: str
    kind: TaskKind
    rendition: str | None
    chunk: int | None
    state: TaskState
    attempts: int
    executions: int
    progress: float
    error: str | None
    started_at: float | None
    finished_at: float | None


class RenditionProgress(BaseModel):
    rendition: str
    chunks_done: int
    chunks_total: int
    progress: float = Field(ge=0, le=1)


class JobSummary(BaseModel):
    id: int
    title_id: int
    source_key: str
    state: JobState
    asset_version: str
    # The low-rung version published first (the title is watchable from then on), if any yet.
    preview_version: str | None = None
    preview_published_at: float | None = None
    progress: float = Field(ge=0, le=1)
    error: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    # The operator's priority (higher runs sooner; 0 unless set).
    priority: int = 0
    # A job not started yet: its place among the waiting jobs (1 = next) and when it should
    # start (epoch seconds, an estimate from the measured task durations).
    queue_position: int | None = None
    estimated_start: float | None = None
    # The complete version is published (playable in full) while VMAF may still run.
    published: bool = False


class JobDetail(JobSummary):
    renditions: list[RenditionProgress]
    tasks: list[TaskInfo]
    analysis: dict[str, Any] | None


PRIORITY_LIMIT = 1000


class JobPriority(BaseModel):
    priority: int = Field(ge=-PRIORITY_LIMIT, le=PRIORITY_LIMIT)


class JobCreate(BaseModel):
    title_id: int = Field(ge=1)
    source_key: str = Field(min_length=1, max_length=1024)
    # The title's encryption from now on (None: keep its setting, else `pipeline.encrypt`).
    encrypt: bool | None = None


class UploadCreate(BaseModel):
    filename: FileName
    size: int = Field(ge=0)  # 0 is refused with a clear 422 (empty file), not a schema error
    title_id: int = Field(ge=1)
    # The title's encryption from now on (None: keep its setting, else `pipeline.encrypt`).
    encrypt: bool | None = None


class TitleEncryption(BaseModel):
    """A title's encryption setting; a change re-encodes its latest master as a new version."""

    encrypt: bool


class TitleEncryptionChange(BaseModel):
    title_id: int
    encrypt: bool
    # The job publishing the title's new asset version (None: nothing to re-encode yet).
    job_id: int | None = None


class UploadStatus(BaseModel):
    id: str
    title_id: int
    filename: str
    size: int
    offset: int
    state: UploadState
    job_id: int | None
    error: str | None


class TitleFailure(BaseModel):
    """The latest refused upload or failed job of a title (for the admin pages)."""

    title_id: int
    job_id: int | None
    reason: str
    failed_at: float


class SubtitleTrackInfo(BaseModel):
    """One subtitle language of a title: its WebVTT and HLS playlist, relative to the version."""

    lang: str
    name: str
    vtt: str
    playlist: str
    cues: int | None = None  # how many cues the upload had (on upload answers only)
