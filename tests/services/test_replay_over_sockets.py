"""The catalog served by its real server config (uvicorn, uvloop, one process) under concurrent
keep-alive readers: a commit to its SQLite file by another connection, not through the app, is
seen by the next read sent after it, on any connection. The data's version is read once per
loop iteration (core.iteration_version); this is what that must never break."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx

from tests.support.catalog import title_body
from tests.support.ports import free_port
from tests.support.servers import serve_in_thread
from tests.support.service_tokens import credentials
from vodstack.cli.serve import server_config
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import load_settings
from vodstack.core.db import sqlite_path
from vodstack.core.service_auth import ServiceAuth
from vodstack.services.catalog.app import create_app

READERS = 6
COMMITS = 25


def test_a_commit_outside_the_app_is_seen_by_the_next_read_under_load(tmp_path: Path) -> None:
    settings = with_secrets(load_settings(data_dir=tmp_path))
    app = create_app(settings)
    auth = ServiceAuth(credentials(settings), "catalog")
    with serve_in_thread(None, config=server_config(app, "127.0.0.1", free_port())) as base:
        with httpx.Client(base_url=base, auth=auth, timeout=10) as client:
            created = client.post("/v1/titles", json=title_body(name="Name 0", maturity="adult"))
            title_id = created.json()["id"]
            body = {"availability": "available", "asset_version": "v1"}
            client.put(f"/v1/titles/{title_id}/availability", json=body).raise_for_status()
        url = f"/v1/titles/{title_id}?maturity=adult"
        stop = threading.Event()
        failures: list[str] = []

        def read_on() -> None:  # keeps the loop answering several requests per iteration
            with httpx.Client(base_url=base, auth=auth, timeout=10) as reader:
                while not stop.is_set():
                    response = reader.get(url)
                    if response.status_code != 200:
                        failures.append(response.text)

        readers = [threading.Thread(target=read_on) for _ in range(READERS)]
        for reader in readers:
            reader.start()
        path = sqlite_path(settings.database_url("catalog"))
        assert path is not None
        writer = sqlite3.connect(path, timeout=10)
        try:
            with httpx.Client(base_url=base, auth=auth, timeout=10) as client:
                for n in range(1, COMMITS + 1):
                    client.get(url).raise_for_status()  # the old answer, kept
                    rename = "UPDATE titles SET name = ? WHERE id = ?"
                    writer.execute(rename, (f"Name {n}", title_id))
                    writer.commit()
                    assert client.get(url).json()["name"] == f"Name {n}"
        finally:
            stop.set()
            for reader in readers:
                reader.join(timeout=30)
            writer.close()
        assert failures == []
