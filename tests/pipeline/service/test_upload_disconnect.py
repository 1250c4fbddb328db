"""A dropped connection keeps every byte that arrived (a real server, a real socket)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.pipeline.service.upload_support import accept_anything
from tests.support.servers import serve_in_thread
from tests.support.service_tokens import credentials
from tests.support.waiting import eventually
from vodstack.config.settings import Settings
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceAuth
from vodstack.pipeline.service.app import create_app

BODY = b"GOOD" + b"\x01" * 20_000


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    app = create_app(settings, workers=False, check=accept_anything)
    with serve_in_thread(app, ws="none") as url:
        yield url


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

        def offset() -> int:
            return int(http.head(f"/v1/uploads/{upload_id}").headers["Upload-Offset"])

        eventually(lambda: offset() == 7_000, message="the offset never reached the bytes sent")

        def resume() -> httpx.Response | None:
            response = http.patch(
                f"/v1/uploads/{upload_id}",
                content=BODY[7_000:],
                headers={"Upload-Offset": "7000"},
            )
            # The dropped request can hold the upload a moment longer than its last byte took
            # to land (409 upload_busy): a resuming client retries that, and so does this one.
            return None if response.status_code == 409 else response

        done = eventually(resume, message="the dropped request never released the upload")
        assert done.status_code == 200, done.text
        assert done.json()["state"] == "complete"
