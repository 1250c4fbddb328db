"""Chaos tooling on a running platform: who may use it, what it breaks, and its audit trail.

Opt-in: a platform started without `chaos.enabled` refuses every experiment (`chaos stop`, the
kill switch, always works). Admin-only: the caller must own the platform, shown by being the
owner of its settings file (mode 0600, secret inside); nothing of this is reachable over HTTP.
Every command and every kill is appended to `run/chaos/audit.log` (JSON lines: when, who, what).
What each experiment does (docs/chaos.md):

- monkey: SIGKILL a random running instance of the chosen services (the supervisor restarts it);
- latency: a rule file the services' `ChaosMiddleware` reads (core.chaos);
- kong: hold down every instance placed in a region (control.json `held_down`).
"""

from __future__ import annotations

import getpass
import json
import os
import random
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vodstack.config import Settings
from vodstack.core.chaos import LatencyRule, LatencyRules, rules_path
from vodstack.core.processes import ProcessIdentity, pid_alive
from vodstack.supervisor.control import Control, control_path, update_control
from vodstack.supervisor.registry import ServerKind, find_service
from vodstack.supervisor.status import PlatformStatus, ServiceStatus, read_status, run_dir


class ChaosRefused(RuntimeError):
    """The experiment cannot run; the message says why and what to do."""


@dataclass(frozen=True)
class ChaosTarget:
    """A running platform the caller may break: its own settings and its current status."""

    settings: Settings
    status: PlatformStatus

    @property
    def chaos_dir(self) -> Path:
        return run_dir(self.settings) / "chaos"

    def refresh(self) -> PlatformStatus:
        return read_status(self.settings) or self.status

    def services(self) -> list[str]:
        return list(dict.fromkeys(svc.service or svc.name for svc in self.status.services))


def open_target(
    settings: Settings, *, uid: int | None = None, experiment: bool = True
) -> ChaosTarget:
    """The platform running from `settings.data_dir`, once rights (and opt-in) are checked."""
    status = read_status(settings)
    if status is None or not pid_alive(status.supervisor_pid):
        raise ChaosRefused(f"vodstack is not running from {settings.data_dir}")
    running = _owned_settings(
        run_dir(settings) / "settings.json", os.geteuid() if uid is None else uid
    )
    if experiment and not running.chaos.enabled:
        raise ChaosRefused(
            "chaos is off for this platform: start it with VODSTACK_CHAOS__ENABLED=true "
            "(or `[chaos] enabled = true` in the config file)"
        )
    return ChaosTarget(running, status)


def _owned_settings(path: Path, uid: int) -> Settings:
    try:
        owner = path.stat().st_uid
        if uid not in (owner, 0):
            raise PermissionError
        return Settings.from_child_json(path.read_text())
    except PermissionError:
        raise ChaosRefused(
            f"missing rights: chaos is for the platform's owner only (the owner of {path}); "
            "run it as that user"
        ) from None
    except FileNotFoundError:
        raise ChaosRefused(f"no settings at {path}: is the platform starting?") from None


def audit(target: ChaosTarget, command: str, **details: object) -> None:
    """Append one line to the audit log: when, who, what."""
    target.chaos_dir.mkdir(parents=True, exist_ok=True)
    entry = {"at": time.time(), "user": _user(), "uid": os.geteuid(), "command": command}
    with (target.chaos_dir / "audit.log").open("a") as log:
        log.write(json.dumps({**entry, **details}) + "\n")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.geteuid())


def check_services(target: ChaosTarget, names: Sequence[str]) -> None:
    unknown = [name for name in names if name not in target.services()]
    if unknown:
        known = ", ".join(target.services())
        raise ChaosRefused(f"unknown service {', '.join(unknown)}; this platform runs {known}")


# -- monkey ---------------------------------------------------------------------------------


def victims(status: PlatformStatus, services: Sequence[str]) -> list[ServiceStatus]:
    """Running instances of `services` the monkey may kill."""
    return [
        svc
        for svc in status.services
        if (svc.service or svc.name) in services and svc.pid and svc.state == "healthy"
    ]


def kill_instance(target: ChaosTarget, victim: ServiceStatus) -> bool:
    """SIGKILL the instance's process group, if its pid is still that instance's process."""
    assert victim.pid is not None
    identity = ProcessIdentity.of(victim.pid)
    if identity is None or f"--instance {victim.name} " not in f"{identity.cmdline} ":
        return False  # exited (or its pid reused) since the status was written
    os.killpg(victim.pid, signal.SIGKILL)
    audit(target, "monkey kill", instance=victim.name, pid=victim.pid)
    return True


def stopped_since(target: ChaosTarget, started_at: float) -> bool:
    """Whether `chaos stop` ran after `started_at` (wall clock)."""
    try:
        return (target.chaos_dir / "stopped").stat().st_mtime >= started_at
    except FileNotFoundError:
        return False


def monkey_round(
    target: ChaosTarget,
    services: Sequence[str],
    choose: Callable[[Sequence[ServiceStatus]], ServiceStatus] = random.choice,
) -> ServiceStatus | None:
    candidates = victims(target.refresh(), services)
    if not candidates:
        return None
    victim = choose(candidates)
    return victim if kill_instance(target, victim) else None


# -- latency --------------------------------------------------------------------------------


def set_latency(target: ChaosTarget, rule: LatencyRule) -> None:
    check_services(target, [rule.service])
    if find_service(target.settings, rule.service).kind is not ServerKind.FASTAPI:
        raise ChaosRefused(
            f"{rule.service} is not an HTTP API service; latency chaos applies to the services "
            "and the gateway (for edges, use `chaos kong` or `chaos monkey`)"
        )
    if not rule.delay_ms and rule.error_status is None:
        raise ChaosRefused("give a delay (--delay-ms), an error status (--error), or both")
    path = rules_path(run_dir(target.settings))
    current = _read_rules(path)
    key = (rule.service, rule.route, rule.group)
    kept = [r for r in current.rules if (r.service, r.route, r.group) != key]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(LatencyRules(rules=[*kept, rule]).model_dump_json(indent=2))
    tmp.replace(path)
    audit(target, "latency", **rule.model_dump())


def _read_rules(path: Path) -> LatencyRules:
    try:
        return LatencyRules.model_validate_json(path.read_text())
    except (FileNotFoundError, ValueError):
        return LatencyRules()


# -- kong -----------------------------------------------------------------------------------


def kong(target: ChaosTarget, region: str, *, force: bool = False) -> list[str]:
    """Hold down every instance placed in `region`; returns their names."""
    names = kong_victims(target, region, force=force)

    def hold(control: Control) -> Control:
        held = list(dict.fromkeys([*control.held_down, *names]))
        return control.model_copy(update={"held_down": held})

    update_control(control_path(target.settings), hold)
    audit(target, "kong", region=region, instances=names, force=force)
    return names


def kong_victims(target: ChaosTarget, region: str, *, force: bool = False) -> list[str]:
    """The instances kong would hold down in `region`, or why it refuses."""
    regions = target.settings.cdn.regions
    if region not in regions:
        raise ChaosRefused(f"unknown region {region!r}; this platform has {', '.join(regions)}")
    inside = [svc for svc in target.status.services if svc.region == region]
    outside = {svc.service or svc.name for svc in target.status.services if svc.region != region}
    lost = sorted({svc.service or svc.name for svc in inside} - outside)
    lost = [name for name in lost if not name.startswith("edge-")]
    if lost and not force:
        raise ChaosRefused(
            f"region {region} holds the only instances of {', '.join(lost)}: taking it down "
            "takes those services down everywhere. Scale them first (`vodstack scale SERVICE 2` "
            "places instance 2 in the next region) or pass --force"
        )
    return [svc.name for svc in inside]


# -- the kill switch ------------------------------------------------------------------------


def stop_all_chaos(target: ChaosTarget) -> None:
    """Release held-down instances, drop latency rules, tell running monkeys to stop."""
    update_control(control_path(target.settings), lambda c: c.model_copy(update={"held_down": []}))
    rules_path(run_dir(target.settings)).unlink(missing_ok=True)
    target.chaos_dir.mkdir(parents=True, exist_ok=True)
    (target.chaos_dir / "stopped").write_text(str(time.time()))
    audit(target, "stop")
