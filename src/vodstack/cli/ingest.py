"""`vodstack ingest FILE`: validate, upload (resumable) and process a master.

Two modes, chosen by whether the platform runs:
- platform up: the title is created in the catalog (`--title`), the file goes to the pipeline
  service through the resumable upload protocol (a dropped connection resumes from the server's
  offset), and `--wait` follows the job live, riding out a restart of the pipeline service
  (cli.jobs.follow_job: the job resumes by itself, so the wait only has to keep asking);
- platform down: the file goes straight into the object store, the job into the pipeline
  database (`pipeline/jobs/submit.py`, the same step the upload route takes), and worker
  processes run here until the job ends (`--title-id` is then required, the catalog being
  down). The pipeline service tells the catalog once the platform starts.

The file is validated locally first (PyAV), so a bad file is refused before any upload.

`--series ID --season N --episode M` uploads one episode's own media: the catalog gives every
episode a title id of its own, which the upload then names (the catalog must be running).
"""

from __future__ import annotations

import asyncio
import datetime
import secrets
import tempfile
import time
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from vodstack.cli.jobs import (
    ApiFeed,
    DatabaseFeed,
    console,
    follow_job,
    load_cli_settings,
    pipeline_running,
)
from vodstack.cli.options import ConfigFile, DataDir
from vodstack.clients.catalog import CatalogClient
from vodstack.clients.pipeline import PipelineClient, upload_file
from vodstack.config.settings import Settings
from vodstack.contracts.catalog import TitleCreate
from vodstack.contracts.common import Maturity
from vodstack.contracts.pipeline import JobDetail, JobState
from vodstack.core.errors import ServiceUnavailable, VodstackError
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.media_tasks import check_source
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.runners import open_runner
from vodstack.pipeline.jobs.submit import submit_master
from vodstack.pipeline.jobs.title_settings import set_encryption
from vodstack.pipeline.media.audio_mux import mux_extra_audio, parse_extra
from vodstack.pipeline.media.errors import EncodeFailed, InvalidMedia
from vodstack.storage import open_object_store


class IngestError(Exception):
    """Something the operator must fix; the message says what."""


async def create_title(settings: Settings, name: str, year: int, genres: list[str]) -> int:
    catalog = CatalogClient.of(settings, "cli", timeout=settings.upstream_timeout_s)
    try:
        title = await catalog.create(TitleCreate(name=name, year=year, genres=genres))
    except ServiceUnavailable as exc:
        raise IngestError(
            "The catalog is not running, so --title cannot create the entry: start the platform "
            "(`vodstack up`) or pass --title-id of an existing title."
        ) from exc
    finally:
        await catalog.aclose()
    return title.id


async def episode_title_id(settings: Settings, series_id: int, season: int, number: int) -> int:
    """The title id the catalog gave episode `number` of `season` of series `series_id`."""
    catalog = CatalogClient.of(settings, "cli", timeout=settings.upstream_timeout_s)
    try:
        series = await catalog.title(series_id, Maturity.ADULT, unpublished=True)
    except ServiceUnavailable as exc:
        raise IngestError(
            "The catalog is not running, so --series cannot find the episode: start the "
            "platform (`vodstack up`) or pass the episode's --title-id."
        ) from exc
    finally:
        await catalog.aclose()
    for s in series.seasons:
        for episode in s.episodes:
            if (s.number, episode.number) == (season, number) and episode.id is not None:
                return episode.id
    slots = ", ".join(f"S{s.number}E{e.number}" for s in series.seasons for e in s.episodes)
    raise IngestError(
        f"{series.name!r} (title {series_id}) has no season {season} episode {number}; "
        f"it has: {slots or 'no episodes (add them on its edit page)'}"
    )


def _transfer_bar() -> Progress:
    return Progress(
        TextColumn("[bold]upload"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


async def ingest_online(
    settings: Settings, path: Path, title_id: int, wait: bool, encrypt: bool | None = None
) -> int:
    client = PipelineClient.balanced(settings, "cli", timeout=120.0)
    try:
        with _transfer_bar() as bar:
            # One stat of a local file: microseconds, not worth a thread.
            task = bar.add_task("upload", total=path.stat().st_size)  # noqa: ASYNC240
            status = await upload_file(
                client,
                path,
                title_id,
                lambda done: bar.update(task, completed=done),
                encrypt=encrypt,
            )
        if status.job_id is None:
            raise IngestError(f"the upload ended as {status.state.value}: {status.error}")
        console.print(f"uploaded; job {status.job_id} created")
        if wait:
            job = await follow_job(ApiFeed(client), status.job_id)
            _report(job)
            await _until_catalog_shows(settings, job)
        return status.job_id
    finally:
        await client.aclose()


async def _until_catalog_shows(settings: Settings, job: JobDetail, timeout_s: float = 60) -> None:
    """`--wait` ends when viewers get the complete version: the pipeline tells the catalog
    through its outbox, a moment after the job ends (until then a preview may be playing)."""
    catalog = CatalogClient.of(settings, "cli", timeout=settings.upstream_timeout_s)
    deadline = time.monotonic() + timeout_s
    try:
        while await _catalog_version(catalog, job.title_id) != job.asset_version:
            if time.monotonic() > deadline:
                raise IngestError(
                    f"job {job.id} published {job.asset_version}, but the catalog has not "
                    f"picked it up after {timeout_s:g} s; check `vodstack status`"
                )
            await asyncio.sleep(0.2)
    finally:
        await catalog.aclose()
    console.print(f"[green]available[/] in the catalog: title {job.title_id}")


async def ingest_offline(
    settings: Settings, path: Path, title_id: int, encrypt: bool | None = None
) -> int:
    engine, sessions = open_database(settings)
    queue = JobQueue(sessions, settings.pipeline)
    store = open_object_store(settings)
    set_encryption(store, title_id, encrypt)  # as the upload route does
    name = secrets.token_hex(12)
    job_id = submit_master(
        store, queue, title_id, path, name=name, filename=path.name, move=False
    ).job_id
    engine.dispose()
    console.print(f"platform not running: processing job {job_id} here")
    pool = open_runner(settings)
    pool.start()
    feed = DatabaseFeed(settings)
    try:
        _report(await follow_job(feed, job_id))
    finally:
        await feed.aclose()
        await asyncio.to_thread(pool.stop)
    return job_id


async def _catalog_version(catalog: CatalogClient, title_id: int) -> str | None:
    """The title's asset version; None while the catalog is down (it may be restarting)."""
    try:
        return (await catalog.title(title_id, Maturity.ADULT, unpublished=True)).asset_version
    except ServiceUnavailable:
        return None


def _report(job: JobDetail) -> None:
    if job.state is JobState.SUCCEEDED:
        console.print(f"[green]published[/] title {job.title_id}, asset {job.asset_version}")
    else:
        raise IngestError(f"job {job.id} {job.state.value}: {job.error}")


def ingest(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    title: str | None = typer.Option(None, "--title", help="Create a catalog title named so."),
    title_id: int | None = typer.Option(None, "--title-id", min=1, help="An existing title."),
    series: int | None = typer.Option(None, "--series", min=1, help="A series' title id."),
    season: int | None = typer.Option(None, "--season", min=1, help="With --series."),
    episode: int | None = typer.Option(None, "--episode", min=1, help="With --series."),
    year: int = typer.Option(datetime.date.today().year, "--year"),
    genre: list[str] = typer.Option(["Uncategorized"], "--genre", help="Repeatable."),
    wait: bool = typer.Option(False, "--wait", help="Follow the job until it ends."),
    encrypt: bool | None = typer.Option(
        None,
        "--encrypt/--no-encrypt",
        help="Encrypt the title (CENC, licences) or not; default: as before, else "
        "pipeline.encrypt.",
    ),
    audio: list[str] = typer.Option(
        [], "--audio", help="LANG=FILE: an extra audio language (repeatable), e.g. fr=fr.m4a."
    ),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Validate FILE, upload it as a title's master and start the encoding job."""
    settings = load_cli_settings(data_dir, config)
    problem = check_source(file)
    if problem is not None:
        console.print(f"[red]rejected:[/] {file.name}: {problem}")
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory(prefix="vodstack-ingest-") as scratch:
        if audio:
            file = _with_extra_audio(file, audio, Path(scratch))
        where = (title, title_id, series, season, episode)
        _ingest(settings, file, where, year, genre, wait, encrypt)


def _with_extra_audio(file: Path, audio: list[str], scratch: Path) -> Path:
    """The master with the `--audio LANG=FILE` tracks joined in (audio_mux), or exit 2."""
    try:
        extras = [parse_extra(item) for item in audio]
        return mux_extra_audio(file, extras, scratch / f"{file.stem}.mkv")
    except (ValueError, InvalidMedia, EncodeFailed) as exc:
        console.print(f"[red]rejected:[/] --audio: {exc}")
        raise typer.Exit(2) from None


def _ingest(
    settings: Settings,
    file: Path,
    where: tuple[str | None, int | None, int | None, int | None, int | None],
    year: int,
    genre: list[str],
    wait: bool,
    encrypt: bool | None,
) -> None:
    title, title_id, series, season, episode = where
    if [title, title_id, series].count(None) != 2:
        console.print(
            "[red]error:[/] give exactly one of --title NAME, --title-id ID or "
            "--series ID --season N --episode M"
        )
        raise typer.Exit(2)
    if (series is None) != (season is None) or (series is None) != (episode is None):
        console.print("[red]error:[/] --series, --season and --episode go together")
        raise typer.Exit(2)

    async def target_id() -> int:
        if series is not None and season is not None and episode is not None:
            return await episode_title_id(settings, series, season, episode)
        return title_id or await create_title(settings, title or "", year, genre)

    async def run() -> None:
        online = await pipeline_running(settings)
        target = await target_id()
        if online:
            await ingest_online(settings, file, target, wait, encrypt)
        else:
            await ingest_offline(settings, file, target, encrypt)

    try:
        asyncio.run(run())
    except (IngestError, VodstackError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
