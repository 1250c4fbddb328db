"""Guessing PINs and passwords through the public API: growing lock-outs kept by accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support.clock import FakeClock
from tests.support.gateway import PASSWORD, Stack, Visitor, make_settings, new_email, stack_for
from vodstack.config.settings import AttemptLimit, LockoutSettings

PIN = "4711"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def guarded(tmp_path: Any, clock: FakeClock) -> Iterator[Stack]:
    limits = LockoutSettings(
        profile_pin=AttemptLimit(max_failures=5, lockout_s=30),
        account_pin=AttemptLimit(max_failures=12, lockout_s=30),
        account_login=AttemptLimit(max_failures=5, lockout_s=30),
    )
    with stack_for(make_settings(tmp_path, lockouts=limits), clock=clock) as stack:
        yield stack


def _select(visitor: Visitor, profile_id: int, pin: str) -> Any:
    return visitor.post(f"/api/profiles/{profile_id}/select", json={"pin": pin})


def _guess_all(visitor: Visitor, profile_id: int, count: int) -> list[int]:
    return [_select(visitor, profile_id, f"{n:04d}").status_code for n in range(count)]


def test_brute_forcing_a_pin_is_locked_out_even_for_the_right_pin(
    guarded: Stack, clock: FakeClock
) -> None:
    parent = guarded.viewer()
    locked = parent.add_profile("Parent", "adult", pin=PIN)

    assert _guess_all(parent, locked, 5) == [403] * 5
    refused = _select(parent, locked, PIN)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "locked_out"
    assert "locked for 30 s" in refused.json()["error"]["message"]
    assert int(refused.headers["retry-after"]) == 30

    clock.advance(timedelta(seconds=31))
    assert _select(parent, locked, PIN).status_code == 200


def test_each_lock_out_lasts_twice_as_long(guarded: Stack, clock: FakeClock) -> None:
    parent = guarded.viewer()
    locked = parent.add_profile("Parent", "adult", pin=PIN)

    assert _guess_all(parent, locked, 6)[-1] == 429
    clock.advance(timedelta(seconds=31))
    assert _guess_all(parent, locked, 6)[-1] == 429
    assert int(_select(parent, locked, PIN).headers["retry-after"]) == 60
    clock.advance(timedelta(seconds=61))
    assert _select(parent, locked, PIN).status_code == 200
    # A success starts afresh: five more tries before the next (first-length) lock-out.
    assert _guess_all(parent, locked, 6) == [403] * 5 + [429]
    assert int(_select(parent, locked, PIN).headers["retry-after"]) == 30


def test_the_lock_holds_for_every_session_of_the_account(guarded: Stack) -> None:
    email = new_email()
    child = guarded.visitor()
    child.sign_up(email)
    locked = child.add_profile("Parent", "adult", pin=PIN)
    assert _guess_all(child, locked, 6)[-1] == 429

    other_device = guarded.visitor()
    assert other_device.log_in(email).status_code == 200
    assert _select(other_device, locked, PIN).status_code == 429


def test_the_account_limit_spans_profiles(guarded: Stack) -> None:
    parent = guarded.viewer()
    first = parent.add_profile("One", "adult", pin=PIN)
    second = parent.add_profile("Two", "adult", pin=PIN)
    third = parent.add_profile("Three", "adult", pin=PIN)
    # 4 + 4 + 4 stays under each profile's 5 but reaches the account's 12.
    for profile in (first, second, third):
        assert _guess_all(parent, profile, 4) == [403] * 4
    assert _select(parent, first, PIN).status_code == 429


def test_logins_are_locked_per_account_whatever_the_address(guarded: Stack) -> None:
    email = new_email()
    guarded.visitor().sign_up(email)
    wrong = {"email": email, "password": "not the password"}
    # Every try from another client address: the gateway's per-address bucket never fills.
    codes = [
        guarded.visitor()
        .post("/api/auth/login", json=wrong, headers={"X-Forwarded-For": f"203.0.113.{n}"})
        .status_code
        for n in range(6)
    ]
    assert codes == [401] * 5 + [429]
    refused = guarded.visitor().log_in(email, PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "locked_out"
    assert int(refused.headers["retry-after"]) >= 1
