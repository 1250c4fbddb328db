"""From the operator's wishes (control.json) to actions on processes: start, drain, hold, release.

Pure decisions over the current process list; the supervisor carries them out. A scale-down
drains the highest-numbered instances first, so instance 1 (the service's own name and port)
is the last to go and never goes: the minimum is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vodstack.config.settings import SCALABLE_SERVICES, ScaleSettings
from vodstack.supervisor.control import Control
from vodstack.supervisor.process import ManagedProcess, ProcessState

# States of an instance that is on its way out or held: not counted as serving capacity.
_LEAVING = (ProcessState.DRAINING, ProcessState.STOPPING, ProcessState.STOPPED)


@dataclass
class Actions:
    start: list[tuple[str, int]] = field(default_factory=list)  # (service, instance index)
    drain: list[ManagedProcess] = field(default_factory=list)
    hold: list[ManagedProcess] = field(default_factory=list)
    release: list[ManagedProcess] = field(default_factory=list)


def desired_count(control: Control | None, scale: ScaleSettings, service: str) -> int:
    if control is not None and service in control.instances:
        return control.instances[service]
    return scale.count(service)


def index_of(proc: ManagedProcess) -> int:
    suffix = proc.name.removeprefix(proc.service).removeprefix("-")
    return int(suffix) if suffix.isdigit() else 1


def plan(
    processes: Sequence[ManagedProcess], control: Control | None, scale: ScaleSettings
) -> Actions:
    actions = Actions()
    services = {proc.service for proc in processes}
    for service in (s for s in SCALABLE_SERVICES if s in services):
        _scale(actions, [p for p in processes if p.service == service], control, scale)
    held = set(control.held_down) if control is not None else set()
    for proc in processes:
        if proc.name in held and proc.state not in (*_LEAVING, ProcessState.DOWN):
            actions.hold.append(proc)
        elif proc.name not in held and proc.state is ProcessState.DOWN:
            actions.release.append(proc)
    return actions


def _scale(
    actions: Actions,
    instances: list[ManagedProcess],
    control: Control | None,
    scale: ScaleSettings,
) -> None:
    service = instances[0].service
    active = sorted((p for p in instances if p.state not in _LEAVING), key=index_of)
    wanted = desired_count(control, scale, service)
    if len(active) > wanted:
        actions.drain += active[wanted:][::-1]
        return
    # Names of draining instances stay taken until they are gone.
    used = {index_of(p) for p in instances}
    free = (i for i in range(1, 10_000) if i not in used)
    actions.start += [(service, next(free)) for _ in range(wanted - len(active))]
