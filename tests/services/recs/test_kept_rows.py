"""A profile's home rows are kept as bytes and replayed, and dropped exactly when what they are
cut from changes: the profile's viewing in history (its feed, within `recs.history_feed_s`),
not another profile's; a new catalog snapshot or a training run (every profile's). With history
down nothing is kept and the pages are what they were without the cache."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.events.stack import event
from tests.support.catalog import title_body
from tests.support.gateway import make_settings
from tests.support.ports import free_port
from tests.support.servers import serve_in_thread
from tests.support.service_tokens import credentials
from tests.support.waiting import eventually
from vodstack.config.settings import DEFAULT_PORTS, Settings
from vodstack.contracts.events import EVENT
from vodstack.core.keyed_answers import KeyedAnswers
from vodstack.core.service_auth import ServiceAuth
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.history.app import create_app as create_history_app
from vodstack.services.history.repository import ShardedHistory
from vodstack.services.recs.app import create_app as create_recs_app
from vodstack.services.telemetry.app import create_app as create_telemetry_app

pytestmark = pytest.mark.slow

A, B = 101, 202


@dataclass
class Platform:
    settings: Settings
    recs: httpx.Client
    catalog: httpx.Client
    history_app: FastAPI
    recs_app: FastAPI
    history_server: contextlib.ExitStack
    titles: list[int]

    @property
    def kept(self) -> KeyedAnswers:
        answers: KeyedAnswers = self.recs_app.state.kept_rows
        return answers

    @property
    def history(self) -> ShardedHistory:
        history: ShardedHistory = self.history_app.state.history
        return history

    def rows(self, profile: int) -> dict[str, Any]:
        response = self.recs.get(f"/v1/profiles/{profile}/rows", params={"maturity": "adult"})
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def replayed(self, profile: int) -> bool:
        """Whether the next page of `profile` is answered from the kept bytes."""
        hits = self.kept.hits
        self.rows(profile)
        return self.kept.hits > hits

    def publish(self, name: str) -> int:
        created = self.catalog.post("/v1/titles", json=title_body(name=name, maturity="adult"))
        assert created.status_code == 201, created.text
        title_id = int(created.json()["id"])
        body = {"availability": "available", "asset_version": "v1"}
        published = self.catalog.put(f"/v1/titles/{title_id}/availability", json=body)
        assert published.status_code == 200, published.text
        return title_id


def _served(settings: Settings, name: str, app: FastAPI) -> uvicorn.Config:
    return uvicorn.Config(app, host="127.0.0.1", port=settings.port(name), log_level="warning")


def _client(settings: Settings, service: str) -> httpx.Client:
    auth = ServiceAuth(credentials(settings), service)
    return httpx.Client(base_url=settings.service_url(service), auth=auth, timeout=30)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    settings = make_settings(tmp_path, ports={name: free_port() for name in DEFAULT_PORTS})
    recs = settings.recs.model_copy(
        update={
            "catalog_refresh_s": 0.2,
            "popularity_refresh_s": 0.2,
            # Three intervals without a feed read and nothing is replayed: generous for a
            # loaded machine, so a slow read does not hide a kept page from the assertions.
            "history_feed_s": 0.5,
            "train_every_s": 0,  # trained by the test only
        }
    )
    settings = settings.model_copy(update={"recs": recs})
    with contextlib.ExitStack() as stack:
        catalog_app = create_catalog_app(settings)
        stack.enter_context(serve_in_thread(None, config=_served(settings, "catalog", catalog_app)))
        catalog = stack.enter_context(_client(settings, "catalog"))
        telemetry_app = create_telemetry_app(settings)
        stack.enter_context(
            serve_in_thread(None, config=_served(settings, "telemetry", telemetry_app))
        )
        history_app = create_history_app(settings)
        history_server = stack.enter_context(contextlib.ExitStack())
        history_server.enter_context(
            serve_in_thread(None, config=_served(settings, "history", history_app))
        )
        recs_app = create_recs_app(settings)
        stack.enter_context(serve_in_thread(None, config=_served(settings, "recs", recs_app)))
        client = stack.enter_context(_client(settings, "recs"))
        platform = Platform(settings, client, catalog, history_app, recs_app, history_server, [])
        platform.titles = [platform.publish(f"Title {n}") for n in range(3)]

        def ready() -> bool:
            page = client.get(f"/v1/profiles/{A}/rows", params={"maturity": "adult"})
            titles = {i["title"]["id"] for r in page.json().get("rows", []) for i in r["items"]}
            return page.status_code == 200 and set(platform.titles) <= titles

        eventually(ready, timeout_s=60, message="recs never loaded the catalog")
        yield platform


def _heartbeat(profile: int, title: int) -> Any:
    fields = {"profile_id": profile, "title_id": title, "position_s": 300.0, "duration_s": 1000.0}
    return EVENT.validate_python(event("heartbeat", **fields))


def _continue(page: dict[str, Any]) -> list[int]:
    for row in page["rows"]:
        if row["key"] == "continue":
            return [item["title"]["id"] for item in row["items"]]
    return []


def test_a_profiles_new_viewing_reaches_its_rows_and_no_one_elses(platform: Platform) -> None:
    eventually(lambda: platform.replayed(A), timeout_s=30, message="A's rows are never kept")
    eventually(lambda: platform.replayed(B), timeout_s=30, message="B's rows are never kept")
    assert _continue(platform.rows(A)) == []
    title = platform.titles[0]
    # Written to history only (not to the log recs learns from): history's feed alone tells.
    platform.history.apply([_heartbeat(A, title)])
    eventually(
        lambda: _continue(platform.rows(A)) == [title],
        timeout_s=30,
        message="A's new viewing never reached its rows",
    )
    # B's page, kept before A's write, is kept still (and replayed whenever the feed vouches).
    assert platform.kept.holds(f"/v1/profiles/{B}/rows?maturity=adult")
    eventually(lambda: platform.replayed(B), timeout_s=30, message="B's rows are not replayed")
    assert _continue(platform.rows(B)) == []


def test_a_new_catalog_snapshot_and_a_training_run_drop_every_profiles_rows(
    platform: Platform,
) -> None:
    for profile in (A, B):
        eventually(partial(platform.replayed, profile), timeout_s=30, message="never kept")
    newcomer = platform.publish("Newcomer")

    def shows_newcomer(profile: int) -> bool:
        page = platform.rows(profile)
        return any(i["title"]["id"] == newcomer for r in page["rows"] for i in r["items"])

    for profile in (A, B):
        eventually(partial(shows_newcomer, profile), timeout_s=30, message="kept stale")
    for profile in (A, B):
        eventually(partial(platform.replayed, profile), timeout_s=30, message="never kept")
    before = platform.rows(A)["trained_at"]
    trained = platform.recs.post("/v1/train")
    assert trained.status_code == 200, trained.text
    assert platform.kept.kept == 0
    after = platform.rows(A)
    assert after["trained_at"] is not None and after["trained_at"] != before


def test_with_history_down_nothing_is_kept_and_pages_are_as_without_the_cache(
    platform: Platform,
) -> None:
    title = platform.titles[1]
    platform.history.apply([_heartbeat(A, title)])
    eventually(lambda: _continue(platform.rows(A)) == [title], timeout_s=30, message="no row")
    eventually(lambda: platform.replayed(A), timeout_s=30, message="A's rows are never kept")
    platform.history_server.close()  # history stops: its feed and continue watching with it

    def forgotten() -> bool:
        return platform.kept.kept == 0 and not platform.replayed(A)

    eventually(forgotten, timeout_s=30, message="kept rows outlived history's feed")
    for _ in range(3):
        page = platform.rows(A)
        assert _continue(page) == []  # left out, as before: the page still answers
        assert page["rows"]
    assert platform.kept.kept == 0
    bad = platform.recs.get("/v1/profiles/0/rows", params={"maturity": "adult"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    missing = platform.recs.get(f"/v1/profiles/{A}/rows")
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid"


def test_a_page_without_its_continue_row_is_answered_but_not_kept(platform: Platform) -> None:
    eventually(lambda: platform.replayed(A), timeout_s=30, message="A's rows are never kept")
    history = platform.history

    def broken(profile_id: int) -> Any:
        raise RuntimeError("a shard is unreadable")

    history.continue_from_shards = broken  # type: ignore[method-assign]
    title = platform.titles[2]
    history.apply([_heartbeat(A, title)])  # the feed still answers; continue watching fails
    eventually(lambda: not platform.replayed(A), timeout_s=30, message="A was never dropped")
    for _ in range(3):
        assert not platform.replayed(A)  # computed every time, as when history is down
    del history.continue_from_shards  # history recovers: the row is back, and kept again
    eventually(lambda: _continue(platform.rows(A)) == [title], timeout_s=30, message="no row")
    eventually(lambda: platform.replayed(A), timeout_s=30, message="A's rows are never kept")
