"""LSNs compare as positions in the WAL (the replica routing relies on it; the routing itself is
tested against a real replica in tests/services/catalog/test_read_replica.py)."""

from __future__ import annotations

from vodstack.core.read_replica import parse_lsn


def test_an_lsn_is_its_position_in_the_wal() -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert parse_lsn("0/0") == 0


def test_lsns_order_by_their_high_part_first() -> None:
    # As strings "0/FFFFFFFF" > "1/0"; as positions it is before.
    assert parse_lsn("0/FFFFFFFF") < parse_lsn("1/0")
    assert parse_lsn("A/0") > parse_lsn("9/FFFFFFFF")
