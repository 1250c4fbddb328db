"""One round of the autoscaler: read what runs, scrape it, decide, act, log.

What runs comes from the supervisor's `status.json`; each instance's load from its /metrics
(signals.py); the decision from the HPA rule (rule.py). Acting is writing the instance count to
`run/control.json` under its lock, exactly what `vodstack scale` does, so the supervisor starts
or drains instances the same way whoever asked. Every decision, with its inputs, is a line of
`run/autoscale/decisions.jsonl` (contracts.autoscale).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx

from vodstack.config import Settings
from vodstack.contracts.autoscale import Decision, MetricVerdict, append_decision
from vodstack.supervisor.autoscale.rule import Bounds, Recommendation, Stabilizer, recommend
from vodstack.supervisor.autoscale.signals import Rates, Scrape, parse, rates
from vodstack.supervisor.control import Control, control_path, read_control, update_control
from vodstack.supervisor.status import ServiceStatus, read_status, run_dir

log = logging.getLogger("vodstack.autoscaler")

Clock = Callable[[], float]
# Instances on their way out are not capacity; every other state is (starting, restarting and
# held-down ones have no reading and count as HPA's "missing" pods).
LEAVING = frozenset({"draining", "stopping", "stopped"})


class Autoscaler:
    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient,
        *,
        clock: Clock = time.monotonic,
        wall: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.policy = settings.autoscale
        self._client = client
        self._clock = clock
        self._wall = wall
        self._stabilizers = {
            service: Stabilizer(self.policy.scale_up_window_s, self.policy.scale_down_window_s)
            for service in self.policy.services
        }
        # The previous scrape of each process (instance name, pid): rates need two.
        self._scrapes: dict[tuple[str, int], Scrape] = {}
        self.last: dict[str, Decision] = {}

    async def round(self) -> list[Decision]:
        status = read_status(self.settings)
        if status is None:
            return []  # the supervisor has not written its first status yet
        mine = {
            service: sorted(
                (s for s in status.services if s.service == service and s.state not in LEAVING),
                key=_index,
            )
            for service in self.policy.services
        }
        watched = [s for instances in mine.values() for s in instances]
        loads = dict(
            zip(
                (s.name for s in watched),
                await asyncio.gather(*(self._load(s) for s in watched)),
                strict=True,
            )
        )
        alive = {(s.name, s.pid) for s in watched if s.pid is not None}
        self._scrapes = {key: scrape for key, scrape in self._scrapes.items() if key in alive}
        decisions = []
        for service, instances in mine.items():
            if instances:  # a service this platform does not run is not scaled
                decisions.append(self._decide(service, instances, loads))
        return decisions

    async def _load(self, instance: ServiceStatus) -> Rates | None:
        """The instance's load since its previous scrape; None without two good readings."""
        if instance.pid is None or instance.state != "healthy":
            return None
        try:
            response = await self._client.get(
                f"{instance.url}/metrics", timeout=self.policy.scrape_timeout_s
            )
            response.raise_for_status()
            scrape = parse(response.text, self._clock())
        except (httpx.HTTPError, ValueError) as exc:
            log.info("no metrics from %s: %s", instance.name, exc)
            return None
        before = self._scrapes.get((instance.name, instance.pid))
        self._scrapes[(instance.name, instance.pid)] = scrape
        return rates(before, scrape) if before is not None else None

    def _decide(
        self, service: str, instances: list[ServiceStatus], loads: dict[str, Rates | None]
    ) -> Decision:
        policy = self.policy.services[service]
        targets = {
            metric: target
            for metric, target in policy.targets.model_dump().items()
            if target is not None
        }
        # The count asked for is "current" (Kubernetes' spec.replicas), not what happens to run
        # this instant: instances still starting have no reading yet (missing, see rule.py),
        # and a status written just before a `vodstack scale` is never taken for a wish.
        current = self._wished(service)
        serving: list[Rates | None] = [loads[s.name] for s in instances][:current]
        serving += [None] * (current - len(serving))
        readings = {
            metric: [None if load is None else load.value(metric) for load in serving]
            for metric in targets
        }
        outcome = recommend(
            now=self._clock(),
            current=current,
            readings=readings,
            targets=targets,
            tolerance=self.policy.tolerance,
            bounds=Bounds(policy.min, policy.max),
            stabilizer=self._stabilizers[service],
        )
        acted = outcome.desired != current
        if acted:
            self._act(service, outcome)
        decision = Decision(
            at=self._wall(),
            service=service,
            action=outcome.action,
            current=outcome.current,
            recommended=outcome.recommended,
            desired=outcome.desired,
            min=policy.min,
            max=policy.max,
            reason=outcome.reason,
            metrics=[
                MetricVerdict(
                    metric=v.metric,
                    observed=round(v.observed, 5),
                    target=v.target,
                    ratio=round(v.ratio, 4),
                    desired=v.desired,
                )
                for v in outcome.metrics
            ],
            instances={
                s.name: None if (load := loads[s.name]) is None else load.as_dict()
                for s in instances
            },
            acted=acted,
        )
        append_decision(run_dir(self.settings), decision)
        self.last[service] = decision
        return decision

    def _wished(self, service: str) -> int:
        """The instance count last asked for (control.json), else the settings' count."""
        try:
            control = read_control(control_path(self.settings))
        except ValueError:
            control = None  # a file edited into nonsense: the supervisor keeps its last wishes
        if control is not None and service in control.instances:
            return control.instances[service]
        return self.settings.scale.count(service)

    def _act(self, service: str, outcome: Recommendation) -> None:
        """Ask the supervisor for `desired` instances, as `vodstack scale` does."""

        def change(control: Control) -> Control:
            return control.model_copy(
                update={"instances": {**control.instances, service: outcome.desired}}
            )

        update_control(control_path(self.settings), change)
        log.warning(
            "%s: %s from %d to %d instances (%s)",
            service,
            outcome.action.replace("_", " "),
            outcome.current,
            outcome.desired,
            outcome.reason,
        )


def _index(instance: ServiceStatus) -> int:
    """Instance k of a service is named `{service}-{k}`; instance 1 carries the bare name."""
    suffix = instance.name.removeprefix(instance.service).removeprefix("-")
    return int(suffix) if suffix.isdigit() else 1
