"""Issue 21, seventh round (the brief's fallback): error scenarios calibrated per link speed.

The scenario MPC's error ratios (`measured / predicted` link throughput, 20 quantiles per
volatility band) are fitted on both families pooled; in the most volatile band they reach down
to 0.47 of the prediction. On a fast link of moderate volatility (the broadband sessions the
default judges volatile) that floor may be a mobile link's. This harness refits the quantiles
per band *and* per link speed (harmonic-mean prediction below or above `--split-mbps`) on the
training split, from sessions the committed default plays, and plays a variant whose volatile
branch (its MPC, hence the learned policy's input, its guard rail and its stall guard) uses
them:

    nice -n 10 .venv/bin/python bench/abr_calibration.py --split-dir var/abr-split \
        --split-mbps 2.5 --splits broadband,train,synthetic

`--narrow 0.75,0.85` adds variants whose volatile branch plans on every band's ratios pulled
towards 1 (`1 - s * (1 - r)`: `s` = 0.75 keeps three quarters of the spread) while its stall
guard keeps the committed ratios (`0.75@2.5`: only while the prediction is at least 2.5 Mbps);
a diagnostic of what keeps the volatile broadband sessions' buffer at 25-35 s (docs/abr.md,
seventh round).

Results: docs/abr.md ("Seventh round").
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import numpy as np

from abr_report import DATA, run_splits
from vodstack.player.abr.adaptive import AdaptiveAbr
from vodstack.player.abr.error_model import RATIO_QUANTILES, ErrorModel
from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.vodstack import VodstackAbr
from vodstack.player.simulation.session import simulate_session
from vodstack.player.traces import load_traces
from vodstack.player.video import read_video_sizes

#: (volatility, predicted Mbps, measured / predicted) of one observed chunk.
Sample = tuple[float, float, float]


class RatioRecorder(AdaptiveAbr):
    """The committed default, noting how wrong each prediction turned out."""

    def __init__(self) -> None:
        super().__init__()
        self.samples: list[Sample] = []

    def observe(self, observation: ChunkObservation) -> None:
        link = self.learned.mpc.link
        if link:
            predicted = link.harmonic_mean()
            volatility = link.volatility()
            transfer = max(observation.duration_s - observation.latency_s, 0.001)
            measured = observation.size_bytes / transfer
            self.samples.append((volatility, predicted * 8 / 1e6, measured / predicted))
        super().observe(observation)


def calibrate(split_dir: Path, split_mbps: float) -> tuple[ErrorModel, ErrorModel]:
    """(slow, fast) error models fitted on the training split, per volatility band."""
    video = read_video_sizes(DATA / "video_sizes")
    samples: list[Sample] = []
    for trace in load_traces(split_dir / "train"):
        recorder = RatioRecorder()
        simulate_session(trace, video, recorder)
        samples.extend(recorder.samples)
    base = ErrorModel()
    levels = [(q + 0.5) / 20 for q in range(20)]
    models = []
    for fast in (False, True):
        bands = []
        for band in range(len(base.edges) + 1):
            ratios = [
                r for v, mbps, r in samples if base.band(v) == band and (mbps >= split_mbps) == fast
            ]
            if len(ratios) < 40:  # too few to fit: keep the pooled quantiles
                bands.append(base.quantiles[band])
                continue
            bands.append(tuple(round(float(x), 3) for x in np.quantile(ratios, levels)))
            print(
                f"{'fast' if fast else 'slow'} band {band}: n={len(ratios)} "
                f"2.5% {bands[-1][0]:.3f} 50% {bands[-1][10]:.3f} 97.5% {bands[-1][-1]:.3f}"
            )
        models.append(ErrorModel(quantiles=tuple(bands)))
    return models[0], models[1]


class CalibratedMpc(VodstackAbr):
    """The scenario MPC with error ratios chosen by link speed as well as volatility."""

    def __init__(self, slow: ErrorModel, fast: ErrorModel, split_mbps: float) -> None:
        super().__init__()
        self.slow, self.fast, self.split_bps = slow, fast, split_mbps * 1e6 / 8

    def scenarios_bps(self) -> list[float]:
        prediction = self.link.harmonic_mean()
        model = self.fast if prediction >= self.split_bps else self.slow
        return [prediction * r for r in model.ratios(self.link.volatility())]


class SpeedMpc(VodstackAbr):
    """The scenario MPC on `narrowed` ratios while the prediction is at least `above_mbps`."""

    def __init__(self, narrowed: ErrorModel, above_mbps: float) -> None:
        super().__init__()
        self.narrowed, self.above_bps = narrowed, above_mbps * 1e6 / 8

    def scenarios_bps(self) -> list[float]:
        prediction = self.link.harmonic_mean()
        model = self.narrowed if prediction >= self.above_bps else self.params.errors
        return [prediction * r for r in model.ratios(self.link.volatility())]


class NarrowedAbr(AdaptiveAbr):
    """The volatile branch's MPC on narrowed scenarios; the stall guard on the committed ones."""

    def __init__(self, spread: float, above_mbps: float = 0.0) -> None:
        super().__init__()
        narrowed = tuple(tuple(1 - spread * (1 - r) for r in band) for band in RATIO_QUANTILES)
        self.learned.mpc = SpeedMpc(ErrorModel(quantiles=narrowed), above_mbps)
        self.guard = VodstackAbr()

    def observe(self, observation: ChunkObservation) -> None:
        super().observe(observation)
        self.guard.observe(observation)

    def stalls_in_worst_scenario(self, context: DecisionContext, rendition: int) -> bool:
        seconds = context.chunk_size(0, rendition) / self.guard.scenarios_bps()[0]
        return seconds + self.guard.link.latency_s > context.buffer_s


def variant(models: tuple[ErrorModel, ErrorModel, float], spec: str) -> AbrAlgorithm:
    if spec == "vodstack":
        return VodstackAbr()
    if spec.startswith("narrow="):
        spread, _, above = spec.removeprefix("narrow=").partition("@")
        return NarrowedAbr(float(spread), float(above or "0"))
    algorithm = AdaptiveAbr()
    if spec == "calibrated":
        mpc = CalibratedMpc(*models)
        algorithm.learned.mpc = mpc  # the volatile branch and the first three decisions
    return algorithm


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--split-dir", type=Path, required=True)
    parser.add_argument("--split-mbps", type=float, default=2.5)
    parser.add_argument("--splits", default="broadband,train,synthetic")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--narrow", default="", help="comma-separated spreads, e.g. 0.75,0.85")
    args = parser.parse_args()
    slow, fast = calibrate(args.split_dir, args.split_mbps)
    create = partial(variant, (slow, fast, args.split_mbps))
    narrowed = [f"narrow={s}" for s in args.narrow.split(",") if s]
    specs = ["vodstack", "adaptive", "calibrated", *narrowed]
    run_splits(args.split_dir, args.splits.split(","), specs, args.jobs, create)


if __name__ == "__main__":
    main()
