"""What the gateway's JSON API returns beyond the services' own wire formats."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from vodstack.contracts.accounts import Account, Pin, Plan, Profile, SessionInfo
from vodstack.contracts.pipeline import (
    JobDetail,
    JobSummary,
    RenditionProgress,
    TaskState,
)


class SessionView(BaseModel):
    """The logged-in account, its plan and the profile watching (the session id stays a cookie)."""

    account: Account
    plan: Plan
    profile: Profile | None
    expires_at: datetime

    @classmethod
    def of(cls, info: SessionInfo) -> SessionView:
        return cls(
            account=info.account,
            plan=info.account.plan,
            profile=info.profile,
            expires_at=info.expires_at,
        )


class ProfileChoice(BaseModel):
    """Body of `POST /api/profiles/{id}/select`: the PIN when the profile has one."""

    pin: Pin | None = None


class JobView(JobSummary):
    """A pipeline job as the admin pages show it: the title's name and live progress."""

    title_name: str | None
    renditions: list[RenditionProgress]
    #: Names of the tasks running now (e.g. `encode:v360p:2`), to show what it is doing.
    running: list[str]
    #: The first task error, when the job has not failed (yet) but a task did and will retry.
    task_error: str | None

    @classmethod
    def of(cls, detail: JobDetail, title_name: str | None) -> JobView:
        running = [t.name for t in detail.tasks if t.state is TaskState.RUNNING]
        errors = [t.error for t in detail.tasks if t.error]
        return cls(
            **detail.model_dump(exclude={"renditions", "tasks", "analysis"}),
            title_name=title_name,
            renditions=detail.renditions,
            running=running,
            task_error=errors[0] if errors else None,
        )
