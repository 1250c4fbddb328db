"""Train the learned ABR policy by imitating the offline optimum (Comyco-style, with DAgger).

1. **Data.** The training traces are split: every `heldout_every`-th trace of each family (by
   name) is held out and never trained on; synthetic traces are generated from models fitted on
   the remaining ones (`synthetic.py`).
2. **Rounds.** Round 0 streams every training and synthetic trace with the scenario MPC; later
   rounds stream them with the current policy (DAgger: the student learns in the states it
   reaches itself, including after its own mistakes). A few actions are randomised to widen the
   states seen.
3. **Teacher.** At a sample of the decisions of each session, the offline optimum is solved from
   that exact state (trace position, buffer, previous rendition) over the next `lookahead` chunks,
   once per rendition the MPC finds plausible as the next one (`first_step_values`). The target
   is each rendition's optimum QoE minus the best of them (0 for the optimum's choice, clipped at
   `-target_floor`). Values rather than the optimum's choice alone, because a choice that is
   slightly worse and one that stalls are very different mistakes (cost-sensitive imitation).
4. **Fit.** All labelled states so far train a one-hidden-layer ReLU network (squared error on
   the known entries, full-batch Adam, L2), features standardised and the standardisation folded
   into the first layer. The policy picks the plausible rendition with the best predicted value.

Everything draws from one seeded generator, and numpy's sums are deterministic on one machine, so
`vodstack abr train --seed N` reproduces its weights.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.learned import (
    FEATURE_NAMES,
    PLAUSIBLE_GAP,
    argmax,
    choose,
    features,
)
from vodstack.player.abr.vodstack import VodstackAbr, VodstackParams
from vodstack.player.abr.weights import PolicyWeights
from vodstack.player.simulation.constants import RTT_MS, SESSION_CHUNKS
from vodstack.player.simulation.optimum import first_step_values
from vodstack.player.simulation.session import SessionResult, simulate_session
from vodstack.player.traces import NetworkTrace, by_family
from vodstack.player.training.network import adam_step, folded
from vodstack.player.training.synthetic import synthesize
from vodstack.player.video import Video

FloatArray = npt.NDArray[np.float64]
#: Called with one line of progress.
Log = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of one training run (the defaults produced the committed weights)."""

    seed: int = 1
    heldout_every: int = 4
    synthetic_per_family: int = 30
    #: DAgger rounds after round 0 (which follows the scenario MPC).
    rounds: int = 1
    labels_per_session: int = 6
    lookahead: int = 16
    #: Optimum values more than this below the best are clipped (a bad choice is bad enough).
    target_floor: float = 5.0
    explore: float = 0.05
    hidden: int = 32
    epochs: int = 600
    learning_rate: float = 0.01
    l2: float = 1e-4


def split(
    traces: Sequence[NetworkTrace], every: int
) -> tuple[list[NetworkTrace], list[NetworkTrace]]:
    """(training, held-out): every `every`-th trace of each family, by name, is held out."""
    train: list[NetworkTrace] = []
    heldout: list[NetworkTrace] = []
    for _family, members in by_family(sorted(traces, key=lambda t: t.name)):
        for i, trace in enumerate(members):
            (heldout if i % every == every - 1 else train).append(trace)
    return train, heldout


class Student(AbrAlgorithm):
    """The policy being trained (the scenario MPC before the first fit), recording its inputs."""

    name: ClassVar[str] = "student"

    def __init__(
        self,
        weights: PolicyWeights | None,
        rng: np.random.Generator,
        explore: float,
        params: VodstackParams | None = None,
    ) -> None:
        self.mpc = VodstackAbr(params)
        self.weights = weights
        self.rng = rng
        self.explore = explore
        #: Features of every decision, by chunk index.
        self.inputs: dict[int, list[float]] = {}

    def observe(self, observation: ChunkObservation) -> None:
        self.mpc.observe(observation)

    def decide(self, context: DecisionContext) -> int:
        x = features(self.mpc, context)
        self.inputs[context.chunk_index] = x
        if self.rng.random() < self.explore:
            return int(self.rng.integers(len(context.ladder_kbps)))
        if self.weights is None:
            return argmax(x[: len(context.ladder_kbps)])  # the MPC's choice: relative value 0
        # The wide rail in both directions: the student also learns where going up leads.
        return choose(self.weights, x, up_gap=PLAUSIBLE_GAP)


def positions(session: SessionResult) -> list[float]:
    """Trace position before each chunk (session time without round trips, as the optimum's)."""
    out = [0.0]
    for chunk in session.chunks:
        out.append(out[-1] + chunk.download_s - RTT_MS / 1000.0 + chunk.sleep_s)
    return out


def label_session(
    trace: NetworkTrace,
    video: Video,
    weights: PolicyWeights | None,
    config: TrainConfig,
    rng: np.random.Generator,
    params: VodstackParams | None = None,
) -> tuple[list[list[float]], list[list[float]]]:
    """Stream one trace with the student; at a sample of its decisions, the optimum's value of
    each plausible rendition relative to the best of them (NaN for the others)."""
    student = Student(weights, rng, config.explore, params)
    session = simulate_session(trace, video, student)
    where = positions(session)
    picks = rng.choice(np.arange(1, SESSION_CHUNKS), size=config.labels_per_session, replace=False)
    xs: list[list[float]] = []
    targets: list[list[float]] = []
    for index in sorted(int(i) for i in picks):
        before = session.chunks[index - 1]
        x = student.inputs[index]
        plausible = [q for q in range(len(video.ladder_kbps)) if x[q] >= -PLAUSIBLE_GAP]
        values = first_step_values(
            trace, video, index, before.rendition, where[index], before.buffer_s, plausible,
            chunk_count=min(SESSION_CHUNKS, index + config.lookahead),
        )  # fmt: skip
        top = max(values)
        target = [float("nan")] * len(video.ladder_kbps)
        for q, value in zip(plausible, values, strict=True):
            target[q] = max(value - top, -config.target_floor)
        xs.append(x)
        targets.append(target)
    return xs, targets


def fit(
    x: FloatArray, target: FloatArray, config: TrainConfig, rng: np.random.Generator
) -> PolicyWeights:
    """Masked squared-error fit of the value of each plausible rendition; standardisation folded
    into the first layer."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    known = ~np.isnan(target)
    y = np.where(known, target, 0.0)
    weight = known / max(1, int(known.sum()))
    d = z.shape[1]
    outputs = target.shape[1]
    h = config.hidden
    params = [
        rng.normal(0.0, np.sqrt(2.0 / d), (h, d)),
        np.zeros(h),
        rng.normal(0.0, np.sqrt(1.0 / h), (outputs, h)),
        np.zeros(outputs),
    ]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    for epoch in range(1, config.epochs + 1):
        w1, b1, w2, b2 = params
        pre = z @ w1.T + b1
        hidden = np.maximum(pre, 0.0)
        out = hidden @ w2.T + b2
        grad_out = 2.0 * (out - y) * weight
        grad_w2 = grad_out.T @ hidden + config.l2 * w2
        grad_b2 = grad_out.sum(axis=0)
        grad_hidden = (grad_out @ w2) * (pre > 0)
        grad_w1 = grad_hidden.T @ z + config.l2 * w1
        grad_b1 = grad_hidden.sum(axis=0)
        grads = (grad_w1, grad_b1, grad_w2, grad_b2)
        adam_step(params, grads, moments, squares, epoch, config.learning_rate)
    return folded(params, mean, scale)


def agreement(weights: PolicyWeights, x: FloatArray, target: FloatArray) -> float:
    """Share of labelled decisions where the policy picks a rendition the optimum rates best."""
    hits = 0
    for row, values in zip(x, target, strict=True):
        hits += int(values[choose(weights, list(row), up_gap=PLAUSIBLE_GAP)] == 0.0)
    return hits / len(x) if len(x) else float("nan")


@dataclass
class TrainResult:
    """The weights and how training went."""

    weights: PolicyWeights
    config: TrainConfig
    train: list[NetworkTrace]
    heldout: list[NetworkTrace]
    synthetic: list[NetworkTrace]
    history: list[dict[str, float]]

    def policy_document(self) -> dict[str, object]:
        """What is committed: the weights with their provenance."""
        return {
            "format": 1,
            "features": list(FEATURE_NAMES),
            "trained": {
                "config": asdict(self.config),
                "train_traces": len(self.train),
                "heldout_traces": [t.name for t in self.heldout],
                "synthetic_traces": len(self.synthetic),
                # Without the wall-clock seconds, so the same seed writes the same file.
                "rounds": [{k: v for k, v in r.items() if k != "seconds"} for r in self.history],
            },
            "weights": self.weights.as_dict(),
        }


def train(
    traces: Sequence[NetworkTrace],
    video: Video,
    config: TrainConfig,
    log: Log | None = None,
    params: VodstackParams | None = None,
) -> TrainResult:
    """The whole recipe (module docstring) on `traces` (held-out ones are split off here);
    `params` configures the MPC whose verdicts the policy ranks (default: `vodstack`'s)."""
    say = log or (lambda _line: None)
    rng = np.random.default_rng(config.seed)
    train_set, heldout = split(traces, config.heldout_every)
    synthetic = synthesize(train_set, config.synthetic_per_family, config.seed)
    sessions = [*train_set, *synthetic]
    xs: list[list[float]] = []
    ys: list[list[float]] = []
    weights: PolicyWeights | None = None
    history: list[dict[str, float]] = []
    for round_index in range(config.rounds + 1):
        started = time.monotonic()
        for trace in sessions:
            x, y = label_session(trace, video, weights, config, rng, params)
            xs.extend(x)
            ys.extend(y)
        x_all = np.array(xs, dtype=np.float64)
        y_all = np.array(ys, dtype=np.float64)
        weights = fit(x_all, y_all, config, rng)
        fitted = agreement(weights, x_all, y_all)
        history.append(
            {"round": round_index, "labels": len(ys), "accuracy": fitted,
             "seconds": time.monotonic() - started}
        )  # fmt: skip
        say(
            f"round {round_index}: {len(ys)} labelled states, picks the optimum's best "
            f"{fitted:.3f}, {time.monotonic() - started:.0f} s"
        )
    assert weights is not None
    return TrainResult(weights, config, train_set, heldout, synthetic, history)


def write_policy(document: dict[str, object], json_path: Path) -> None:
    """Write the policy as JSON (Python) and as an ES module beside it (the browser)."""
    text = json.dumps(document, indent=None, separators=(",", ":"))
    json_path.write_text(text + "\n")
    module = json_path.with_suffix(".js")
    module.write_text(
        "// Generated by `vodstack abr train` with abr-policy.json (same content); do not edit.\n"
        f"export const POLICY = {text};\n"
    )
