"""First-run demo data: an admin, a viewer household with profiles, and the demo catalog.

Logins are generated once per data directory and kept in data_dir/secrets/demo_logins.json, so
each run prints the same working credentials and nothing guessable ships in the code.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass

from vodstack.clients.accounts import AccountsClient
from vodstack.clients.catalog import CatalogClient
from vodstack.config import Settings
from vodstack.contracts.accounts import AdminAccountCreate, PlanCode, ProfileCreate, Role
from vodstack.contracts.common import Maturity
from vodstack.core.errors import UpstreamError
from vodstack.demo.catalog import seed_catalog

ADMIN_EMAIL = "admin@vodstack.local"
VIEWER_EMAIL = "demo@vodstack.local"
VIEWER_PROFILES = (
    ProfileCreate(name="Sam", avatar_color="#1f8ef1", maturity=Maturity.TEEN),
    ProfileCreate(name="Kids", avatar_color="#f5a623", maturity=Maturity.KIDS),
)


@dataclass(frozen=True)
class DemoLogins:
    admin_email: str
    admin_password: str
    viewer_email: str
    viewer_password: str


def demo_logins(settings: Settings) -> DemoLogins:
    """The demo credentials for this data directory, created on first use."""
    path = settings.data_dir / "secrets" / "demo_logins.json"
    if path.is_file():
        return DemoLogins(**json.loads(path.read_text()))
    logins = DemoLogins(
        ADMIN_EMAIL, secrets.token_urlsafe(9), VIEWER_EMAIL, secrets.token_urlsafe(9)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(logins), handle)
    return logins


async def _ensure_account(client: AccountsClient, body: AdminAccountCreate) -> int | None:
    """Create the account; None when it already exists (a previous run seeded it)."""
    try:
        return (await client.create_account(body)).id
    except UpstreamError as exc:
        if exc.status_code == 409:
            return None
        raise


async def seed_demo(settings: Settings, report: Callable[[str], None] = print) -> DemoLogins:
    logins = demo_logins(settings)
    # Part of `vodstack up`'s start-up, so as patient as the start-up: on a busy host the first
    # account's password hash took 8.5 s, past the 5 s a request between services may take
    # (docs/benchmarks.md, "Test suite: CPU").
    timeout = max(settings.upstream_timeout_s, settings.supervisor.start_timeout_s)
    accounts = AccountsClient.of(settings, "demo", timeout=timeout)
    catalog = CatalogClient.of(settings, "demo", timeout=timeout)
    try:
        await _ensure_account(
            accounts,
            AdminAccountCreate(
                email=logins.admin_email,
                password=logins.admin_password,
                plan=PlanCode.PREMIUM,
                role=Role.ADMIN,
            ),
        )
        viewer_id = await _ensure_account(
            accounts,
            AdminAccountCreate(
                email=logins.viewer_email, password=logins.viewer_password, plan=PlanCode.STANDARD
            ),
        )
        if viewer_id is not None:
            for profile in VIEWER_PROFILES:
                await accounts.create_profile(viewer_id, profile)
        created = await seed_catalog(catalog)
    finally:
        await accounts.aclose()
        await catalog.aclose()
    if created:
        report(f"seeded {created} demo titles")
    report(f"  admin:  {logins.admin_email}  password {logins.admin_password}")
    report(f"  viewer: {logins.viewer_email}  password {logins.viewer_password}")
    return logins
