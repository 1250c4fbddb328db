"""The chaos a game day runs against the experiment's share, through the chaos tooling itself
(supervisor.chaos: the same rights check, audit log and kill switch as `vodstack chaos`).

The experiment's share, as Netflix's ChAP draws it:

- **latency**: a rule scoped to the experiment group (core.chaos, FIT-style): only requests that
  carry the experiment's signed mark are delayed or failed, at whichever service the rule names;
  the control group's requests pass the same instances untouched.
- **kong**: the experiment group plays from the experiment region, the control group from the
  other; Kong takes the experiment region down (its edges and the instances placed there).
- **monkey**: kills a random healthy instance of each chosen service every interval, and of the
  experiment region's edges. The scalable services' instances sit behind client-side balancing
  shared by both groups (there is no per-group routing yet), so these kills reach the control
  group's requests too: the comparison then shows what the groups feel differently (the edges),
  and the absolute figures show what the fleet absorbed.

The experiment ends with the kill switch (`stop_all_chaos`) when the chaos window closes, and
always when the game day ends, even on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from vodstack.config import Settings
from vodstack.config.settings import SCALABLE_SERVICES
from vodstack.core.chaos import LatencyRule
from vodstack.gameday.plan import EXPERIMENT, GamedayPlan, PlanError
from vodstack.gameday.record import Recorder
from vodstack.supervisor import chaos
from vodstack.supervisor.chaos import ChaosRefused, ChaosTarget


def open_experiment(settings: Settings, plan: GamedayPlan) -> ChaosTarget:
    """The platform to break, once everything the plan asks for is checked (PlanError if not)."""
    try:
        target = chaos.open_target(settings, experiment=bool(plan.chaos))
    except ChaosRefused as exc:
        raise PlanError(str(exc)) from None
    regions = target.settings.cdn.regions
    for region in (plan.experiment_region, plan.control_region):
        if region not in regions:
            raise PlanError(f"unknown region {region!r}; this platform has {', '.join(regions)}")
    try:
        if "monkey" in plan.chaos:
            chaos.check_services(target, monkey_services(target, plan))
        if "latency" in plan.chaos:
            chaos.check_services(target, [plan.latency_service])
        if "kong" in plan.chaos:
            chaos.kong_victims(target, plan.experiment_region)
    except ChaosRefused as exc:
        raise PlanError(str(exc)) from None
    return target


def monkey_services(target: ChaosTarget, plan: GamedayPlan) -> list[str]:
    """The monkey's services: as asked, else every scalable service running 2+ instances
    (killing a lone instance is an outage, not an experiment)."""
    if plan.monkey_services:
        return list(plan.monkey_services)
    counts: dict[str, int] = {}
    for svc in target.status.services:
        name = svc.service or svc.name
        if name in SCALABLE_SERVICES:
            counts[name] = counts.get(name, 0) + 1
    return sorted(name for name, count in counts.items() if count >= 2)


def experiment_edges(target: ChaosTarget, plan: GamedayPlan) -> list[str]:
    return [
        svc.name
        for svc in target.status.services
        if svc.name.startswith("edge-") and svc.region == plan.experiment_region
    ]


async def run_chaos(
    target: ChaosTarget, plan: GamedayPlan, recorder: Recorder, stop: asyncio.Event
) -> None:
    """Wait for the chaos window, run the plan's chaos in it, then the kill switch."""
    if not plan.chaos:
        return
    chaos.audit(target, "gameday", viewers=plan.viewers, seconds=plan.duration_s, chaos=plan.chaos)
    if await _until(recorder, plan.chaos_starts_s, stop):
        return
    try:
        tasks = []
        if "latency" in plan.chaos:
            _latency(target, plan, recorder)
        if "monkey" in plan.chaos:
            tasks.append(asyncio.create_task(_monkey(target, plan, recorder, stop)))
        if "kong" in plan.chaos:
            # Mid-play: a third into the window, the experiment's viewers are all playing.
            middle = plan.chaos_starts_s + (plan.chaos_ends_s - plan.chaos_starts_s) / 3
            tasks.append(asyncio.create_task(_kong_at(target, plan, recorder, middle, stop)))
        await _until(recorder, plan.chaos_ends_s, stop)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        chaos.stop_all_chaos(target)
        recorder.event("stop", "chaos stopped (kill switch)")


async def _until(recorder: Recorder, at_s: float, stop: asyncio.Event) -> bool:
    """Sleep until the game day's clock reads `at_s`; True if the game day stopped first."""
    try:
        await asyncio.wait_for(stop.wait(), max(0.0, at_s - recorder.now()))
    except TimeoutError:
        return False
    return True


def _latency(target: ChaosTarget, plan: GamedayPlan, recorder: Recorder) -> None:
    rule = LatencyRule(
        service=plan.latency_service,
        fraction=plan.latency_fraction,
        delay_ms=plan.latency_ms,
        error_status=plan.latency_error,
        group=EXPERIMENT,
    )
    chaos.set_latency(target, rule)
    error = f", then {plan.latency_error}" if plan.latency_error else ""
    recorder.event(
        "latency",
        f"{plan.latency_service}: {plan.latency_ms} ms{error} on "
        f"{plan.latency_fraction:.0%} of the experiment's requests",
    )


async def _monkey(
    target: ChaosTarget, plan: GamedayPlan, recorder: Recorder, stop: asyncio.Event
) -> None:
    services = monkey_services(target, plan)
    edges = experiment_edges(target, plan)
    while not stop.is_set():
        for group in [*([s] for s in services), edges]:
            await _kill_one(target, group, recorder)
        if await _until(recorder, recorder.now() + plan.monkey_interval_s, stop):
            return


async def _kill_one(target: ChaosTarget, names: Sequence[str], recorder: Recorder) -> None:
    """A random healthy instance among `names` (one service, or the experiment's edges), but
    never the last healthy one: the supervisor restarts a killed instance with a backoff that
    grows while kills keep coming every interval (it cannot tell them from a crash loop), so a
    service whose other instance is still restarting would otherwise lose both."""
    healthy = chaos.victims(await asyncio.to_thread(target.refresh), names)
    if len(healthy) < 2:
        recorder.event("note", f"monkey spared {', '.join(names)}: one healthy instance left")
        return
    victim = random.choice(healthy)  # noqa: S311 (choosing a victim, not a secret)
    if await asyncio.to_thread(chaos.kill_instance, target, victim):
        recorder.event("monkey", f"killed {victim.name}")


async def _kong_at(
    target: ChaosTarget, plan: GamedayPlan, recorder: Recorder, at_s: float, stop: asyncio.Event
) -> None:
    if await _until(recorder, at_s, stop):
        return
    names = chaos.kong(target, plan.experiment_region)
    recorder.event("kong", f"region {plan.experiment_region} down ({', '.join(names)})")
