"""Train the MPC's terminal value of buffer on the offline optimum (`abr/terminal_value.py`).

1. **States.** The default algorithm (`vodstack-adaptive`) streams every training and synthetic
   trace (the same sets the policy is trained on; the held-out traces are split off the same
   way). At a sample of its decisions, what its MPC knew is recorded (`terminal_features`), and
   so is where the session stood `HORIZON` chunks later: trace position and previous rendition,
   the state a five-chunk plan made at that decision ends in.
2. **Teacher.** From that end state, the offline optimum is solved over the next `lookahead`
   chunks (`LOOKAHEAD_CHUNKS`, or to the end of the video) once for each buffer of
   `LABEL_BUFFERS_S` (the future known from then on). The label of buffer B is the optimum's
   QoE from B minus its QoE from an empty buffer: what B seconds in hand are worth to a player
   that then plays as well as possible, on this trace, from this point.
3. **Fit.** A one-hidden-layer network maps the features to the curve's coefficients, fitted
   by squared error on all labelled buffers (full-batch Adam, L2), standardisation folded into
   the first layer. The labels are clairvoyant per trace; averaged over many traces with the
   same features, the fit is the expected value of buffer in such a state.

Every draw comes from the seed (one generator per session, so the result does not depend on
the order sessions are labelled in): the same seed writes the same weights.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from vodstack.player.abr.adaptive import AdaptiveAbr
from vodstack.player.abr.interface import DecisionContext
from vodstack.player.abr.terminal_value import (
    CAPS_S,
    LOOKAHEAD_CHUNKS,
    TERMINAL_FEATURES,
    TerminalValue,
    terminal_features,
)
from vodstack.player.simulation.constants import SESSION_CHUNKS
from vodstack.player.simulation.optimum import buffer_values
from vodstack.player.simulation.session import simulate_session
from vodstack.player.traces import NetworkTrace
from vodstack.player.training.imitation import Log, positions, split
from vodstack.player.training.network import adam_step, folded
from vodstack.player.training.synthetic import synthesize
from vodstack.player.video import Video

FloatArray = npt.NDArray[np.float64]

#: Chunks of the MPC's plan: the terminal value is asked for where such a plan ends.
HORIZON = 5
#: Buffers (s) the optimum values each end state at; the first is the reference (empty).
LABEL_BUFFERS_S: tuple[float, ...] = (0.0, 2.0, 4.0, 8.0, 12.0, 16.0, 20.0, 25.0, 30.0, 40.0)


@dataclass(frozen=True)
class TerminalConfig:
    """Knobs of one terminal-value training run (the defaults are the recorded run's)."""

    seed: int = 1
    heldout_every: int = 4
    synthetic_per_family: int = 30
    labels_per_session: int = 8
    #: Chunks the optimum plays from the end state (the end of the video if sooner).
    lookahead: int = LOOKAHEAD_CHUNKS
    hidden: int = 16
    epochs: int = 1500
    learning_rate: float = 0.01
    l2: float = 1e-4


class RecordingAdaptive(AdaptiveAbr):
    """The default algorithm, recording what its MPC knew at every decision."""

    name: ClassVar[str] = "recording-adaptive"

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[int, list[float]] = {}

    def decide(self, context: DecisionContext) -> int:
        link = self.learned.mpc.link
        if link:
            self.inputs[context.chunk_index] = terminal_features(
                link.samples, link.harmonic_mean(), link.volatility(), context, HORIZON
            )
        return super().decide(context)


def label_session(
    job: tuple[NetworkTrace, Video, int, int, int, int],
) -> tuple[list[list[float]], list[list[float]]]:
    """(features, labels) at `count` decisions of one session (module docstring)."""
    trace, video, seed, session_index, count, lookahead = job
    rng = np.random.default_rng([seed, session_index])
    player = RecordingAdaptive()
    session = simulate_session(trace, video, player)
    where = positions(session)
    last_decision = SESSION_CHUNKS - HORIZON - 1  # a plan from here still ends before the video
    picks = rng.choice(np.arange(1, last_decision + 1), size=count, replace=False)
    xs: list[list[float]] = []
    ys: list[list[float]] = []
    for index in sorted(int(i) for i in picks):
        end = index + HORIZON
        values = buffer_values(
            trace, video, end, session.chunks[end - 1].rendition, where[end],
            list(LABEL_BUFFERS_S), chunk_count=min(SESSION_CHUNKS, end + lookahead),
        )  # fmt: skip
        xs.append(player.inputs[index])
        ys.append([value - values[0] for value in values[1:]])
    return xs, ys


def basis() -> FloatArray:
    """min(B, cap) for every labelled buffer (rows, the empty one left out) and knot (columns)."""
    return np.array([[min(b, cap) for cap in CAPS_S] for b in LABEL_BUFFERS_S[1:]])


def fit(
    x: FloatArray, target: FloatArray, config: TerminalConfig, rng: np.random.Generator
) -> TerminalValue:
    """Squared error of the curve at every labelled buffer; standardisation folded in."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    phi = basis()
    d, h, k = z.shape[1], config.hidden, len(CAPS_S)
    params = [
        rng.normal(0.0, np.sqrt(2.0 / d), (h, d)),
        np.zeros(h),
        rng.normal(0.0, np.sqrt(1.0 / h), (k, h)),
        np.full(k, 0.1),
    ]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    weight = 1.0 / target.size
    for epoch in range(1, config.epochs + 1):
        w1, b1, w2, b2 = params
        pre = z @ w1.T + b1
        hidden = np.maximum(pre, 0.0)
        raw = hidden @ w2.T + b2
        coefficients = np.maximum(raw, 0.0)
        predicted = coefficients @ phi.T
        grad_predicted = 2.0 * (predicted - target) * weight
        grad_raw = (grad_predicted @ phi) * (raw > 0)
        grad_w2 = grad_raw.T @ hidden + config.l2 * w2
        grad_b2 = grad_raw.sum(axis=0)
        grad_hidden = (grad_raw @ w2) * (pre > 0)
        grad_w1 = grad_hidden.T @ z + config.l2 * w1
        grad_b1 = grad_hidden.sum(axis=0)
        grads = (grad_w1, grad_b1, grad_w2, grad_b2)
        adam_step(params, grads, moments, squares, epoch, config.learning_rate)
    weights = folded(params, mean, scale)
    return TerminalValue(weights.hidden_w, weights.hidden_b, weights.out_w, weights.out_b)


def residual(value: TerminalValue, x: FloatArray, target: FloatArray) -> float:
    """Root mean squared error of the fitted curve over every labelled buffer."""
    phi = basis()
    errors = [
        np.array(value.coefficients(list(row))) @ phi.T - labels
        for row, labels in zip(x, target, strict=True)
    ]
    return float(np.sqrt(np.mean(np.square(errors))))


def train_terminal(
    traces: Sequence[NetworkTrace],
    video: Video,
    config: TerminalConfig,
    jobs: int = 1,
    log: Log | None = None,
) -> tuple[TerminalValue, dict[str, object]]:
    """The whole recipe (module docstring): the weights and the document to write."""
    say = log or (lambda _line: None)
    train_set, heldout = split(traces, config.heldout_every)
    sessions = [*train_set, *synthesize(train_set, config.synthetic_per_family, config.seed)]
    work = [
        (trace, video, config.seed, i, config.labels_per_session, config.lookahead)
        for i, trace in enumerate(sessions)
    ]
    if jobs > 1:
        with Pool(jobs) as pool:
            labelled = pool.map(label_session, work, chunksize=4)
    else:
        labelled = [label_session(job) for job in work]
    x = np.array([row for xs, _ in labelled for row in xs], dtype=np.float64)
    y = np.array([row for _, ys in labelled for row in ys], dtype=np.float64)
    value = fit(x, y, config, np.random.default_rng(config.seed))
    error = residual(value, x, y)
    say(
        f"{len(x)} labelled end states, fit RMSE {error:.2f} QoE "
        f"over {len(LABEL_BUFFERS_S)} buffers"
    )
    document: dict[str, object] = {
        "format": 1,
        "features": list(TERMINAL_FEATURES),
        "caps_s": list(CAPS_S),
        "trained": {
            "config": asdict(config),
            "label_buffers_s": list(LABEL_BUFFERS_S),
            "states": len(x),
            "rmse": error,
            "heldout_traces": [t.name for t in heldout],
        },
        "weights": value.as_dict(),
    }
    return value, document


def write_terminal(document: dict[str, object], path: Path) -> None:
    """Write the terminal value's document as JSON."""
    path.write_text(json.dumps(document, indent=None, separators=(",", ":")) + "\n")
