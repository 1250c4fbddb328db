"""How a request trace's days repeat: the statistics that tell an issue-shaped trace apart.

    .venv/bin/python bench/trace_shape.py T.csv.gz [...]

Per region and whole day (days from 04:00 UTC, the partial first and last days left out):
the share of requested bytes on objects requested once that day, the share on objects also
requested the day before, the share of requests on the top 1 % and 10 % of the catalogue's
titles (ranked within the day), and how many of a day's top-50 titles are in the next day's
top 50. A trace whose bytes are mostly on once-a-day objects has a count oracle far above
any reactive cache (docs/benchmarks.md, "The ceiling").
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from vodstack.cdn.cache.trace import Trace, day_spans, read_trace

DAY_START_S = 4 * 3600


def shape(trace: Trace) -> dict[str, float]:
    """The statistics above for one trace."""
    titles, sizes = trace.titles, trace.sizes
    catalogue = len(set(titles))
    tops = (max(1, catalogue // 100), max(1, catalogue // 10))
    once = repeated = total = requests = 0
    top = [0, 0]
    kept: list[float] = []
    for requests_of in trace.regions.values():
        spans = day_spans(requests_of, DAY_START_S)
        previous_top: set[int] | None = None
        for day in sorted(spans)[1:-1]:
            start, end = spans[day]
            objects = requests_of.objects[start:end]
            before = spans.get(day - 1, (0, 0))
            yesterday = set(requests_of.objects[before[0] : before[1]])
            for obj, count in Counter(objects).items():
                total += count * sizes[obj]
                once += sizes[obj] if count == 1 else 0
                repeated += count * sizes[obj] if obj in yesterday else 0
            ranked = [title for title, _n in Counter(titles[o] for o in objects).most_common()]
            per_title = Counter(titles[o] for o in objects)
            for index, size in enumerate(tops):
                top[index] += sum(per_title[title] for title in ranked[:size])
            requests += len(objects)
            if previous_top is not None:
                kept.append(len(set(ranked[:50]) & previous_top) / 50)
            previous_top = set(ranked[:50])
    return {
        "bytes_on_once_a_day_objects": once / total,
        "bytes_on_objects_also_requested_the_day_before": repeated / total,
        "requests_on_top_1pct_titles": top[0] / requests,
        "requests_on_top_10pct_titles": top[1] / requests,
        "top50_titles_kept_next_day": sum(kept) / max(len(kept), 1),
    }


def main() -> None:
    for name in sys.argv[1:]:
        figures = shape(read_trace(Path(name)))
        print(f"{Path(name).name}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
