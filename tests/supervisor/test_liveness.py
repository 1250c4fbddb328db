"""The supervisor's restart decisions on a fake clock: liveness verdicts and restart backoff."""

from __future__ import annotations

from pathlib import Path

from tests.support.clock import FakeMonotonic
from vodstack.config.settings import SupervisorSettings
from vodstack.supervisor.liveness import Liveness, Verdict
from vodstack.supervisor.process import (
    BACKOFF_MAX_S,
    BACKOFF_START_S,
    STABLE_AFTER_S,
    ManagedProcess,
    ProcessState,
)
from vodstack.supervisor.registry import ServiceSpec

POLICY = SupervisorSettings(
    liveness_interval_s=2.0, liveness_timeout_s=2.0, liveness_failures=3, start_timeout_s=20.0
)


def _healthy_at(now: float) -> Liveness:
    liveness = Liveness(POLICY)
    liveness.restarted(now)
    assert liveness.observe(True, now + 1) is Verdict.ALIVE
    return liveness


def test_replaced_only_after_the_threshold_of_consecutive_failures() -> None:
    liveness = _healthy_at(0.0)
    assert liveness.observe(False, 3.0) is Verdict.FAILING
    assert liveness.observe(False, 5.0) is Verdict.FAILING
    assert liveness.observe(False, 7.0) is Verdict.REPLACE
    assert "3 failed health checks" in liveness.reason()


def test_one_good_answer_resets_the_count() -> None:
    liveness = _healthy_at(0.0)
    for now, ok in [(3.0, False), (5.0, False), (7.0, True), (9.0, False), (11.0, False)]:
        verdict = liveness.observe(ok, now)
    assert verdict is Verdict.FAILING, "two failures after a success are not three in a row"
    assert liveness.observe(False, 13.0) is Verdict.REPLACE


def test_a_starting_process_gets_its_start_time_not_the_failure_threshold() -> None:
    liveness = Liveness(POLICY)
    liveness.restarted(100.0)
    for now in (101.0, 103.0, 105.0, 107.0, 119.0):
        assert liveness.observe(False, now) is Verdict.STARTING
    assert liveness.observe(False, 121.0) is Verdict.REPLACE
    assert "no answer 20 s after start" in liveness.reason()


def test_a_timed_out_probe_does_not_delay_the_next_one_by_a_whole_interval() -> None:
    liveness = _healthy_at(0.0)
    # Sent at 3 s, given up at 5 s (the timeout): the next one is due at 5 s, not 7 s.
    assert liveness.observe(False, 5.0, sent_at=3.0) is Verdict.FAILING
    assert liveness.due(5.0)


def test_probes_are_spaced_by_the_interval() -> None:
    liveness = _healthy_at(0.0)
    assert not liveness.due(2.5)
    assert liveness.due(3.0)
    liveness.restarted(50.0)
    assert liveness.due(50.0), "a new process is probed at once"
    assert liveness.failures == 0 and not liveness.seen_alive


def _process(tmp_path: Path) -> ManagedProcess:
    spec = ServiceSpec("catalog", "vodstack.services.catalog.app:create_app", port=1)
    return ManagedProcess(spec, 1, tmp_path / "settings.json", tmp_path, policy=POLICY)


def _wait_for_restart(proc: ManagedProcess, clock: FakeMonotonic) -> float:
    """Advance the fake clock in quarter seconds until the restart is due; the wait in seconds."""
    waited_from = clock()
    while not proc.due_for_restart(clock()):
        clock.advance(0.25)
    return clock() - waited_from


def test_restart_backoff_doubles_then_caps_then_resets_after_stable_running(
    tmp_path: Path,
) -> None:
    proc = _process(tmp_path)
    clock = FakeMonotonic()
    delays = []
    for _ in range(9):  # crash-looping: dies right after each start
        proc.started_at = clock()
        proc.schedule_restart(clock(), "exited with code 1")
        assert proc.state is ProcessState.BACKOFF
        delays.append(_wait_for_restart(proc, clock))
    assert delays[:4] == [BACKOFF_START_S, 1.0, 2.0, 4.0]
    assert delays[-1] == BACKOFF_MAX_S
    proc.started_at = clock()
    clock.advance(STABLE_AFTER_S + 1)
    proc.schedule_restart(clock(), "frozen")
    assert _wait_for_restart(proc, clock) == BACKOFF_START_S
    assert proc.last_restart == "frozen"


def test_a_crash_soon_after_a_stable_reset_backs_off_from_the_start_again(
    tmp_path: Path,
) -> None:
    proc = _process(tmp_path)
    clock = FakeMonotonic()
    for _ in range(3):
        proc.started_at = clock()
        proc.schedule_restart(clock(), "exited with code 1")
        _wait_for_restart(proc, clock)
    proc.started_at = clock()
    clock.advance(STABLE_AFTER_S + 1)
    proc.schedule_restart(clock(), "exited with code 1")
    assert _wait_for_restart(proc, clock) == BACKOFF_START_S
    proc.started_at = clock()
    proc.schedule_restart(clock(), "exited with code 1")
    assert _wait_for_restart(proc, clock) == BACKOFF_START_S * 2, "crash-looping again doubles"


def test_not_due_before_the_backoff_has_passed(tmp_path: Path) -> None:
    proc = _process(tmp_path)
    clock = FakeMonotonic()
    proc.started_at = clock()
    proc.schedule_restart(clock(), "exited with code 1")
    assert not proc.due_for_restart(clock())
    clock.advance(BACKOFF_START_S - 0.01)
    assert not proc.due_for_restart(clock())
    clock.advance(0.01)
    assert proc.due_for_restart(clock())


def test_a_process_that_answers_is_never_replaced_even_if_unhealthy() -> None:
    # A 503 from /healthz (its database is down) is an answer: a new process would not help.
    liveness = Liveness(POLICY)
    liveness.restarted(0.0)
    for now in range(1, 500, 2):
        assert liveness.observe(True, float(now)) is Verdict.ALIVE


BUSY_GRACE = SupervisorSettings(
    liveness_interval_s=2.0,
    liveness_timeout_s=2.0,
    liveness_failures=3,
    start_timeout_s=20.0,
    liveness_busy_grace_s=30.0,
)


def test_a_starved_process_that_keeps_using_cpu_gets_the_busy_grace_not_three_probes() -> None:
    """The game day's cause: at load 35 a live gateway missed three probes and was replaced
    while its sibling was restarting after a kill; the shared port had no gateway for 30 s."""
    liveness = Liveness(BUSY_GRACE)
    liveness.restarted(0.0)
    assert liveness.observe(True, 1.0) is Verdict.ALIVE
    for now in (3.0, 5.0, 7.0, 9.0, 29.0):
        assert liveness.observe(False, now, working=True) is Verdict.FAILING
    assert liveness.observe(False, 31.5, working=True) is Verdict.REPLACE, "a busy loop is caught"
    assert "busy without answering for over 30 s" in liveness.reason()


def test_a_frozen_process_is_replaced_after_the_usual_failures_even_after_working() -> None:
    liveness = Liveness(BUSY_GRACE)
    liveness.restarted(0.0)
    assert liveness.observe(True, 1.0) is Verdict.ALIVE
    assert liveness.observe(False, 3.0, working=True) is Verdict.FAILING
    assert liveness.observe(False, 5.0, working=False) is Verdict.FAILING
    assert liveness.observe(False, 7.0, working=False) is Verdict.REPLACE
    assert "frozen or hung" in liveness.reason()
