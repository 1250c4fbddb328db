"""A published title's changes that take a new asset version: its encryption, an added audio
language (issue 20, points 3 and 5). Both start a job from the title's latest master, so the
old version keeps playing until the new one is published whole: never a half-changed title."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from vodstack.contracts.pipeline import JobDetail, TitleEncryption, TitleEncryptionChange
from vodstack.core.errors import Invalid, NotFound, PayloadTooLarge
from vodstack.delivery.languages import LANGUAGE
from vodstack.pipeline.jobs.submit import submit_master
from vodstack.pipeline.jobs.title_settings import encrypts, set_encryption
from vodstack.pipeline.media.added_audio import master_with_language
from vodstack.pipeline.media.errors import EncodeFailed, InvalidMedia
from vodstack.pipeline.service.routes import Runtime, detail
from vodstack.pipeline.service.runtime import PipelineRuntime

AUDIO_PREFIX = "/v1/audio/"  # the bodies of added audio languages, streamed to disk
router = APIRouter(prefix="/v1")


@router.get("/titles/{title_id}/encryption")
def get_encryption(title_id: int, pipeline: Runtime) -> TitleEncryption:
    default = pipeline.settings.pipeline.encrypt
    return TitleEncryption(encrypt=encrypts(pipeline.store, title_id, default))


@router.put("/titles/{title_id}/encryption")
def put_encryption(
    title_id: int, body: TitleEncryption, pipeline: Runtime
) -> TitleEncryptionChange:
    """Set the title's encryption; a change re-encodes its latest master as a new version."""
    before = encrypts(pipeline.store, title_id, pipeline.settings.pipeline.encrypt)
    set_encryption(pipeline.store, title_id, body.encrypt)
    source = pipeline.queue.latest_source(title_id)
    job_id = None
    if before != body.encrypt and source is not None:
        job_id = pipeline.queue.create_job(title_id, source)
    return TitleEncryptionChange(title_id=title_id, encrypt=body.encrypt, job_id=job_id)


@router.post("/audio/{title_id}", status_code=201)  # under AUDIO_PREFIX
async def add_audio(
    title_id: int,
    request: Request,
    pipeline: Runtime,
    language: Annotated[str, Query(pattern=LANGUAGE.pattern, max_length=35)],
    name: Annotated[str, Query(max_length=80)] = "",
) -> JobDetail:
    """Join an audio file to the title's latest master as `language`; a new version's job."""
    source = pipeline.queue.latest_source(title_id)
    if source is None:
        raise NotFound(
            f"Title {title_id} has no master to add a language to (every upload failed, or "
            "none was made); upload its video first.",
            code="no_master",
        )
    limit = pipeline.settings.pipeline.max_upload_bytes
    with tempfile.TemporaryDirectory(prefix="vodstack-audio-", dir=_scratch(pipeline)) as tmp:
        audio = Path(tmp) / "audio"
        await _receive(request, audio, limit)
        job_id = await run_in_threadpool(_submit, pipeline, title_id, source, audio, language, name)
    return detail(pipeline, job_id)


def _scratch(pipeline: PipelineRuntime) -> Path:
    folder = pipeline.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def _receive(request: Request, path: Path, limit: int) -> None:
    size = 0
    with path.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(
                    f"An audio file may be at most {limit} bytes.", code="audio_too_large"
                )
            out.write(chunk)
    if size == 0:
        raise Invalid("The audio file is empty (0 bytes).", code="invalid_audio")


def _submit(
    pipeline: PipelineRuntime, title_id: int, source: str, audio: Path, language: str, name: str
) -> int:
    scratch = audio.parent
    master = pipeline.store.fetch(source, scratch / f"master{Path(source).suffix}")
    try:
        joined = master_with_language(master, audio, language, scratch / "joined.mkv", name=name)
    except (ValueError, InvalidMedia) as exc:
        raise Invalid(f"The audio cannot be added: {exc}", code="invalid_audio") from exc
    except EncodeFailed as exc:
        raise Invalid(
            f"The audio cannot be joined to the master: {exc}", code="invalid_audio"
        ) from exc
    submitted = submit_master(
        pipeline.store,
        pipeline.queue,
        title_id,
        joined,
        name=secrets.token_hex(12),
        filename="joined.mkv",
        move=True,
    )
    return submitted.job_id
