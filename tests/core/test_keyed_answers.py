"""KeyedAnswers: answers dropped per group (a profile), every one, or never kept while the
owner cannot vouch for them; an answer read before a drop is never kept after it."""

from __future__ import annotations

import asyncio

from vodstack.core.answer_store import Answer
from vodstack.core.keyed_answers import REMEMBER_S, KeyedAnswers


def _group(key: str) -> int:
    return int(key.split("/", 4)[3])


def _answer(body: bytes = b"{}", expires: float | None = None) -> Answer:
    return Answer([(b"content-type", b"application/json")], body, "/v1/profiles/{id}/rows", expires)


class Vouch:
    def __init__(self) -> None:
        self.ok = True

    def __call__(self) -> bool:
        return self.ok


A = "/v1/profiles/1/rows?maturity=adult"
A_KIDS = "/v1/profiles/1/rows?maturity=kids"
B = "/v1/profiles/2/rows?maturity=adult"


async def _fill(store: KeyedAnswers, key: str, answer: Answer) -> None:
    found = await store.lookup(key)
    assert found is not None and found[1] is None
    await store.put(found[0], key, answer)


async def _kept(store: KeyedAnswers, key: str) -> Answer | None:
    found = await store.lookup(key)
    assert found is not None
    return found[1]


def test_a_drop_forgets_that_group_only() -> None:
    async def run() -> None:
        store = KeyedAnswers(_group, vouched=Vouch())
        for key in (A, A_KIDS, B):
            await _fill(store, key, _answer(key.encode()))
        assert store.kept == 3
        store.drop([1])
        assert await _kept(store, A) is None
        assert await _kept(store, A_KIDS) is None
        kept = await _kept(store, B)
        assert kept is not None and kept.body == B.encode()
        assert store.kept == 1

    asyncio.run(run())


def test_an_answer_looked_up_before_its_groups_drop_is_not_kept() -> None:
    async def run() -> None:
        store = KeyedAnswers(_group, vouched=Vouch())
        a = await store.lookup(A)
        b = await store.lookup(B)
        assert a is not None and b is not None
        store.drop([1])  # profile 1 wrote while both pages were computed
        await store.put(a[0], A, _answer())
        await store.put(b[0], B, _answer())
        assert await _kept(store, A) is None
        assert await _kept(store, B) is not None  # another profile's write does not touch it
        await _fill(store, A, _answer())  # looked up after the drop: kept
        assert await _kept(store, A) is not None

    asyncio.run(run())


def test_drop_all_and_a_write_forget_everything_and_every_fill_under_way() -> None:
    async def run() -> None:
        store = KeyedAnswers(_group, vouched=Vouch())
        await _fill(store, A, _answer())
        pending = await store.lookup(B)
        assert pending is not None
        store.drop_all()
        await store.put(pending[0], B, _answer())
        assert store.kept == 0
        await _fill(store, A, _answer())
        await store.changed()  # a training run through this instance
        assert store.kept == 0

    asyncio.run(run())


def test_nothing_is_answered_or_kept_unless_vouched_for() -> None:
    async def run() -> None:
        vouch = Vouch()
        store = KeyedAnswers(_group, vouched=vouch)
        await _fill(store, A, _answer())
        looked = await store.lookup(B)
        assert looked is not None
        vouch.ok = False
        assert await store.lookup(A) is None  # the app computes it
        await store.put(looked[0], B, _answer())
        vouch.ok = True
        assert await _kept(store, B) is None

    asyncio.run(run())


def test_an_answer_already_expired_is_not_kept() -> None:
    async def run() -> None:
        store = KeyedAnswers(_group, vouched=Vouch(), clock=lambda: 100.0)
        await _fill(store, A, _answer(expires=0.0))  # a degraded page
        assert store.kept == 0
        await _fill(store, A, _answer(expires=200.0))
        assert store.kept == 1

    asyncio.run(run())


def test_a_fill_older_than_the_remembered_drops_is_not_kept() -> None:
    now = [0.0]

    async def run() -> None:
        store = KeyedAnswers(_group, vouched=Vouch(), monotonic=lambda: now[0])
        old = await store.lookup(A)
        assert old is not None
        store.drop([1])
        for _ in range(2):  # two periods later profile 1's drop is forgotten...
            now[0] += REMEMBER_S
            store.drop([3])
        await store.put(old[0], A, _answer())
        assert store.kept == 0  # ...but an answer looked up before it is still refused
        await _fill(store, A, _answer())
        assert store.kept == 1

    asyncio.run(run())


def test_memory_is_bounded() -> None:
    async def run() -> None:
        store = KeyedAnswers(_group, vouched=Vouch(), max_bytes=100)
        await _fill(store, A, _answer(b"x" * 40))
        await _fill(store, B, _answer(b"y" * 40))
        assert store.kept == 1  # past the bound it started over
        assert await _kept(store, B) is not None

    asyncio.run(run())
