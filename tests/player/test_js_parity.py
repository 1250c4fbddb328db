"""The browser's JavaScript port makes exactly the Python algorithm's decisions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.player.fakes import make_trace
from vodstack.player.abr.interface import ChunkObservation, DecisionContext
from vodstack.player.abr.recording import Event, RecordingAlgorithm
from vodstack.player.abr.vodstack import VodstackAbr, VodstackParams
from vodstack.player.simulation.session import simulate_session
from vodstack.player.traces import NetworkTrace, load_traces
from vodstack.player.video import Video, read_video_sizes

NODE = shutil.which("node")
PORT = Path(__file__).resolve().parents[2] / "src/vodstack/player/web/abr.js"
RUNNER = Path(__file__).with_name("js") / "replay.mjs"

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run_port(sessions: list[list[Event]]) -> dict[str, object]:
    """Feed recorded sessions to the JavaScript port; its decisions and default parameters."""
    assert NODE is not None
    completed = subprocess.run(
        [NODE, str(RUNNER), str(PORT)],
        input=json.dumps({"sessions": sessions}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def record(traces: list[NetworkTrace], video: Video) -> list[list[Event]]:
    sessions = []
    for trace in traces:
        recorder = RecordingAlgorithm(VodstackAbr())
        simulate_session(trace, video, recorder)
        sessions.append(recorder.events)
    return sessions


def assert_same_decisions(sessions: list[list[Event]]) -> None:
    expected = [[e["decision"] for e in events if "decide" in e] for events in sessions]
    assert run_port(sessions)["decisions"] == expected


def test_same_decisions_on_synthetic_sessions(video: Video) -> None:
    traces = [
        make_trace([0.6, 2.5, 0.2, 3.5, 1.0, 0.05, 4.0, 1.5], step_s=3.0, name="jumpy"),
        make_trace([1.2] * 20, name="flat"),
        make_trace([0.25, 0.4, 0.3], step_s=5.0, name="starved"),
        make_trace([9.0, 8.5, 9.5], step_s=2.0, name="fast"),
    ]
    assert_same_decisions(record(traces, video))


def test_same_decisions_when_chunk_sizes_are_unknown(video: Video) -> None:
    recorder = RecordingAlgorithm(VodstackAbr())
    simulate_session(make_trace([0.8, 3.0, 1.6], step_s=4.0), video, recorder)
    for event in recorder.events:
        if "decide" in event:
            event["decide"]["upcoming_sizes"] = None  # type: ignore[index]
    python = VodstackAbr()
    expected = []
    for event in recorder.events:
        if "observe" in event:
            python.observe(_observation(event["observe"]))
        else:
            expected.append(python.decide(_context(event["decide"])))
    assert run_port([recorder.events])["decisions"] == [expected]


def test_same_decisions_on_real_traces(abr_data: Path) -> None:
    traces = load_traces(abr_data / "traces-train")[::9]  # 15 traces, both families
    assert_same_decisions(record(traces, read_video_sizes(abr_data / "video_sizes")))


def test_same_default_parameters() -> None:
    params = run_port([])["params"]
    assert isinstance(params, dict)
    python = VodstackParams()
    assert params["horizon"] == python.horizon
    assert params["window"] == python.window
    assert params["buffer_value_per_s"] == python.buffer_value_per_s
    assert params["buffer_value_cap_s"] == python.buffer_value_cap_s
    assert params["rebuffer_penalty"] == python.qoe.rebuffer_penalty
    assert params["smoothness_penalty"] == python.qoe.smoothness_penalty
    assert params["volatility_edges"] == list(python.errors.edges)
    assert params["ratio_quantiles"] == [list(row) for row in python.errors.quantiles]


def _observation(data: object) -> ChunkObservation:
    assert isinstance(data, dict)
    return ChunkObservation(**data)


def _context(data: object) -> DecisionContext:
    assert isinstance(data, dict)
    return DecisionContext(**data)
