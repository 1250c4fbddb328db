"""A real streaming replica of the machine's PostgreSQL, owned by the test that starts it.

`pg_basebackup -R -X stream` copies the primary (127.0.0.1:5432) into a temporary directory
and writes `standby.signal` + `primary_conninfo`; a second `postgres` then runs on that
directory on a free port as a hot standby, streaming the primary's WAL. It runs as the
`postgres` OS user (the server refuses root), dies with the test process (parent-death signal),
and is stopped and deleted on exit.

The primary must accept replication connections from 127.0.0.1. Debian's default pg_hba.conf
has no `replication` line; when it is missing and the file is writable, this adds the one line
`host replication all 127.0.0.1/32 trust` and reloads the server (harmless to other users: it
only admits streaming replication from this host, on the same trust terms as every other local
connection). Otherwise the test errors with that line to add.

The copy streams through a replication slot of its own (`pg_basebackup -C -S`), dropped on exit:
without one the primary may recycle WAL the replica still needs (the other workers' throw-away
databases write a lot of WAL), and the replica then never sees a database created after it
started: the likely reason a busy CI machine's replica waited 60 s for one in vain. Slots left
behind by a killed run are dropped at the next start (inactive, and named after a process that no
longer exists).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.ports import free_port
from tests.support.postgres import HOST, PORT, admin_connection
from tests.support.waiting import eventually
from vodstack.core.processes import child_dies_with_us

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
HBA_LINE = "host replication all 127.0.0.1/32 trust"


SLOT_PREFIX = "vodstack_test_replica_"


@dataclass(frozen=True)
class Replica:
    host: str
    port: int
    log: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host, port=self.port, user="postgres", dbname=database, autocommit=True
        )

    def has_database(self, database: str) -> bool:
        with self.connect() as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            return row.fetchone() is not None

    def wait_for_database(self, database: str, timeout_s: float = 120.0) -> None:
        """Wait until the replica has replayed the creation of `database`; on failure say why
        (the WAL receiver's state and the replica's log), not only that it did not happen."""
        try:
            eventually(
                lambda: self.has_database(database),
                timeout_s=timeout_s,
                message=f"the replica never saw database {database}",
                tolerate=(psycopg.OperationalError,),
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.diagnosis()}") from None

    def diagnosis(self) -> str:
        try:
            with self.connect() as conn:
                receiver = conn.execute("SELECT * FROM pg_stat_wal_receiver").fetchall()
                replayed = conn.execute("SELECT pg_last_wal_replay_lsn()").fetchone()
        except psycopg.Error as error:
            receiver, replayed = [], (f"unreachable: {error}",)
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        return f"wal receiver: {receiver}; replayed up to {replayed}; replica log:\n{tail}"


def _replication_allowed() -> bool:
    try:
        with psycopg.connect(
            host=HOST, port=PORT, user="postgres", replication="true", connect_timeout=10
        ):
            return True
    except psycopg.OperationalError:
        return False


def _allow_replication() -> None:
    if _replication_allowed():
        return
    with admin_connection() as admin:
        hba = Path(str(admin.execute("SHOW hba_file").fetchone()[0]))  # type: ignore[index]
        if not os.access(hba, os.W_OK):
            raise RuntimeError(
                f"PostgreSQL at {HOST}:{PORT} refuses replication connections; add the line "
                f"`{HBA_LINE}` to {hba} and reload (SELECT pg_reload_conf())."
            )
        with hba.open("a") as file:
            file.write("\n# vodstack tests: streaming replicas (tests/support/replica.py)\n")
            file.write(f"{HBA_LINE}\n")
        admin.execute("SELECT pg_reload_conf()")
    eventually(
        _replication_allowed, timeout_s=30, message="pg_hba reload did not allow replication"
    )


def _drop_slot(name: str) -> None:
    with admin_connection() as admin:
        admin.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = %s AND NOT active",
            (name,),
        )


def _drop_orphaned_slots() -> None:
    """Slots of earlier runs whose process is gone (killed before its `finally` ran)."""
    with admin_connection() as admin:
        rows = admin.execute(
            "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE %s AND NOT active",
            (SLOT_PREFIX + "%",),
        ).fetchall()
    for (name,) in rows:
        pid = str(name)[len(SLOT_PREFIX) :].split("_", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _drop_slot(str(name))


def _as_postgres(user: pwd.struct_passwd, *args: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        list(args),
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
        preexec_fn=child_dies_with_us(),
        **kw,
    )


@contextmanager
def streaming_replica() -> Iterator[Replica]:
    """Start a hot standby of the machine's PostgreSQL; yield where it listens; stop it."""
    admin_connection().close()  # a clear error first when the primary is not there
    _allow_replication()
    user = pwd.getpwnam("postgres")
    root = Path(tempfile.mkdtemp(prefix="vodstack-replica-"))
    data = root / "data"
    os.chown(root, user.pw_uid, user.pw_gid)
    root.chmod(0o700)
    port = free_port()
    log = root / "replica.log"
    slot = f"{SLOT_PREFIX}{os.getpid()}_{port}"
    _drop_orphaned_slots()
    server: subprocess.Popen[bytes] | None = None
    try:
        backup = _as_postgres(
            user,
            str(POSTGRES_BIN / "pg_basebackup"),
            *("-h", HOST, "-p", str(PORT), "-U", "postgres", "-D", str(data)),
            *("-R", "-X", "stream", "-c", "fast", "-C", "-S", slot),
            stderr=subprocess.PIPE,
        )
        _, err = backup.communicate(timeout=300)
        assert backup.returncode == 0, f"pg_basebackup failed: {err.decode(errors='replace')}"
        # Debian keeps the configuration outside the data directory: give the copy its own.
        (data / "postgresql.conf").write_text("hot_standby = on\n")
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (data / "pg_ident.conf").write_text("")
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            os.chown(data / name, user.pw_uid, user.pw_gid)
        with log.open("ab") as out:
            server = _as_postgres(
                user,
                str(POSTGRES_BIN / "postgres"),
                *("-D", str(data), "-p", str(port), "-k", str(root)),
                *("-c", f"listen_addresses={HOST}", "-c", "logging_collector=off"),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        replica = Replica(HOST, port, log)

        def accepting() -> bool:
            assert server is not None and server.poll() is None, (
                f"the replica exited: {log.read_text(errors='replace')[-2000:]}"
            )
            try:
                with replica.connect() as conn:
                    return bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])  # type: ignore[index]
            except psycopg.OperationalError:
                return False

        eventually(accepting, timeout_s=120, message="the replica did not start")
        yield replica
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)  # fast shutdown
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)
        # The walsender lets go of the slot a moment after the replica stops.
        eventually(lambda: _dropped(slot), timeout_s=30, message=f"slot {slot} stayed active")
        shutil.rmtree(root, ignore_errors=True)


def _dropped(slot: str) -> bool:
    _drop_slot(slot)
    with admin_connection() as admin:
        row = admin.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (slot,))
        return row.fetchone() is None
