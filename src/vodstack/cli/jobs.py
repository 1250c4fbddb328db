"""`vodstack jobs`: live progress per job and per rendition; cancel; run pipeline workers.

Job data comes from the pipeline service's API when it runs, else straight from the pipeline
database (same rows), so the command also works while the platform is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Protocol

import httpx
import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from vodstack.cli.options import ConfigFile, DataDir
from vodstack.clients.pipeline import PipelineClient
from vodstack.config.secrets import InsecureSecretError, with_secrets
from vodstack.config.settings import Settings, load_settings
from vodstack.contracts.pipeline import PRIORITY_LIMIT, JobDetail, JobState, JobSummary
from vodstack.core.backoff import Backoff, aretry
from vodstack.core.context import configure_logging
from vodstack.core.errors import ServiceUnavailable, UpstreamError
from vodstack.demo.preparation import read_preparation
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.executor import DEFAULT_EXECUTOR
from vodstack.pipeline.jobs.pool import pool_size
from vodstack.pipeline.jobs.progress import job_detail, list_jobs
from vodstack.pipeline.jobs.queue import JobFinishedError, JobNotFoundError, JobQueue
from vodstack.pipeline.jobs.runners import open_runner

console = Console()
app = typer.Typer(help="Pipeline jobs: live progress, cancel, run workers.", no_args_is_help=False)

_STATE_STYLE = {
    JobState.QUEUED: "dim",
    JobState.RUNNING: "cyan",
    JobState.SUCCEEDED: "green",
    JobState.FAILED: "red",
    JobState.CANCELLED: "yellow",
}


def load_cli_settings(data_dir: Path | None, config: Path | None) -> Settings:
    """The platform's settings, secret included: commands call the services with service
    tokens signed with it (the local one under data_dir, or VODSTACK_SECRET_KEY)."""
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        return with_secrets(load_settings(config, **overrides))
    except InsecureSecretError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None


class JobFeed(Protocol):
    async def summaries(self, limit: int) -> list[JobSummary]: ...
    async def detail(self, job_id: int) -> JobDetail: ...
    async def cancel(self, job_id: int) -> JobDetail: ...
    async def set_priority(self, job_id: int, priority: int) -> JobDetail: ...
    async def aclose(self) -> None: ...


class ApiFeed:
    def __init__(self, client: PipelineClient) -> None:
        self.client = client

    async def summaries(self, limit: int) -> list[JobSummary]:
        return await self.client.jobs(limit)

    async def detail(self, job_id: int) -> JobDetail:
        return await self.client.job(job_id)

    async def cancel(self, job_id: int) -> JobDetail:
        return await self.client.cancel(job_id)

    async def set_priority(self, job_id: int, priority: int) -> JobDetail:
        return await self.client.set_priority(job_id, priority)

    async def aclose(self) -> None:
        await self.client.aclose()


class DatabaseFeed:
    def __init__(self, settings: Settings) -> None:
        self._engine, self._sessions = open_database(settings)
        self._queue = JobQueue(self._sessions, settings.pipeline)
        self._workers = pool_size(settings)

    async def summaries(self, limit: int) -> list[JobSummary]:
        return await asyncio.to_thread(list_jobs, self._sessions, limit, self._workers)

    async def detail(self, job_id: int) -> JobDetail:
        return await asyncio.to_thread(job_detail, self._sessions, job_id, self._workers)

    async def cancel(self, job_id: int) -> JobDetail:
        await asyncio.to_thread(self._queue.cancel_job, job_id)
        return await self.detail(job_id)

    async def set_priority(self, job_id: int, priority: int) -> JobDetail:
        await asyncio.to_thread(self._queue.set_priority, job_id, priority)
        return await self.detail(job_id)

    async def aclose(self) -> None:
        self._engine.dispose()


async def pipeline_running(settings: Settings) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1.0) as http:
            response = await http.get(settings.service_url("pipeline") + "/healthz")
    except httpx.HTTPError:
        return False
    return response.status_code == 200


async def open_feed(settings: Settings) -> JobFeed:
    if await pipeline_running(settings):
        return ApiFeed(PipelineClient.balanced(settings, "cli"))
    return DatabaseFeed(settings)


# -- rendering ------------------------------------------------------------------------------


def bar(fraction: float, width: int = 12) -> Text:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return Text("█" * filled + "░" * (width - filled) + f" {fraction * 100:5.1f}%")


def _elapsed(job: JobSummary) -> str:
    if job.started_at is None:
        return "-"
    end = job.finished_at or time.time()
    return f"{end - job.started_at:.0f}s"


def queue_note(job: JobSummary, now: float) -> str:
    """Where a waiting job stands: "#2 in queue, starts in ~3 min" (an estimate)."""
    if job.queue_position is None:
        return ""
    note = f"#{job.queue_position} in queue"
    if job.estimated_start is not None:
        wait = max(0.0, job.estimated_start - now)
        note += f", starts in ~{wait / 60:.0f} min" if wait >= 90 else f", starts in ~{wait:.0f} s"
    return note


def job_note(job: JobSummary, now: float) -> str:
    """The detail column: the error, the version, what is watchable, or the queue spot."""
    if job.error:
        return job.error
    if job.state is JobState.SUCCEEDED:
        return f"asset {job.asset_version}"
    if job.published:
        return f"published {job.asset_version}; measuring quality (VMAF)"
    if job.preview_version:
        return f"watchable: preview {job.preview_version}"
    return queue_note(job, now)


def jobs_table(summaries: list[JobSummary], details: dict[int, JobDetail]) -> Table:
    table = Table(title="pipeline jobs", expand=False)
    for column in ("job", "title", "state", "prio", "progress", "elapsed", "detail"):
        table.add_column(column)
    now = time.time()
    for job in summaries:
        style = _STATE_STYLE[job.state]
        note = job_note(job, now)
        table.add_row(
            str(job.id),
            str(job.title_id),
            Text(job.state.value, style=style),
            str(job.priority) if job.priority else "",
            bar(job.progress),
            _elapsed(job),
            note,
        )
        detail = details.get(job.id)
        for rendition in detail.renditions if detail else []:
            chunks = f"{rendition.chunks_done}/{rendition.chunks_total} chunks"
            table.add_row(
                "",
                "",
                Text(f"  {rendition.rendition}", style="dim"),
                "",
                bar(rendition.progress),
                "",
                chunks,
            )
    return table


def job_view(job: JobDetail) -> Group:
    table = jobs_table([job], {job.id: job})
    running = [t for t in job.tasks if t.state.value == "running"]
    tasks = Table(title="running tasks", show_edge=False) if running else None
    if tasks is not None:
        tasks.add_column("task")
        tasks.add_column("attempt")
        tasks.add_column("progress")
        for task in running:
            tasks.add_row(task.name, str(task.attempts), bar(task.progress, 12))
    return Group(table, *([tasks] if tasks is not None else []))


async def _snapshot(feed: JobFeed, limit: int, settings: Settings) -> Group:
    summaries = await feed.summaries(limit)
    active = [j.id for j in summaries if not j.state.terminal]
    details = {job_id: await feed.detail(job_id) for job_id in active}
    return Group(*_preparation(settings), jobs_table(summaries, details))


def _preparation(settings: Settings) -> list[Text]:
    """What happens before the jobs exist: `vodstack up` making the demo masters."""
    state = read_preparation(settings)
    if state is None or state.finished:
        return []
    return [Text(state.line(), style="cyan")]


# Following a job rides out a pipeline restart (the job resumes on its own): the service is
# asked again with backoff for this long before `--wait` gives up. A restart takes seconds; a
# crash loop waits up to 30 s between starts.
PIPELINE_OUTAGE = Backoff(first_s=0.5, max_s=5.0, budget_s=180.0)


async def follow_job(
    feed: JobFeed, job_id: int, interval_s: float = 0.5, *, outage: Backoff = PIPELINE_OUTAGE
) -> JobDetail:
    """Show one job live until it finishes; returns its final state."""
    job = await _detail(feed, job_id, outage)
    with Live(job_view(job), console=console, refresh_per_second=4) as live:
        while not job.state.terminal:
            await asyncio.sleep(interval_s)
            job = await _detail(feed, job_id, outage)
            live.update(job_view(job))
    return job


async def _detail(feed: JobFeed, job_id: int, outage: Backoff) -> JobDetail:
    """The job's state, retried while the pipeline service is unreachable or restarting."""
    retried: list[Exception] = []

    def note(exc: Exception, _delay: float) -> None:
        if not retried:  # once per outage, not once per try
            console.print(f"[yellow]pipeline restarting, retrying…[/] ({exc})")
        retried.append(exc)

    try:
        return await aretry(
            lambda: feed.detail(job_id),
            lambda exc: isinstance(exc, ServiceUnavailable),
            outage,
            on_retry=note,
        )
    except ServiceUnavailable as exc:
        if not retried:
            raise
        raise ServiceUnavailable(
            f"The pipeline service has not answered for {outage.budget_s:g} s ({exc}). "
            f"Job {job_id} carries on once it is back: `vodstack jobs show {job_id} --watch`."
        ) from exc


# -- commands -------------------------------------------------------------------------------


@app.callback(invoke_without_command=True)
def jobs(
    ctx: typer.Context,
    watch: bool = typer.Option(False, "--watch", "-w", help="Refresh live until Ctrl-C."),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Show pipeline jobs with progress per job and per rendition."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_cli_settings(data_dir, config)

    async def run() -> None:
        feed = await open_feed(settings)
        try:
            if not watch:
                console.print(await _snapshot(feed, limit, settings))
                return
            with Live(await _snapshot(feed, limit, settings), console=console) as live:
                while True:
                    await asyncio.sleep(1.0)
                    live.update(await _snapshot(feed, limit, settings))
        finally:
            await feed.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@app.command()
def show(
    job_id: int,
    watch: bool = typer.Option(False, "--watch", "-w", help="Follow until the job finishes."),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """One job: per rendition and running task progress."""
    settings = load_cli_settings(data_dir, config)

    async def run() -> None:
        feed = await open_feed(settings)
        try:
            if watch:
                await follow_job(feed, job_id)
            else:
                console.print(job_view(await feed.detail(job_id)))
        finally:
            await feed.aclose()

    try:
        asyncio.run(run())
    except (JobNotFoundError, UpstreamError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


@app.command()
def cancel(job_id: int, data_dir: Path | None = DataDir, config: Path | None = ConfigFile) -> None:
    """Cancel a job: its running ffmpeg processes are killed, nothing is published."""
    settings = load_cli_settings(data_dir, config)
    job = _change_job(settings, lambda feed: feed.cancel(job_id))
    console.print(f"job {job.id}: {job.state.value}")


def _change_job(settings: Settings, change: Callable[[JobFeed], Awaitable[JobDetail]]) -> JobDetail:
    """Apply `change` through the pipeline (or its database when it is not running); a job that
    is gone or finished is a one-line error and exit status 1."""

    async def run() -> JobDetail:
        feed = await open_feed(settings)
        try:
            return await change(feed)
        finally:
            await feed.aclose()

    try:
        return asyncio.run(run())
    except (JobNotFoundError, JobFinishedError, UpstreamError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


@app.command()
def priority(
    job_id: int,
    value: int = typer.Argument(
        ..., min=-PRIORITY_LIMIT, max=PRIORITY_LIMIT, help="Higher runs sooner; default 0."
    ),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Set a job's priority: within each band (previews, full ladders, VMAF), jobs of higher
    priority go first; a full ladder never overtakes another title's preview."""
    settings = load_cli_settings(data_dir, config)
    job = _change_job(settings, lambda feed: feed.set_priority(job_id, value))
    spot = queue_note(job, time.time())
    console.print(f"job {job.id}: priority {job.priority}" + (f" ({spot})" if spot else ""))


@app.command()
def work(
    workers: int | None = typer.Option(None, "--workers", min=1, help="Default: CPU count."),
    executor: str = typer.Option(DEFAULT_EXECUTOR, "--executor", hidden=True),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Run pipeline worker processes in the foreground until Ctrl-C or SIGTERM."""
    settings = load_cli_settings(data_dir, config)
    configure_logging("pipeline-workers", settings.log_level)
    pool = open_runner(settings, executor_ref=executor, size=workers)
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    pool.start()
    console.print(f"pipeline: {pool.size} workers running ({settings.pipeline.executor.value})")
    stop.wait()
    console.print("stopping workers...")
    pool.stop()
