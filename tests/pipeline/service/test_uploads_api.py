"""The resumable upload protocol, through the pipeline's HTTP API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.pipeline.service.upload_support import UPLOAD_LIMIT
from vodstack.config.settings import Settings
from vodstack.storage import LocalObjectStore

BODY = b"GOOD" + bytes(range(256)) * 40  # 10 244 bytes


def _create(client: TestClient, size: int = len(BODY), name: str = "Movie.MP4") -> str:
    response = client.post("/v1/uploads", json={"filename": name, "size": size, "title_id": 3})
    assert response.status_code == 201, response.text
    assert response.json()["offset"] == 0
    return str(response.json()["id"])


def _patch(client: TestClient, upload_id: str, offset: int, data: bytes) -> object:
    return client.patch(
        f"/v1/uploads/{upload_id}",
        content=data,
        headers={"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
    )


def test_upload_in_pieces_resumes_from_the_server_offset(
    client: TestClient, settings: Settings
) -> None:
    upload_id = _create(client)
    first = client.patch(
        f"/v1/uploads/{upload_id}", content=BODY[:4000], headers={"Upload-Offset": "0"}
    )
    assert first.status_code == 200
    assert first.json()["offset"] == 4000
    # A client that lost track sends from the wrong place: told where to resume.
    wrong = client.patch(
        f"/v1/uploads/{upload_id}", content=BODY[3000:], headers={"Upload-Offset": "3000"}
    )
    assert wrong.status_code == 409
    assert wrong.json()["error"]["code"] == "offset_mismatch"
    head = client.head(f"/v1/uploads/{upload_id}")
    assert head.headers["Upload-Offset"] == "4000"
    assert head.headers["Upload-Length"] == str(len(BODY))
    done = client.patch(
        f"/v1/uploads/{upload_id}", content=BODY[4000:], headers={"Upload-Offset": "4000"}
    )
    assert done.status_code == 200, done.text
    status = done.json()
    assert status["state"] == "complete"
    assert status["offset"] == len(BODY)
    store = LocalObjectStore(settings.data_dir / "objects")
    master = f"masters/3/{upload_id}.mp4"
    assert store.read_bytes(master) == BODY
    job = client.get(f"/v1/jobs/{status['job_id']}").json()
    assert (job["source_key"], job["title_id"], job["state"]) == (master, 3, "queued")
    again = client.patch(f"/v1/uploads/{upload_id}", content=b"x", headers={"Upload-Offset": "0"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "upload_finished"


def test_a_file_over_the_limit_is_refused_up_front(client: TestClient) -> None:
    response = client.post(
        "/v1/uploads", json={"filename": "big.mp4", "size": UPLOAD_LIMIT + 1, "title_id": 1}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"


def test_bytes_past_the_declared_size_are_refused(client: TestClient) -> None:
    upload_id = _create(client, size=10)
    response = client.patch(
        f"/v1/uploads/{upload_id}", content=b"GOOD" + b"x" * 20, headers={"Upload-Offset": "0"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_overflow"
    assert client.get(f"/v1/uploads/{upload_id}").json()["offset"] == 10


def test_a_bad_file_is_rejected_with_the_reason_and_creates_nothing(
    client: TestClient, settings: Settings
) -> None:
    body = b"hello, this is text"
    upload_id = _create(client, size=len(body), name="notes.mp4")
    response = client.patch(
        f"/v1/uploads/{upload_id}", content=body, headers={"Upload-Offset": "0"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_media"
    assert error["message"] == "notes.mp4: This is not a video file."
    status = client.get(f"/v1/uploads/{upload_id}").json()
    assert (status["state"], status["job_id"]) == ("rejected", None)
    assert client.get("/v1/jobs").json() == []
    assert LocalObjectStore(settings.data_dir / "objects").list() == []


def test_missing_offset_header_and_unknown_upload(client: TestClient) -> None:
    upload_id = _create(client)
    assert client.patch(f"/v1/uploads/{upload_id}", content=b"GOOD").status_code == 422
    missing = client.get("/v1/uploads/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "upload_not_found"
