"""Where pre-positioning loses bytes: each plan's hits split by request class, beside the oracle's.

    .venv/bin/python bench/prefill_losses.py T.csv.gz [--capacity 5%] [--no-oracle]
                                             [--variant NAME=key:value,...]

Replays the trace with the nightly defaults, the intraday plan (4 windows a day, the whole
cache planned) and each `--variant` (overrides of `cdn.fill_plan`), plus the count oracle
(`--oracle`, the whole cache planned: a ceiling, NOT a policy), through `replay_prefill`
itself: its `serve` is called request by request so each request's outcome is seen (pinned
hit, reactive hit, miss). Requests of each region's first day (never planned) are left out.
Classes, per region and day (days from the fill hour):

- `times`: how often the object was requested that day (once / 2-4 / 5+);
- `before`: the object was requested in the region on an earlier day, only in another region,
  never but its title was (an unseen position or rendition), or its title never was;
- `position`: the segment number (< 4: a title's start; 4-19; 20+; opaque ids).

For each class: its share of the requested bytes, then per plan the share of the class's
bytes served pinned / from the reactive part. A gap to the oracle in a class says what the
forecast (or its coverage) misses there (docs/benchmarks.md, "Where the bytes are lost").
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from vodstack.cdn.cache.budget import ByteBudget
from vodstack.cdn.cache.replay import Tally, parse_capacity, serve
from vodstack.cdn.cache.trace import Trace, day_spans, read_trace
from vodstack.config.settings import EvictionKind, FillPlanSettings
from vodstack.control.objects import describe
from vodstack.control.prefill import replay_prefill

PINNED, REACTIVE = 1, 2
DIMENSIONS = ("times", "before", "position")
INTRADAY = FillPlanSettings(fills_per_day=4, auto_share=False, planned_share=1.0)
WHOLE_CACHE = FillPlanSettings(auto_share=False, planned_share=1.0)


class Outcomes:
    """A `serve` for `replay_prefill` that serves one request at a time and keeps each
    outcome, per region cache in the order the replay first serves them."""

    def __init__(self) -> None:
        self.by_cache: dict[int, list[int]] = {}

    def __call__(
        self,
        budget: ByteBudget[int],
        objects: list[int],
        sizes: list[int],
        pinned: set[int],
        times: Sequence[float],
        titles: Sequence[int],
    ) -> Tally:
        outcomes = self.by_cache.setdefault(id(budget), [])
        total = Tally()
        for index, obj in enumerate(objects):
            served = serve(budget, [obj], sizes, pinned, times[index : index + 1], titles)
            total.add(served)
            outcomes.append(PINNED if obj in pinned else REACTIVE if served.hits else 0)
        return total


def classes(trace: Trace, fill_hour: int) -> dict[str, list[tuple[str, str, str] | None]]:
    """Per region, each request's class along DIMENSIONS (None on the region's first day)."""
    infos = [describe(name) for name in trace.names]
    spans = {
        name: day_spans(requests, fill_hour * 3600) for name, requests in trace.regions.items()
    }
    seen: dict[str, set[int]] = {name: set() for name in trace.regions}
    seen_titles: set[str] = set()
    result: dict[str, list[tuple[str, str, str] | None]] = {
        name: [None] * len(requests.objects) for name, requests in trace.regions.items()
    }
    for day in sorted({day for days in spans.values() for day in days}):
        anywhere = set().union(*seen.values())
        for name, requests in trace.regions.items():
            start, end = spans[name].get(day, (0, 0))
            objects = requests.objects[start:end]
            counts = Counter(objects)
            first = day == min(spans[name])
            for index in range(start, end):
                obj = requests.objects[index]
                info = infos[obj]
                if not first:
                    result[name][index] = (
                        _times(counts[obj]), _before(obj, info.title, seen[name], anywhere,
                                                     seen_titles), _position(info.position),
                    )  # fmt: skip
        for name, requests in trace.regions.items():
            start, end = spans[name].get(day, (0, 0))
            seen[name].update(requests.objects[start:end])
            seen_titles.update(infos[obj].title for obj in requests.objects[start:end])
    return result


def _times(count: int) -> str:
    return "once" if count == 1 else "2-4" if count <= 4 else "5+"


def _before(obj: int, title: str, region: set[int], anywhere: set[int], titles: set[str]) -> str:
    if obj in region:
        return "in the region"
    if obj in anywhere:
        return "elsewhere only"
    return "never, title known" if title in titles else "never, new title"


def _position(position: int | None) -> str:
    if position is None:
        return "opaque"
    return "start (< 4)" if position < 4 else "4-19" if position < 20 else "20+"


def report(
    trace: Trace, labels: list[str], outcomes: list[dict[str, list[int]]], fill_hour: int
) -> None:
    classified = classes(trace, fill_hour)
    for dimension, dim_name in enumerate(DIMENSIONS):
        requested: Counter[str] = Counter()
        served: dict[tuple[str, int, int], int] = defaultdict(int)
        for name, requests in trace.regions.items():
            for index, obj in enumerate(requests.objects):
                request_class = classified[name][index]
                if request_class is None:
                    continue
                key, size = request_class[dimension], trace.sizes[obj]
                requested[key] += size
                for plan, per_region in enumerate(outcomes):
                    served[key, plan, per_region[name][index]] += size
        total = sum(requested.values())
        print(f"\n{dim_name:<20} {'bytes':>6} " + " ".join(f"{label:>15}" for label in labels))
        for key in sorted(requested):
            cells = [
                f"{served[key, plan, PINNED] / requested[key]:.3f}/"
                f"{served[key, plan, REACTIVE] / requested[key]:.3f}"
                for plan in range(len(labels))
            ]
            print(
                f"{key:<20} {requested[key] / total:>6.3f} " + " ".join(f"{c:>15}" for c in cells)
            )


def _variant(text: str) -> tuple[str, FillPlanSettings]:
    name, _eq, body = text.partition("=")
    values = dict(pair.partition(":")[::2] for pair in filter(None, body.split(",")))
    return name, FillPlanSettings.model_validate(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", type=Path)
    parser.add_argument("--capacity", default="5%")
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--no-oracle", action="store_true")
    args = parser.parse_args()
    trace = read_trace(args.trace)
    capacity = parse_capacity(args.capacity, trace.unique_bytes)
    runs = [("nightly", FillPlanSettings(), False), ("intraday", INTRADAY, False)]
    runs += [(*_variant(text), False) for text in args.variant]
    if not args.no_oracle:
        runs.append(("ORACLE", WHOLE_CACHE, True))
    labels, outcomes = [], []
    for label, plan, oracle in runs:
        recorder = Outcomes()
        result = replay_prefill(trace, EvictionKind.S3FIFO, capacity, plan, oracle,
                                serve_requests=recorder)  # fmt: skip
        regions = list(trace.regions)
        per_region = dict(zip(regions, recorder.by_cache.values(), strict=True))
        print(f"{label}: byte hit {result.total.byte_hit_ratio:.4f}, fill bytes "
              f"{result.total.fill_bytes:,}", flush=True)  # fmt: skip
        labels.append(label)
        outcomes.append(per_region)
    print("\nper class: share of the requested bytes; per plan: pinned / reactive share of them")
    # Days (for the classes) from the default fill hour, as the nightly plan's.
    report(trace, labels, outcomes, runs[0][1].window_start_hour)


if __name__ == "__main__":
    main()
