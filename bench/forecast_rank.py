"""How well a forecast ranks tomorrow's objects, without replaying the caches.

    .venv/bin/python bench/forecast_rank.py --trace T.csv.gz [--trace ...] [--capacity 5%,10%]
                                            [--variant NAME=key:value,... ...] [--nights]

For every night of each trace (days from `window_start_hour`, as `--prefill` cuts them) and
every region, each forecast is fed the whole days before, exactly as the planner is, and its
expected requests rank the objects (`placement.choose`) up to K bytes (K = the capacity, a
share of the trace's unique bytes, per region as in the replay). The figure is the "planned
hit share": the bytes the next day's true requests put on the chosen objects over all the
bytes requested that day, summed over nights and regions. The count oracle ranks by those
true requests (a ceiling, NOT a forecast). It is the whole cache planned, no reactive part
and no fill cap, so it measures ranking alone; the replay's byte hit ratio adds the reactive
part on top (`bench/prefill_goal.py`).

Default forecasts: `model` (cdn.fill_plan's defaults) and `learned` (`forecast:learned`);
`--variant` adds others (overrides of `cdn.fill_plan`, e.g. `slow=half_life_days:2`).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

from vodstack.cdn.cache.replay import parse_capacity
from vodstack.cdn.cache.trace import Trace, day_spans, read_trace
from vodstack.config.settings import FillPlanSettings
from vodstack.control.demand_forecast import DemandForecast, build_forecast
from vodstack.control.objects import describe
from vodstack.control.placement import choose


def _variant(text: str) -> tuple[str, FillPlanSettings]:
    name, _eq, body = text.partition("=")
    values = dict(pair.partition(":")[::2] for pair in filter(None, body.split(",")))
    return name, FillPlanSettings.model_validate(values)


def _score(
    trace: Trace, settings: FillPlanSettings, budgets: dict[str, int], nights: bool, name: str
) -> tuple[dict[str, int], dict[str, int], int, float]:
    """Planned hit bytes per capacity (the forecast's, the oracle's), requested bytes, CPU s."""
    sizes = trace.sizes
    infos = [describe(key) for key in trace.names]
    offset = settings.window_start_hour * 3600
    spans = {region: day_spans(reqs, offset) for region, reqs in trace.regions.items()}
    days = sorted({day for region in spans.values() for day in region})
    forecast: DemandForecast[int] = build_forecast(settings, infos.__getitem__)
    planned = dict.fromkeys(budgets, 0)
    ceiling = dict.fromkeys(budgets, 0)
    requested, cpu = 0, 0.0
    for day in range(days[0], days[-1] + 1):
        counts: dict[str, Counter[int]] = {}
        for region, reqs in trace.regions.items():
            start, end = spans[region].get(day, (0, 0))
            counts[region] = Counter(reqs.objects[start:end])
        for region, truth in counts.items():
            if not forecast.days:
                break
            started = time.process_time()
            expected = forecast.expected_requests(region)
            cpu += time.process_time() - started
            day_bytes = sum(n * sizes[key] for key, n in truth.items())
            requested += day_bytes
            line = []
            for label, budget in budgets.items():
                hit = _hit_bytes(truth, choose(expected, sizes.__getitem__, budget), sizes)
                best = _hit_bytes(truth, choose(truth, sizes.__getitem__, budget), sizes)
                planned[label] += hit
                ceiling[label] += best
                line.append(f"{label} {hit / day_bytes:.4f} (oracle {best / day_bytes:.4f})")
            if nights:
                print(f"  {name} day {day} {region}: " + ", ".join(line))
        started = time.process_time()
        forecast.record_day(counts)
        cpu += time.process_time() - started
    return planned, ceiling, requested, cpu


def _hit_bytes(truth: Counter[int], chosen: list[int], sizes: list[int]) -> int:
    return sum(truth[key] * sizes[key] for key in chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trace", action="append", type=Path, required=True)
    parser.add_argument("--capacity", default="5%,10%")
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--no-default", action="store_true", help="Only the --variant ones.")
    parser.add_argument("--nights", action="store_true", help="Also each night's figures.")
    args = parser.parse_args()
    variants = [] if args.no_default else [
        ("model", FillPlanSettings()), ("learned", FillPlanSettings(forecast="learned"))
    ]  # fmt: skip
    variants += [_variant(text) for text in args.variant]
    labels = [part.strip() for part in args.capacity.split(",") if part.strip()]
    for path in args.trace:
        trace = read_trace(path)
        budgets = {label: parse_capacity(label, trace.unique_bytes) for label in labels}
        print(f"# {path} requests {trace.requests:,} unique bytes {trace.unique_bytes:,}")
        for name, settings in variants:
            planned, ceiling, requested, cpu = _score(
                trace, settings, budgets, args.nights, f"{path.name} {name}"
            )
            figures = ", ".join(
                f"{label} {planned[label] / requested:.4f}"
                f" (oracle {ceiling[label] / requested:.4f})"
                for label in labels
            )
            print(
                f"{path.name} {name:<10} planned hit share {figures}; forecast CPU {cpu:.1f} s"
                f" (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
