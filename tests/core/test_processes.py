"""core.processes on real processes: the parent-death signal, the watched pipe, identities."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.waiting import eventually
from vodstack.core.processes import ProcessIdentity, child_dies_with_us, children_of

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="prctl and /proc are Linux's")

# A middle process that starts a long `sleep` the way vodstack starts its children, prints the
# sleep's pid, then waits to be killed.
MIDDLE = """
import subprocess, sys, threading
from vodstack.core.processes import child_dies_with_us
hook = child_dies_with_us() if sys.argv[1] == "armed" else None
child = subprocess.Popen(["sleep", "300"], preexec_fn=hook)
print(child.pid, flush=True)
threading.Event().wait()
"""


def _orphan_after_kill_9(mode: str) -> ProcessIdentity:
    middle = subprocess.Popen(
        [sys.executable, "-c", MIDDLE, mode], stdout=subprocess.PIPE, text=True
    )
    assert middle.stdout is not None
    child = ProcessIdentity.of(int(middle.stdout.readline()))
    middle.stdout.close()
    assert child is not None
    assert children_of(middle.pid) == [child.pid]
    middle.kill()
    middle.wait()
    return child


def test_a_child_started_with_the_hook_dies_with_its_parent() -> None:
    child = _orphan_after_kill_9("armed")
    eventually(lambda: not child.running(), timeout_s=30)


def test_without_the_hook_the_child_is_orphaned() -> None:
    # The control: what every child did before issue 12.
    child = _orphan_after_kill_9("plain")
    try:
        time.sleep(0.5)
        assert child.running()
    finally:
        os.kill(child.pid, signal.SIGKILL)


def test_a_child_whose_parent_is_already_gone_kills_itself() -> None:
    # die_with_parent(pid) with a pid that is not the parent: the parent died before the
    # signal was armed, which would never fire; the child must not live on.
    code = "import os; from vodstack.core.processes import die_with_parent; die_with_parent(1)"
    result = subprocess.run([sys.executable, "-c", code + "; print('alive')"], capture_output=True)
    assert result.returncode == -signal.SIGKILL
    assert b"alive" not in result.stdout


def test_identity_survives_odd_command_names_and_tells_reused_pids_apart(
    tmp_path: Path,
) -> None:
    odd = tmp_path / "a) b ("
    shutil.copy(shutil.which("sleep") or "/bin/sleep", odd)
    process = subprocess.Popen([str(odd), "300"])
    try:
        identity = ProcessIdentity.of(process.pid)
        assert identity is not None and identity.running()
        assert identity.started > 0 and identity.boot_id
        later = ProcessIdentity(identity.pid, identity.started + 1, identity.boot_id, "")
        assert not later.running(), "same pid, other start time: another process"
    finally:
        process.kill()
        process.wait()
    assert not identity.running()


def _nice_of_child(niceness: int) -> int:
    # Field 19 of /proc/PID/stat is the nice value; the child reads its own.
    probe = "import os; print(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[16])"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        preexec_fn=child_dies_with_us(niceness),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def test_the_hook_lowers_the_childs_cpu_priority_when_asked() -> None:
    # Background encodes yield the CPU to previews (pipeline.ladder_niceness).
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert _nice_of_child(0) == own
    assert _nice_of_child(7) == min(19, own + 7)
