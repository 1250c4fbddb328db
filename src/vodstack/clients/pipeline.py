"""Typed client of the pipeline service (jobs and resumable uploads)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from vodstack.clients.resilience.transport import ResilientTransport
from vodstack.config.settings import Settings
from vodstack.contracts.pipeline import (
    UPLOAD_OFFSET_HEADER,
    JobCreate,
    JobDetail,
    JobPriority,
    JobSummary,
    SubtitleTrackInfo,
    TitleEncryption,
    TitleEncryptionChange,
    TitleFailure,
    UploadCreate,
    UploadStatus,
)
from vodstack.core.errors import ServiceUnavailable, UpstreamError
from vodstack.core.http import ServiceClient

_summaries = TypeAdapter(list[JobSummary])
_subtitle_tracks = TypeAdapter(list[SubtitleTrackInfo])
CHUNK_BYTES = 8 * 1024 * 1024
_NETWORK_RETRIES = 8
# Another writer holds the upload: one killed mid-chunk gives way when its lease runs out
# (pipeline.upload_lease_s), so these are waited out like a network error.
_WAIT_CODES = ("upload_busy", "upload_lease_lost")


class PipelineClient(ServiceClient):
    service = "pipeline"

    @classmethod
    def balanced(cls, settings: Settings, caller: str, **kwargs: Any) -> PipelineClient:
        """A client spreading its calls over the registered pipeline API instances (any of
        them takes any request of an upload), with the upstream's resilience policy."""
        transport = ResilientTransport.over(settings, cls.service)
        return cls.of(settings, caller, transport=transport, **kwargs)

    async def create_job(self, body: JobCreate) -> JobDetail:
        return await self.send_model("POST", "/v1/jobs", JobDetail, json=body.model_dump())

    async def jobs(self, limit: int = 50) -> list[JobSummary]:
        return await self.get_as("/v1/jobs", _summaries, params={"limit": limit})

    async def job(self, job_id: int) -> JobDetail:
        return await self.get_model(f"/v1/jobs/{job_id}", JobDetail)

    async def cancel(self, job_id: int) -> JobDetail:
        return await self.send_model("POST", f"/v1/jobs/{job_id}/cancel", JobDetail)

    async def set_priority(self, job_id: int, priority: int) -> JobDetail:
        body = JobPriority(priority=priority).model_dump()
        return await self.send_model("PUT", f"/v1/jobs/{job_id}/priority", JobDetail, json=body)

    async def title_failure(self, title_id: int) -> TitleFailure | None:
        """Why the title's latest upload or job failed; None if none did."""
        try:
            return await self.get_model(f"/v1/titles/{title_id}/failure", TitleFailure)
        except UpstreamError as exc:
            if exc.status_code == 404:
                return None
            raise

    async def subtitles(self, title_id: int) -> list[SubtitleTrackInfo]:
        return await self.get_as(f"/v1/titles/{title_id}/subtitles", _subtitle_tracks)

    async def put_subtitles(
        self,
        title_id: int,
        lang: str,
        data: bytes,
        *,
        name: str | None = None,
        duration_s: float | None = None,
        asset_version: str | None = None,
    ) -> SubtitleTrackInfo:
        """Store an SRT or WebVTT file as the title's `lang` track (422 names the bad lines)."""
        params = {"name": name, "duration_s": duration_s, "asset_version": asset_version}
        return await self.send_model(
            "PUT",
            f"/v1/titles/{title_id}/subtitles/{lang}",
            SubtitleTrackInfo,
            content=data,
            params={k: v for k, v in params.items() if v},
            headers={"Content-Type": "application/octet-stream"},
        )

    async def encryption(self, title_id: int) -> TitleEncryption:
        return await self.get_model(f"/v1/titles/{title_id}/encryption", TitleEncryption)

    async def set_encryption(self, title_id: int, encrypt: bool) -> TitleEncryptionChange:
        """Set the title's encryption; a change re-encodes it as a new asset version."""
        body = TitleEncryption(encrypt=encrypt).model_dump()
        path = f"/v1/titles/{title_id}/encryption"
        return await self.send_model("PUT", path, TitleEncryptionChange, json=body)

    async def add_audio(
        self, title_id: int, language: str, data: bytes, *, name: str = ""
    ) -> JobDetail:
        """Add an audio language to a published title: the job of its new asset version."""
        return await self.send_model(
            "POST",
            f"/v1/audio/{title_id}",
            JobDetail,
            content=data,
            params={"language": language, "name": name} if name else {"language": language},
            headers={"Content-Type": "application/octet-stream"},
        )

    async def create_upload(self, body: UploadCreate) -> UploadStatus:
        return await self.send_model("POST", "/v1/uploads", UploadStatus, json=body.model_dump())

    async def upload_status(self, upload_id: str) -> UploadStatus:
        return await self.get_model(f"/v1/uploads/{upload_id}", UploadStatus)

    async def append(self, upload_id: str, offset: int, data: bytes) -> UploadStatus:
        """Send `data` from `offset`; 409 (UpstreamError) means resume from upload_status."""
        return await self.send_model(
            "PATCH",
            f"/v1/uploads/{upload_id}",
            UploadStatus,
            content=data,
            headers={
                UPLOAD_OFFSET_HEADER: str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )


async def upload_file(
    client: PipelineClient,
    path: Path,
    title_id: int,
    on_progress: Callable[[int], None],
    chunk_bytes: int = CHUNK_BYTES,
    *,
    encrypt: bool | None = None,
) -> UploadStatus:
    """Upload `path` resumably (continuing from the server's offset after any network error);
    `encrypt` sets the title's encryption (None: as it was)."""
    # One stat of a local file: microseconds, not worth a thread.
    size = path.stat().st_size  # noqa: ASYNC240
    status = await client.create_upload(
        UploadCreate(filename=path.name, size=size, title_id=title_id, encrypt=encrypt)
    )
    failures = 0
    with path.open("rb") as source:
        while status.offset < status.size:
            source.seek(status.offset)
            data = source.read(chunk_bytes)
            try:
                status = await client.append(status.id, status.offset, data)
                failures = 0
            except (ServiceUnavailable, UpstreamError) as exc:
                waiting = isinstance(exc, ServiceUnavailable) or exc.code in _WAIT_CODES
                if not waiting and exc.code != "offset_mismatch":
                    raise
                if waiting:
                    failures += 1
                    if failures > _NETWORK_RETRIES:
                        raise
                    await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                status = await client.upload_status(status.id)  # resume where the server is
            on_progress(status.offset)
    return status
