"""`vodstack up` and `vodstack status`: run the platform and look at it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.table import Table

from vodstack.cli.options import ConfigFile, DataDir
from vodstack.cli.profile import (
    DemoOption,
    Profile,
    ProfileOption,
    announce,
    apply_profile,
    seeds_demo,
)
from vodstack.config import Settings, load_settings
from vodstack.config.secrets import InsecureSecretError, with_secrets
from vodstack.contracts.autoscale import Decision, latest_per_service, read_decisions
from vodstack.core.processes import pid_alive
from vodstack.demo.media import publish_demo_media
from vodstack.demo.seed import seed_demo
from vodstack.discovery import RegistryUnavailable, open_registry, reset_registry
from vodstack.storage import ObjectStoreUnavailable, prepare_object_store
from vodstack.supervisor.production import ProfileRefused
from vodstack.supervisor.registry import PartialPortMap, check_port_map, platform_services
from vodstack.supervisor.status import (
    AlreadyRunning,
    acquire_lock,
    read_status,
    run_dir,
    write_settings_file,
)
from vodstack.supervisor.supervisor import StartupFailed, Supervisor
from vodstack.supervisor.workers import WORKER, WorkersRefused, check_workers, worker_count

console = Console()


def _build_settings(data_dir: Path | None, config: Path | None, port: int | None) -> Settings:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = load_settings(config, **overrides)
    if port is not None:
        settings = settings.model_copy(update={"ports": {**settings.ports, "gateway": port}})
    return settings


def up(
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
    port: int | None = typer.Option(None, "--port", help="Gateway port (default 8000)."),
    demo_option: bool | None = DemoOption,
    profile: Profile = ProfileOption,
) -> None:
    """Start every service as its own process, seed demo data, and watch them until Ctrl-C."""
    demo = seeds_demo(profile, demo_option)
    try:
        settings = _build_settings(data_dir, config, port)
        settings = with_secrets(apply_profile(profile, settings, config))
        check_port_map(settings)
        check_workers(settings)
        prepare_object_store(settings)
        acquire_lock(settings)
    except (
        InsecureSecretError,
        PartialPortMap,
        AlreadyRunning,
        FileNotFoundError,
        ProfileRefused,
        WorkersRefused,
    ) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    except ObjectStoreUnavailable as exc:
        console.print(f"[red]error:[/] the object store cannot be used: {exc}")
        raise typer.Exit(2) from None
    settings_file = write_settings_file(settings)
    specs = platform_services(settings)
    workers = worker_count(settings)
    console.print(
        f"[bold]vodstack[/] starting {len(specs)} services"
        + (f" and {workers} pipeline worker{'s' if workers > 1 else ''}" if workers else "")
        + f", data in {settings.data_dir}"
    )
    if workers:
        specs.insert(0, WORKER)
    announce(profile, settings, console.print)
    try:
        reset_registry(settings)
        registry = open_registry(settings)
    except RegistryUnavailable as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    supervisor = Supervisor(settings, specs, settings_file, report=console.print, registry=registry)

    async def ready(current: Settings) -> None:
        if demo and current.seed_demo_data:
            await seed_demo(current, report=console.print)
        if demo and current.demo_media:
            supervisor.run_in_background(publish_demo_media(current, report=console.print))
        console.print(
            f"\n[bold green]vodstack is up:[/] {current.gateway_url}   "
            "(Ctrl-C stops it; `vodstack status` shows the services)\n"
        )

    try:
        asyncio.run(supervisor.run(on_ready=[ready]))
    except StartupFailed as exc:
        console.print(f"[red]start-up failed:[/] {exc}")
        raise typer.Exit(1) from None
    console.print("vodstack stopped.")


def status(
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show every instance's state, pid, port, region, registration, restarts and live health."""
    settings = _build_settings(data_dir, config, None)
    current = read_status(settings)
    if current is None or not pid_alive(current.supervisor_pid):
        console.print(f"vodstack is not running (data dir {settings.data_dir}).")
        raise typer.Exit(1)
    probed = [svc for svc in current.services if svc.kind != "worker"]
    answered = asyncio.run(_probe([svc.url for svc in probed]))
    answers = dict(zip([svc.name for svc in probed], answered, strict=True))
    health = [answers.get(svc.name) for svc in current.services]
    # Instances sharing a port (gateways) answer for each other: a stopped one is not live.
    # A worker has no /healthz: it is live while its process runs.
    live = [
        svc.pid is not None and (pid_alive(svc.pid) if svc.kind == "worker" else answer is not None)
        for svc, answer in zip(current.services, health, strict=True)
    ]
    latest = latest_per_service(read_decisions(run_dir(settings), last=200))
    actions = read_decisions(run_dir(settings), last=10, only_changes=True)
    if as_json:
        data = current.model_dump()
        for svc, ok, answer in zip(data["services"], live, health, strict=True):
            svc["live"] = ok
            svc.update(_traffic(answer))
        data["autoscaler"] = {
            "latest": {name: d.model_dump() for name, d in latest.items()},
            "actions": [d.model_dump() for d in actions],
        }
        console.print_json(data=data)
        return
    table = Table(title=f"vodstack at {current.gateway_url}")
    columns = (
        "instance",
        "region",
        "state",
        "registered",
        "live",
        "pid",
        "port",
        "restarts",
        "last restart",
        "uptime",
        "requests",
        "served",
        "log",
    )
    for column in columns:
        table.add_column(column)
    for svc, ok, answer in zip(current.services, live, health, strict=True):
        traffic = _traffic(answer)
        table.add_row(
            svc.name,
            svc.region or "-",
            svc.state,
            "yes" if svc.registered else "no",
            "[green]yes[/]" if ok else "[red]no[/]",
            str(svc.pid or "-"),
            str(svc.port) if svc.kind != "worker" else "-",
            str(svc.restarts),
            svc.last_restart or "-",
            f"{svc.uptime_s:.0f}s",
            str(traffic["requests"]) if traffic else "",
            _megabytes(traffic["served_bytes"]) if traffic else "",
            svc.log,
        )
    console.print(table)
    if latest or actions:
        console.print(_autoscaler_table(latest, actions))


def _autoscaler_table(latest: dict[str, Decision], actions: list[Decision]) -> Table:
    """The autoscaler's latest decision per service, then its last changes (docs/resilience.md)."""
    table = Table(title="autoscaler (run/autoscale/decisions.jsonl)")
    for column in ("when", "service", "action", "current", "wants", "desired", "min-max", "why"):
        table.add_column(column)
    shown = [*actions, *(d for d in latest.values() if d not in actions)]
    for decision in sorted(shown, key=lambda d: d.at):
        table.add_row(
            time.strftime("%H:%M:%S", time.localtime(decision.at)),
            decision.service,
            decision.action.replace("_", " "),
            str(decision.current),
            str(decision.recommended),
            str(decision.desired),
            f"{decision.min}-{decision.max}",
            decision.reason,
        )
    return table


def _traffic(health: dict[str, object] | None) -> dict[str, int]:
    """An edge's requests and bytes served since it started (from its /healthz)."""
    if not health:
        return {}
    requests, served = health.get("requests"), health.get("served_bytes")
    if isinstance(requests, int) and isinstance(served, int):
        return {"requests": requests, "served_bytes": served}
    return {}


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


async def _probe(urls: list[str]) -> list[dict[str, object] | None]:
    """Each service's /healthz answer, or None where it is not live."""
    async with httpx.AsyncClient(timeout=1.0) as client:

        async def one(url: str) -> dict[str, object] | None:
            try:
                response = await client.get(f"{url}/healthz")
            except httpx.HTTPError:
                return None
            if response.status_code != 200:
                return None
            try:
                answer = response.json()
            except ValueError:
                return {}
            return answer if isinstance(answer, dict) else {}

        return list(await asyncio.gather(*(one(url) for url in urls)))
