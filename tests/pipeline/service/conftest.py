from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.pipeline.service.upload_support import UPLOAD_LIMIT, accept_anything
from tests.support.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import PipelineSettings, Settings, load_settings
from vodstack.pipeline.service.app import create_app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    pipeline = PipelineSettings(max_upload_bytes=UPLOAD_LIMIT)
    return with_secrets(load_settings(data_dir=tmp_path / "data", pipeline=pipeline))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, workers=False, check=accept_anything)
    with TestClient(app) as test_client:
        yield authorized(test_client, settings, "pipeline")
