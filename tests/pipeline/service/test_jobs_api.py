from __future__ import annotations

from fastapi.testclient import TestClient

from vodstack.config.settings import Settings
from vodstack.storage import LocalObjectStore


def test_job_lifecycle_through_the_api(client: TestClient, settings: Settings) -> None:
    missing = client.post("/v1/jobs", json={"title_id": 1, "source_key": "masters/1/x.mp4"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "source_not_found"
    bad = client.post("/v1/jobs", json={"title_id": 1, "source_key": "../etc/passwd"})
    assert bad.status_code == 422

    LocalObjectStore(settings.data_dir / "objects").put_bytes("masters/1/x.mp4", b"GOOD")
    created = client.post("/v1/jobs", json={"title_id": 1, "source_key": "masters/1/x.mp4"})
    assert created.status_code == 201
    job = created.json()
    assert job["state"] == "queued"
    assert [t["name"] for t in job["tasks"]] == ["probe"]

    assert [j["id"] for j in client.get("/v1/jobs").json()] == [job["id"]]
    cancelled = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert {t["state"] for t in cancelled.json()["tasks"]} == {"cancelled"}
    again = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "job_finished"
    assert client.get("/v1/jobs/999").status_code == 404
