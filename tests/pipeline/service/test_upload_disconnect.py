"""A dropped connection keeps every byte that arrived (a real server, a real socket)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from tests.pipeline.service.upload_support import accept_anything
from tests.service_tokens import credentials
from vodstack.config.settings import Settings
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceAuth
from vodstack.pipeline.service.app import create_app

BODY = b"GOOD" + b"\x01" * 20_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    port = _free_port()
    app = create_app(settings, workers=False, check=accept_anything)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _send_partial(base_url: str, upload_id: str, sent: int, token: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        head = (
            f"PATCH /v1/uploads/{upload_id} HTTP/1.1\r\nHost: {host}\r\n"
            f"{SERVICE_TOKEN_HEADER}: {token}\r\n"
            f"Upload-Offset: 0\r\nContent-Length: {len(BODY)}\r\n\r\n"
        )
        conn.sendall(head.encode() + BODY[:sent])
        time.sleep(0.3)  # let the server read what was sent, then drop the connection


def test_interrupted_patch_resumes_from_the_last_byte_received(
    base_url: str, settings: Settings
) -> None:
    auth = ServiceAuth(credentials(settings), "pipeline")
    with httpx.Client(base_url=base_url, auth=auth) as http:
        created = http.post(
            "/v1/uploads", json={"filename": "a.mp4", "size": len(BODY), "title_id": 2}
        )
        upload_id = created.json()["id"]
        _send_partial(base_url, upload_id, 7_000, auth.credentials.token("pipeline"))
        deadline = time.monotonic() + 10
        offset = -1
        while offset != 7_000:
            assert time.monotonic() < deadline, f"offset stayed {offset}"
            offset = int(http.head(f"/v1/uploads/{upload_id}").headers["Upload-Offset"])
            time.sleep(0.05)
        done = http.patch(
            f"/v1/uploads/{upload_id}",
            content=BODY[offset:],
            headers={"Upload-Offset": str(offset)},
        )
        assert done.status_code == 200, done.text
        assert done.json()["state"] == "complete"
