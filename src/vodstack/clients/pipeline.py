"""Typed client of the pipeline service (jobs and resumable uploads)."""

from __future__ import annotations

from pydantic import TypeAdapter

from vodstack.contracts.pipeline import (
    UPLOAD_OFFSET_HEADER,
    JobCreate,
    JobDetail,
    JobSummary,
    UploadCreate,
    UploadStatus,
)
from vodstack.core.http import ServiceClient

_summaries = TypeAdapter(list[JobSummary])


class PipelineClient(ServiceClient):
    service = "pipeline"

    async def create_job(self, body: JobCreate) -> JobDetail:
        return await self.send_model("POST", "/v1/jobs", JobDetail, json=body.model_dump())

    async def jobs(self, limit: int = 50) -> list[JobSummary]:
        return await self.get_as("/v1/jobs", _summaries, params={"limit": limit})

    async def job(self, job_id: int) -> JobDetail:
        return await self.get_model(f"/v1/jobs/{job_id}", JobDetail)

    async def cancel(self, job_id: int) -> JobDetail:
        return await self.send_model("POST", f"/v1/jobs/{job_id}/cancel", JobDetail)

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
