"""`vodstack scale SERVICE N`: change how many instances of a stateless service run, live."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from vodstack.cli.options import ConfigFile, DataDir
from vodstack.config import Settings, load_settings
from vodstack.config.settings import AutoscalePolicy, check_scalable
from vodstack.core.processes import pid_alive
from vodstack.supervisor.control import control_path, update_control
from vodstack.supervisor.status import PlatformStatus, read_status, run_dir

console = Console()


def scale(
    service: str = typer.Argument(..., help="gateway, accounts, catalog or playback."),
    count: int = typer.Argument(..., help="Instances wanted (1 or more)."),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until it is done."),
    timeout: float = typer.Option(120.0, "--timeout", help="How long to wait, in seconds."),
) -> None:
    """Start new instances, or drain the highest-numbered ones (in-flight requests finish)."""
    settings = load_settings(config, **({"data_dir": data_dir} if data_dir else {}))
    status = read_status(settings)
    if status is None or not pid_alive(status.supervisor_pid):
        console.print(f"[red]error:[/] vodstack is not running from {settings.data_dir}")
        raise typer.Exit(1)
    known = {svc.service or svc.name for svc in status.services}
    if service not in known:
        console.print(
            f"[red]error:[/] unknown service {service!r}; running: {', '.join(sorted(known))}"
        )
        raise typer.Exit(2)
    try:
        check_scalable(service, count)
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    try:
        update_control(
            control_path(settings),
            lambda c: c.model_copy(update={"instances": {**c.instances, service: count}}),
        )
    except PermissionError:
        owner = settings.data_dir
        console.print(f"[red]error:[/] missing rights: only the owner of {owner} can scale")
        raise typer.Exit(2) from None
    console.print(f"asked for {count} instance(s) of {service}")
    policy = _autoscaled(settings, service)
    if policy is not None:
        console.print(
            f"note: the autoscaler manages {service} (min {policy.min}, max {policy.max}); "
            "its next round sets the count the load of its last window asks for (change "
            "`autoscale.services` to pin it; docs/resilience.md)"
        )
    if wait:
        _wait(settings, service, count, timeout)


def _autoscaled(settings: Settings, service: str) -> AutoscalePolicy | None:
    """The running platform's autoscaling policy for `service`, if its autoscaler is on."""
    try:
        running = Settings.from_child_json((run_dir(settings) / "settings.json").read_text())
    except (OSError, ValueError):
        return None  # not readable by this user, or not written yet: nothing to add
    if not running.autoscale.enabled:
        return None
    return running.autoscale.services.get(service)


def _wait(settings: Settings, service: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read_status(settings)
        if status is not None and settled(status, service, count):
            names = [s.name for s in status.services if (s.service or s.name) == service]
            console.print(f"{service}: {count} healthy, registered: {', '.join(names)}")
            return
        time.sleep(0.25)
    console.print(
        f"[red]error:[/] {service} did not reach {count} instance(s) in {timeout:g}s; "
        "see `vodstack status`"
    )
    raise typer.Exit(1)


def settled(status: PlatformStatus, service: str, count: int) -> bool:
    """Exactly `count` instances, all healthy and registered, none still draining."""
    mine = [s for s in status.services if (s.service or s.name) == service]
    return len(mine) == count and all(s.state == "healthy" and s.registered for s in mine)
