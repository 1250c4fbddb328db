"""Issue 21, eighth round: narrowed error scenarios in the volatile branch, behind an online gate.

The seventh round's largest gain on test-like broadband came from planning the volatile branch
on error ratios pulled towards 1 (`1 - s * (1 - r)`, `s` = 0.75 keeps three quarters of the
spread): `broadband` 1.142 -> 1.164, but more stall on the synthetic traces. This harness looks
for a signal, available online, that opens the narrowing on fast jittery links and keeps it
shut on mobile ones. A variant is `narrow:` followed by options (`,`-separated):

- `s=S`: the spread kept (0.75); `side=low` / `side=high`: only the ratios below / above 1;
- `guard=n`: the stall guard on the narrowed ratios too (default: the committed ratios);
- `reserve=R`: while narrowed, the stall guard steps down until the next chunk, at the lowest
  committed scenario, leaves R s of buffer (default 0, the committed guard);
- `start=y`: the first three decisions narrowed too (default: they stay with the committed MPC);
- `startfrom=K`: with `start=y`, narrowed from the K-th decision on (1: all three);
- `sguard=y`: the stall guard also on the narrowed first three decisions;
- `vol=n`: the volatile branch never narrowed (with `start=y`: only the first three decisions);
- `mbps=X`: open only while the harmonic-mean prediction is at least X Mbps;
- `top=K`: open only while the prediction is at least K times the top rung's bitrate;
- `buf=B`: open only while the buffer is at least B s;
- `low=R,n=N`: open only once N ratios `measured / predicted` have been seen in the session
  and none of them (`win=W`: none of the last W) fell below R (`n=0`: open before the first);
- `q=P,low=R`: as above, but on the P-quantile of the session's ratios instead of their minimum;
- `fast=F,frac=P`: open only while at least a share P of the session's downloads so far took
  under F times the chunk duration (the link ran far ahead of the chosen bitrate);
- `range=X`: open only while the session's fastest download so far was at most X times its
  slowest (link throughputs, latency out): a link whose level has swung widely is a mobile one;
- `adapt=W`: the spread kept is the scatter of the session's last W ratios (standard deviation
  of their logarithm) over the current band's, between `s` and 1 (`s` before three ratios);
- `cap=X`: a narrowed pick above the committed one is held to the rungs at most X times the
  prediction (never below the committed pick): narrowing may not spend the buffer on a rung
  the link is far from sustaining;
- `svol=V`: open only while the session's mean volatility is at most V (`svolearly=y`: open
  too while it is not known yet, the first three decisions).

`vodstack` and `adaptive` (the committed default) are played first as anchors:

    nice -n 19 .venv/bin/python bench/abr_gate.py --split-dir var/abr-split \
        --variants 'narrow:s=0.75,start=y;narrow:s=0.75,low=0.6,n=6' \
        --splits broadband,train,synthetic [--dump var/gate.json]

`--dump` also writes every session's outcome per variant (for per-session comparisons).
Results (no variant passes the selection bar): docs/abr.md ("Eighth round"), docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path

from abr_report import DATA, Row, play, report
from vodstack.player.abr.adaptive import VOLATILE_ABOVE, AdaptiveAbr
from vodstack.player.abr.error_model import RATIO_QUANTILES, ErrorModel
from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.vodstack import VodstackAbr
from vodstack.player.traces import load_traces
from vodstack.player.video import read_video_sizes


def narrowed_model(spread: float, side: str = "both") -> ErrorModel:
    """Every band's ratios with `spread` of their distance from 1 (`side`: only those below
    1, `low`, or above, `high`)."""

    def pull(r: float) -> float:
        if (side == "low" and r > 1) or (side == "high" and r < 1):
            return r
        return 1 - spread * (1 - r)

    return ErrorModel(quantiles=tuple(tuple(pull(r) for r in band) for band in RATIO_QUANTILES))


class SwitchedMpc(VodstackAbr):
    """The scenario MPC on the narrowed ratios while `narrow` is set, else the committed ones."""

    def __init__(self, narrowed: ErrorModel) -> None:
        super().__init__()
        self.narrowed = narrowed
        self.narrow = False
        #: When set, the spread kept for this decision (overrides `narrowed`).
        self.spread: float | None = None

    def scenarios_bps(self) -> list[float]:
        prediction = self.link.harmonic_mean()
        if self.narrow and self.spread is not None:
            base = self.params.errors.ratios(self.link.volatility())
            return [prediction * (1 - self.spread * (1 - r)) for r in base]
        model = self.narrowed if self.narrow else self.params.errors
        return [prediction * r for r in model.ratios(self.link.volatility())]


class GatedNarrowAbr(AdaptiveAbr):
    """The committed default; its volatile branch plans on narrowed ratios while a gate is open."""

    def __init__(self, options: dict[str, str]) -> None:
        super().__init__()
        self.options = options
        spread = float(options.get("s", "0.75"))
        self.mpc = SwitchedMpc(narrowed_model(spread, options.get("side", "both")))
        self.learned.mpc = self.mpc
        self.guard_narrowed = options.get("guard", "c") == "n"
        self.narrow_start = options.get("start", "c") == "y"
        self.narrow_volatile = options.get("vol", "y") == "y"
        self.reserve_s = float(options.get("reserve", "0"))
        self.ratios: list[float] = []
        self.downloads: list[float] = []  # download time over chunk duration
        self.lowest_bps = float("inf")
        self.highest_bps = 0.0

    def observe(self, observation: ChunkObservation) -> None:
        transfer = max(observation.duration_s - observation.latency_s, 0.001)
        measured = observation.size_bytes / transfer
        if self.mpc.link:  # the prediction this download is measured against
            self.ratios.append(measured / self.mpc.link.harmonic_mean())
        self.lowest_bps = min(self.lowest_bps, measured)
        self.highest_bps = max(self.highest_bps, measured)
        # The simulator's chunks are 4 s; the ratio is what matters, not the constant.
        self.downloads.append(observation.duration_s / 4.0)
        super().observe(observation)

    def gate(self, context: DecisionContext) -> bool:
        """Whether every gate the options name is open for this decision."""
        return self.level_open(context) and self.ratios_open() and self.history_open()

    def level_open(self, context: DecisionContext) -> bool:
        """`mbps`, `top`, `buf`: the prediction and the buffer now."""
        o = self.options
        prediction_mbps = self.mpc.link.harmonic_mean() * 8 / 1e6
        if "mbps" in o and prediction_mbps < float(o["mbps"]):
            return False
        if "top" in o and prediction_mbps < float(o["top"]) * context.ladder_kbps[-1] / 1000:
            return False
        return not ("buf" in o and context.buffer_s < float(o["buf"]))

    def ratios_open(self) -> bool:
        """`low` (with `n`, `win`, `q`): how far the session's downloads fell short of their
        predictions."""
        o = self.options
        if "low" not in o:
            return True
        if len(self.ratios) < int(o.get("n", "3")):
            return False
        seen = self.ratios[-int(o["win"]) :] if "win" in o else self.ratios
        if not seen:
            return True  # `n=0`: open until the first ratio is known
        quantile = float(o.get("q", "0"))  # 0: the minimum
        return sorted(seen)[int(quantile * (len(seen) - 1))] >= float(o["low"])

    def history_open(self) -> bool:
        """`fast`, `range`, `svol`: what the session's link has done so far."""
        o = self.options
        if "fast" in o:
            share = sum(d < float(o["fast"]) for d in self.downloads) / len(self.downloads)
            if share < float(o["frac"]):
                return False
        if "range" in o and self.highest_bps > float(o["range"]) * self.lowest_bps:
            return False
        if "svol" in o:
            volatility = self.session_volatility()
            if volatility is None:
                return o.get("svolearly") == "y"
            if volatility > float(o["svol"]):
                return False
        return True

    def stalls_in_worst_scenario(self, context: DecisionContext, rendition: int) -> bool:
        narrow, self.mpc.narrow = self.mpc.narrow, self.mpc.narrow and self.guard_narrowed
        try:
            worst_bps = self.mpc.scenarios_bps()[0]
        finally:
            self.mpc.narrow = narrow
        reserve = self.reserve_s if narrow else 0.0
        seconds = context.chunk_size(0, rendition) / worst_bps + self.mpc.link.latency_s
        return seconds > context.buffer_s - reserve

    def session_spread(self) -> float | None:
        """`adapt=W`: the spread kept, from how widely the session's last W ratios scatter
        (standard deviation of their logarithm) against the current band's quantiles."""
        if "adapt" not in self.options:
            return None
        floor = float(self.options.get("s", "0.75"))
        seen = self.ratios[-int(self.options["adapt"]) :]
        if len(seen) < 3:
            return floor
        logs = [math.log(r) for r in seen]
        mean = sum(logs) / len(logs)
        spread_seen = math.sqrt(sum((x - mean) ** 2 for x in logs) / len(logs))
        band = self.mpc.params.errors.ratios(self.mpc.link.volatility())
        band_logs = [math.log(r) for r in band]
        band_mean = sum(band_logs) / len(band_logs)
        spread_band = math.sqrt(sum((x - band_mean) ** 2 for x in band_logs) / len(band_logs))
        return min(max(spread_seen / spread_band, floor), 1.0)

    def decide(self, context: DecisionContext) -> int:
        self.mpc.spread = self.session_spread()
        if not self.mpc.link:
            return context.last_rendition
        volatility = self.session_volatility()
        if volatility is None:
            first = int(self.options.get("startfrom", "1"))
            self.mpc.narrow = (
                self.narrow_start and context.chunk_index >= first and self.gate(context)
            )
        elif volatility > VOLATILE_ABOVE:
            self.mpc.narrow = self.narrow_volatile and self.gate(context)
        else:
            self.mpc.narrow = False  # the steady branch has its own MPC
        narrowed = self.mpc.narrow
        try:
            pick = super().decide(context)
            if volatility is None and narrowed and self.options.get("sguard") == "y":
                while pick > 0 and self.stalls_in_worst_scenario(context, pick):
                    pick -= 1
        finally:
            self.mpc.narrow = False
        if narrowed and "cap" in self.options:
            limit_kbps = float(self.options["cap"]) * self.mpc.link.harmonic_mean() * 8 / 1000
            if context.ladder_kbps[pick] > limit_kbps:
                committed = super().decide(context)  # the same decision without narrowing
                if pick > committed:
                    below = [q for q, kbps in enumerate(context.ladder_kbps) if kbps <= limit_kbps]
                    pick = max(committed, below[-1] if below else 0)
        return pick


def create(spec: str) -> AbrAlgorithm:
    kind, _, text = spec.partition(":")
    if kind == "vodstack":
        return VodstackAbr()
    if kind == "adaptive":
        return AdaptiveAbr()
    if kind == "narrow":
        return GatedNarrowAbr(dict(item.split("=", 1) for item in text.split(",") if item))
    raise SystemExit(f"unknown variant {spec!r}")


def run(
    split_dir: Path, splits: Sequence[str], specs: list[str], jobs: int, dump: Path | None
) -> None:
    video = read_video_sizes(DATA / "video_sizes")
    dumped: dict[str, list[dict[str, object]]] = {}
    for split in splits:
        started = time.perf_counter()
        traces = load_traces(split_dir / split)
        with Pool(jobs) as pool:
            rows: list[Row] = pool.map(
                play, [(t, video, specs, create) for t in traces], chunksize=2
            )
        report(split, rows, specs)
        print(f"{split}: {time.perf_counter() - started:.0f} s wall", flush=True)
        dumped[split] = [
            {"trace": t.name, "family": family, "outcomes": outcomes}
            for t, (family, outcomes) in zip(traces, rows, strict=True)
        ]
    if dump is not None:
        dump.write_text(json.dumps(dumped))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--split-dir", type=Path, required=True)
    parser.add_argument("--variants", default="narrow:s=0.75,start=y")
    parser.add_argument("--splits", default="broadband,train,synthetic")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()
    specs = ["vodstack", "adaptive", *(v for v in args.variants.split(";") if v)]
    run(args.split_dir, args.splits.split(","), specs, args.jobs, args.dump)


if __name__ == "__main__":
    main()
