"""A profile's "My List", on SQLite and (marked `postgres`) on a real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.clock import FakeClock
from vodstack.contracts.accounts import ProfileCreate, SignUp
from vodstack.core.errors import NotFound
from vodstack.services.accounts.models import ListEntryRow
from vodstack.services.accounts.service import AccountsService


def _account(service: AccountsService, email: str = "ana@example.com") -> tuple[int, int]:
    account = service.accounts.sign_up(SignUp(email=email, password="correct horse battery"))
    [profile] = service.profiles.of_account(account.id)
    return account.id, profile.id


def test_list_keeps_titles_newest_first_and_adding_twice_keeps_the_place(
    service: AccountsService, clock: FakeClock
) -> None:
    account, profile = _account(service)
    for title_id in (7, 3, 9):
        service.my_list.add(account, profile, title_id)
        clock.advance(1)
    service.my_list.add(account, profile, 7)

    assert [e.title_id for e in service.my_list.entries(account, profile)] == [9, 3, 7]

    service.my_list.remove(account, profile, 3)
    service.my_list.remove(account, profile, 3)  # idempotent
    assert [e.title_id for e in service.my_list.entries(account, profile)] == [9, 7]


def test_each_profile_has_its_own_list_and_loses_it_with_the_profile(
    service: AccountsService, db: sessionmaker[Session]
) -> None:
    account, first = _account(service)
    second = service.profiles.create(account, ProfileCreate(name="Kid")).id
    service.my_list.add(account, first, 1)
    service.my_list.add(account, second, 2)

    assert [e.title_id for e in service.my_list.entries(account, second)] == [2]
    service.profiles.delete(account, second)
    with db() as session:
        left = session.scalars(select(ListEntryRow).where(ListEntryRow.profile_id == second))
        assert list(left) == []
    assert [e.title_id for e in service.my_list.entries(account, first)] == [1]


def test_another_accounts_list_does_not_exist(service: AccountsService) -> None:
    ana, _ = _account(service)
    _, bobs = _account(service, "bob@example.com")

    for attempt in (
        lambda: service.my_list.entries(ana, bobs),
        lambda: service.my_list.add(ana, bobs, 1),
        lambda: service.my_list.remove(ana, bobs, 1),
    ):
        with pytest.raises(NotFound):
            attempt()
