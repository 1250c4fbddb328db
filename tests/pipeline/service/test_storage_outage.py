"""An object store that is down is a 503 naming it on the pipeline's routes, never a 500."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.pipeline.service.upload_support import accept_anything
from tests.support.ports import free_port
from tests.support.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import load_settings
from vodstack.pipeline.service.app import create_app


def test_creating_a_job_while_s3_is_down_is_a_503(tmp_path: Path) -> None:
    storage = {
        "backend": "s3",
        "s3_endpoint": f"http://127.0.0.1:{free_port()}",
        "s3_access_key": "k",
        "s3_secret_key": "s",
        "s3_max_attempts": 1,
    }
    settings = with_secrets(load_settings(data_dir=tmp_path / "data", storage=storage))
    app = create_app(settings, workers=False, check=accept_anything)
    with TestClient(app) as raw:
        client = authorized(raw, settings, "pipeline")
        reply = client.post("/v1/jobs", json={"title_id": 1, "source_key": "masters/1/a.mp4"})
    assert reply.status_code == 503
    error = reply.json()["error"]
    assert error["code"] == "storage_unavailable"
    assert "S3 endpoint is unreachable" in error["message"]
