"""`--wait` (cli.jobs.follow_job) treats an unreachable pipeline as a restart, within a bound."""

from __future__ import annotations

import asyncio

import pytest

from vodstack.cli.jobs import follow_job
from vodstack.contracts.pipeline import JobDetail, JobState, JobSummary
from vodstack.core.backoff import Backoff
from vodstack.core.errors import ServiceUnavailable, UpstreamError

QUICK = Backoff(first_s=0.001, max_s=0.005, budget_s=0.5)


def _job(state: JobState) -> JobDetail:
    return JobDetail(
        id=7,
        title_id=3,
        source_key="masters/3/a.mp4",
        state=state,
        asset_version="v1",
        progress=1.0 if state.terminal else 0.5,
        error=None,
        created_at=0.0,
        started_at=0.0,
        finished_at=None,
        renditions=[],
        tasks=[],
        analysis=None,
    )


class RestartingFeed:
    """A pipeline whose answers to successive polls are scripted: a job state or an error."""

    def __init__(self, answers: list[JobState | Exception]) -> None:
        self.answers = answers
        self.calls = 0

    async def summaries(self, limit: int) -> list[JobSummary]:
        raise NotImplementedError

    async def detail(self, job_id: int) -> JobDetail:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return _job(answer)

    async def cancel(self, job_id: int) -> JobDetail:
        raise NotImplementedError

    async def set_priority(self, job_id: int, priority: int) -> JobDetail:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def test_a_pipeline_restart_mid_job_is_waited_out() -> None:
    down = ServiceUnavailable("The pipeline service is unreachable.")
    feed = RestartingFeed([JobState.RUNNING, down, down, down, JobState.SUCCEEDED])
    job = asyncio.run(follow_job(feed, 7, interval_s=0.001, outage=QUICK))
    assert job.state is JobState.SUCCEEDED
    assert feed.calls == 5


def test_a_pipeline_that_stays_away_fails_with_a_clear_message() -> None:
    feed = RestartingFeed([JobState.RUNNING, ServiceUnavailable("unreachable")])
    with pytest.raises(ServiceUnavailable, match=r"has not answered for 0.5 s.*jobs show 7"):
        asyncio.run(follow_job(feed, 7, interval_s=0.001, outage=QUICK))


def test_a_refusal_is_not_mistaken_for_a_restart() -> None:
    feed = RestartingFeed([UpstreamError(404, "no job 7", code="not_found")])
    with pytest.raises(UpstreamError):
        asyncio.run(follow_job(feed, 7, interval_s=0.001, outage=QUICK))
    assert feed.calls == 1
