"""CPU time of one ABR decision, per algorithm (issue 21: decisions under 5 ms of CPU).

Records the observations and decision contexts of real sessions (the shared training traces, or
synthetic ones without them), then replays them into fresh instances and times every `decide`
with the process CPU clock. Reports median, 95th percentile and max per algorithm.

    .venv/bin/python bench/abr_decision.py [--traces 12] [--algorithms vodstack,robustmpc]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from vodstack.player.abr import registry
from vodstack.player.abr.interface import ChunkObservation, DecisionContext
from vodstack.player.abr.recording import Event, RecordingAlgorithm
from vodstack.player.simulation.session import simulate_session
from vodstack.player.traces import NetworkTrace, load_traces
from vodstack.player.video import ENVIVIO_LADDER_KBPS, Video, read_video_sizes

DATA = Path(__file__).resolve().parents[1] / "../shared/data/abr"


def synthetic_video() -> Video:
    sizes = tuple(tuple(k * 500 for _ in range(49)) for k in ENVIVIO_LADDER_KBPS)
    return Video(ladder_kbps=ENVIVIO_LADDER_KBPS, sizes=sizes)


def inputs(count: int) -> tuple[list[NetworkTrace], Video]:
    if (DATA / "traces-train").is_dir():
        traces = load_traces(DATA / "traces-train")
        return traces[:: max(1, len(traces) // count)][:count], read_video_sizes(
            DATA / "video_sizes"
        )
    rates = [0.5, 3.0, 1.2, 0.3, 2.2, 4.5]
    traces = [
        NetworkTrace(
            f"synthetic{i}",
            tuple(float(t) for t in range(60)),
            tuple(rates[(t + i) % len(rates)] for t in range(60)),
        )
        for i in range(count)
    ]
    return traces, synthetic_video()


def time_decisions(name: str, sessions: list[list[Event]]) -> list[float]:
    """CPU seconds of every decision, replaying the recorded sessions."""
    samples = []
    for events in sessions:
        algorithm = registry.create(name)
        for event in events:
            if "observe" in event:
                algorithm.observe(ChunkObservation(**event["observe"]))  # type: ignore[arg-type]
                continue
            context = DecisionContext(**event["decide"])  # type: ignore[arg-type]
            start = time.process_time()
            algorithm.decide(context)
            samples.append(time.process_time() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--traces", type=int, default=12)
    parser.add_argument("--algorithms", default=",".join(registry.names()))
    args = parser.parse_args()
    traces, video = inputs(args.traces)
    report = {}
    for name in args.algorithms.split(","):
        sessions = []
        for trace in traces:
            recorder = RecordingAlgorithm(registry.create(name))
            simulate_session(trace, video, recorder)
            sessions.append(recorder.events)
        times = sorted(time_decisions(name, sessions))
        report[name] = {
            "decisions": len(times),
            "median_ms": statistics.median(times) * 1000,
            "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
            "max_ms": times[-1] * 1000,
        }
        figures = report[name]
        print(
            f"{name:18s} {len(times):5d} decisions  median {figures['median_ms']:.2f} ms"
            f"  p95 {figures['p95_ms']:.2f} ms  max {figures['max_ms']:.2f} ms"
        )
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "abr_decision.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
