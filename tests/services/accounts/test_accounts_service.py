"""The accounts logic, run on SQLite and (marked `postgres`) on a real PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.accounts import SESSION_TTL, CountingHasher
from tests.support.clock import FakeClock
from vodstack.contracts.accounts import (
    MAX_PROFILES,
    AdminAccountCreate,
    Credentials,
    PlanCode,
    ProfileCreate,
    ProfileSelect,
    ProfileUpdate,
    Role,
    SignUp,
)
from vodstack.contracts.common import Maturity
from vodstack.core.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from vodstack.services.accounts.models import AccountRow, PlanRow, SessionRow
from vodstack.services.accounts.passwords import Passwords
from vodstack.services.accounts.plans import PLANS, seed_plans
from vodstack.services.accounts.service import AccountsService

PASSWORD = "correct horse battery"


def sign_up(service: AccountsService, email: str = "Ana@Example.com") -> int:
    return service.accounts.sign_up(SignUp(email=email, password=PASSWORD)).id


def log_in(service: AccountsService, email: str = "ana@example.com") -> str:
    return service.sessions.log_in(Credentials(email=email, password=PASSWORD)).session_id


def test_sign_up_gives_a_standard_viewer_account_with_one_adult_profile(
    service: AccountsService,
) -> None:
    account = service.accounts.sign_up(SignUp(email=" Ana@Example.COM ", password=PASSWORD))

    assert account.email == "ana@example.com"
    assert account.role is Role.VIEWER
    assert account.plan.code is PlanCode.STANDARD
    assert (account.plan.max_height, account.plan.max_streams) == (1080, 2)
    assert account.created_at.tzinfo is not None
    assert account.created_at.utcoffset() == timedelta(0)
    [profile] = service.profiles.of_account(account.id)
    assert (profile.name, profile.maturity, profile.has_pin) == ("ana", Maturity.ADULT, False)
    assert service.accounts.get(account.id) == account


def test_duplicate_email_is_refused_whatever_its_case(service: AccountsService) -> None:
    sign_up(service, "ana@example.com")
    with pytest.raises(Conflict) as caught:
        sign_up(service, "ANA@example.com")
    assert caught.value.code == "email_taken"
    assert "Log in instead" in caught.value.message


def test_admin_creation_sets_the_role(service: AccountsService) -> None:
    body = AdminAccountCreate(
        email="ops@example.com", password=PASSWORD, role=Role.ADMIN, plan=PlanCode.PREMIUM
    )
    account = service.accounts.sign_up(body, role=body.role)
    assert (account.role, account.plan.code) == (Role.ADMIN, PlanCode.PREMIUM)


def test_log_in_returns_a_session_that_can_be_looked_up(service: AccountsService) -> None:
    account_id = sign_up(service)
    info = service.sessions.log_in(Credentials(email="ANA@example.com", password=PASSWORD))

    assert len(info.session_id) >= 43  # 32 random bytes, base64url
    assert info.account.id == account_id
    assert info.profile is None
    assert info.expires_at.tzinfo is not None
    assert service.sessions.get(info.session_id) == info


def test_only_the_token_digest_is_stored(
    service: AccountsService, db: sessionmaker[Session]
) -> None:
    sign_up(service)
    token = log_in(service)
    with db() as s:
        stored = list(s.scalars(select(SessionRow.token_hash)))
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_wrong_password_and_unknown_email_look_the_same(
    service: AccountsService, hasher: CountingHasher
) -> None:
    sign_up(service)
    failures = []
    for email, password in [("ana@example.com", "wrong password"), ("bob@example.com", PASSWORD)]:
        before = hasher.verifications
        with pytest.raises(Unauthorized) as caught:
            service.sessions.log_in(Credentials(email=email, password=password))
        # One argon2 verification either way, so the timing does not tell them apart either.
        assert hasher.verifications == before + 1
        failures.append((caught.value.code, caught.value.message))
    assert failures == [("bad_credentials", "Wrong email or password.")] * 2


def test_sessions_expire(service: AccountsService, clock: FakeClock) -> None:
    sign_up(service)
    token = log_in(service)
    clock.advance(SESSION_TTL - timedelta(seconds=1))
    assert service.sessions.get(token).session_id == token
    clock.advance(timedelta(seconds=1))
    with pytest.raises(NotFound) as caught:
        service.sessions.get(token)
    assert caught.value.code == "session_not_found"
    with pytest.raises(NotFound):
        service.sessions.clear_profile(token)


def test_expired_sessions_are_purged(
    service: AccountsService, clock: FakeClock, db: sessionmaker[Session]
) -> None:
    sign_up(service)
    log_in(service)
    clock.advance(SESSION_TTL)
    live = log_in(service)  # also drops this account's expired sessions
    log_in(service)
    clock.advance(SESSION_TTL / 2)
    assert service.sessions.purge_expired() == 0
    clock.advance(SESSION_TTL / 2)
    assert service.sessions.purge_expired() == 2
    with db() as s:
        assert s.scalars(select(SessionRow)).all() == []
    with pytest.raises(NotFound):
        service.sessions.get(live)


def test_log_out_ends_the_session_and_is_idempotent(service: AccountsService) -> None:
    sign_up(service)
    token = log_in(service)
    other = log_in(service)
    service.sessions.log_out(token)
    service.sessions.log_out(token)
    service.sessions.log_out("never-issued")
    with pytest.raises(NotFound):
        service.sessions.get(token)
    assert service.sessions.get(other).session_id == other


def test_profile_limit(service: AccountsService) -> None:
    account_id = sign_up(service)
    for n in range(MAX_PROFILES - 1):
        service.profiles.create(account_id, ProfileCreate(name=f"kid {n}"))
    with pytest.raises(Conflict) as caught:
        service.profiles.create(account_id, ProfileCreate(name="one too many"))
    assert caught.value.code == "profile_limit"
    assert len(service.profiles.of_account(account_id)) == MAX_PROFILES


def test_selecting_a_pin_profile_needs_the_right_pin(service: AccountsService) -> None:
    account_id = sign_up(service)
    body = ProfileCreate(name="Dad", maturity=Maturity.ADULT, pin="1234")
    locked = service.profiles.create(account_id, body)
    assert locked.has_pin
    token = log_in(service)
    for pin in (None, "4321"):
        with pytest.raises(Forbidden) as caught:
            service.sessions.select_profile(token, ProfileSelect(profile_id=locked.id, pin=pin))
        assert caught.value.code == "wrong_pin"
    assert service.sessions.get(token).profile is None

    info = service.sessions.select_profile(token, ProfileSelect(profile_id=locked.id, pin="1234"))
    assert info.profile == locked
    assert service.sessions.clear_profile(token).profile is None


def test_profiles_of_another_account_do_not_exist(service: AccountsService) -> None:
    ana = sign_up(service, "ana@example.com")
    bob = sign_up(service, "bob@example.com")
    [bobs] = service.profiles.of_account(bob)
    token = log_in(service, "ana@example.com")
    attempts: list[Callable[[], object]] = [
        lambda: service.profiles.get(ana, bobs.id),
        lambda: service.profiles.update(ana, bobs.id, ProfileUpdate(name="mine now")),
        lambda: service.profiles.delete(ana, bobs.id),
        lambda: service.sessions.select_profile(token, ProfileSelect(profile_id=bobs.id)),
        lambda: service.profiles.get(ana, 10**12),  # beyond any id column: still just 404
    ]
    for attempt in attempts:
        with pytest.raises(NotFound) as caught:
            attempt()
        assert caught.value.code == "profile_not_found"
    assert service.profiles.get(bob, bobs.id) == bobs


def test_unknown_accounts_are_404(service: AccountsService) -> None:
    for account_id in (12345, 0, -1, 2**63):
        with pytest.raises(NotFound) as caught:
            service.accounts.get(account_id)
        assert caught.value.code == "account_not_found"
    with pytest.raises(NotFound):
        service.profiles.create(12345, ProfileCreate(name="ghost"))


def test_update_profile_fields_and_pin(service: AccountsService) -> None:
    account_id = sign_up(service)
    [profile] = service.profiles.of_account(account_id)
    change = ProfileUpdate(name="Kiddo", avatar_color="#00ff00", maturity=Maturity.KIDS, pin="0000")
    updated = service.profiles.update(account_id, profile.id, change)
    assert (updated.name, updated.avatar_color, updated.maturity) == ("Kiddo", "#00ff00", "kids")
    assert updated.has_pin
    # Unset fields stay as they are.
    renamed = service.profiles.update(account_id, profile.id, ProfileUpdate(name="Kid"))
    assert (renamed.maturity, renamed.has_pin) == (Maturity.KIDS, True)
    cleared = service.profiles.update(account_id, profile.id, ProfileUpdate(clear_pin=True))
    assert not cleared.has_pin
    with pytest.raises(Invalid):
        service.profiles.update(account_id, profile.id, ProfileUpdate(pin="1111", clear_pin=True))


def test_deleting_a_profile_deselects_it_in_sessions(service: AccountsService) -> None:
    account_id = sign_up(service)
    extra = service.profiles.create(account_id, ProfileCreate(name="Guest"))
    token = log_in(service)
    service.sessions.select_profile(token, ProfileSelect(profile_id=extra.id))

    service.profiles.delete(account_id, extra.id)

    assert service.sessions.get(token).profile is None
    assert [p.name for p in service.profiles.of_account(account_id)] == ["ana"]


def test_the_last_profile_cannot_be_deleted(service: AccountsService) -> None:
    account_id = sign_up(service)
    [only] = service.profiles.of_account(account_id)
    with pytest.raises(Conflict) as caught:
        service.profiles.delete(account_id, only.id)
    assert caught.value.code == "last_profile"
    assert service.profiles.of_account(account_id) == [only]


def test_change_plan(service: AccountsService) -> None:
    account_id = sign_up(service)
    account = service.accounts.change_plan(account_id, PlanCode.PREMIUM)
    assert (account.plan.code, account.plan.max_height, account.plan.max_streams) == (
        PlanCode.PREMIUM,
        2160,
        4,
    )
    assert service.accounts.get(account_id).plan.code is PlanCode.PREMIUM
    token = log_in(service)
    assert service.sessions.get(token).account.plan.code is PlanCode.PREMIUM


def test_plans_are_seeded_idempotently_and_kept_current(
    service: AccountsService, db: sessionmaker[Session]
) -> None:
    assert service.accounts.plans() == list(PLANS)
    with db.begin() as s:
        s.get_one(PlanRow, PlanCode.BASIC).price_cents = 1
    seed_plans(db)
    seed_plans(db)
    assert service.accounts.plans() == list(PLANS)
    assert [(p.code, p.price_cents) for p in PLANS] == [
        (PlanCode.BASIC, 799),
        (PlanCode.STANDARD, 1399),
        (PlanCode.PREMIUM, 1999),
    ]


def test_weaker_hashes_are_upgraded_at_log_in(
    service: AccountsService, db: sessionmaker[Session], clock: FakeClock
) -> None:
    account_id = sign_up(service)
    stronger = AccountsService(
        db, Passwords(CountingHasher(time_cost=2)), session_ttl=SESSION_TTL, clock=clock
    )
    with db() as s:
        before = s.get_one(AccountRow, account_id).password_hash
    stronger.sessions.log_in(Credentials(email="ana@example.com", password=PASSWORD))
    with db() as s:
        after = s.get_one(AccountRow, account_id).password_hash
    assert "t=1" in before
    assert "t=2" in after
    assert log_in(service)  # the new hash still verifies with any parameters


def test_created_at_is_utc(service: AccountsService, clock: FakeClock) -> None:
    account = service.accounts.get(sign_up(service))
    assert account.created_at == clock.now
    assert account.created_at.tzinfo is not None
    assert account.created_at.astimezone(UTC) == clock.now


def test_the_profile_limit_holds_under_concurrent_creation(service: AccountsService) -> None:
    account_id = sign_up(service)
    attempts = 8
    start = threading.Barrier(attempts)

    def create(n: int) -> str:
        start.wait()
        try:
            service.profiles.create(account_id, ProfileCreate(name=f"racer {n}"))
        except Conflict as exc:
            return exc.code
        return "created"

    with ThreadPoolExecutor(attempts) as pool:
        outcomes = sorted(pool.map(create, range(attempts)))

    assert outcomes.count("created") == MAX_PROFILES - 1
    assert outcomes.count("profile_limit") == attempts - (MAX_PROFILES - 1)
    assert len(service.profiles.of_account(account_id)) == MAX_PROFILES


def test_passwords_verify(passwords: Passwords) -> None:
    stored = passwords.hash("s3cret pass")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "s3cret pass")
    assert not passwords.verify(stored, "s3cret pasS")
    assert not passwords.verify(None, "s3cret pass")
    assert not passwords.verify("not a hash", "s3cret pass")


def test_the_default_hasher_uses_safe_parameters() -> None:
    stored = Passwords(max_parallel=1).hash("s3cret pass")
    # RFC 9106's low-memory profile, argon2-cffi's default: 64 MiB, 3 passes.
    assert "$m=65536,t=3," in stored


def test_parallel_pin_guesses_never_exceed_the_limit(
    service: AccountsService, hasher: CountingHasher
) -> None:
    account_id = sign_up(service)
    locked = service.profiles.create(
        account_id, ProfileCreate(name="Dad", maturity=Maturity.ADULT, pin="1234")
    )
    token = log_in(service)
    attempts = 12
    start = threading.Barrier(attempts)
    verified_before = hasher.verifications

    def guess(n: int) -> str:
        start.wait()
        try:
            service.sessions.select_profile(
                token, ProfileSelect(profile_id=locked.id, pin=f"{n + 5000:04d}")
            )
        except (Forbidden, TooManyRequests) as exc:
            return exc.code
        return "selected"

    with ThreadPoolExecutor(attempts) as pool:
        outcomes = sorted(pool.map(guess, range(attempts)))

    # Counted before argon2 runs: at most five guesses are ever checked.
    assert outcomes.count("wrong_pin") == 5
    assert outcomes.count("locked_out") == attempts - 5
    assert hasher.verifications - verified_before == 5


def test_lock_outs_outlive_a_service_restart(
    db: sessionmaker[Session], passwords: Passwords, clock: FakeClock
) -> None:
    service = AccountsService(db, passwords, session_ttl=SESSION_TTL, clock=clock)
    sign_up(service)
    for _ in range(10):
        with pytest.raises(Unauthorized):
            service.sessions.log_in(Credentials(email="ana@example.com", password="wrong one"))

    restarted = AccountsService(db, passwords, session_ttl=SESSION_TTL, clock=clock)
    with pytest.raises(TooManyRequests) as caught:
        log_in(restarted)
    assert caught.value.retry_after == 30
    clock.advance(timedelta(seconds=30))
    assert log_in(restarted)
