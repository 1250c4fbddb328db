"""Playback reads manifests through the object store: a store that is down is a clean 503."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from tests.support.clock import FakeClock
from tests.support.playback import EDGES, FakeCatalog, FakeHistory
from tests.support.ports import free_port
from vodstack.config.settings import PlaybackSettings, StorageBackend, StorageSettings
from vodstack.contracts.common import Maturity
from vodstack.contracts.playback import PlaybackRequest
from vodstack.core.errors import ServiceUnavailable
from vodstack.delivery.tokens import TokenSigner
from vodstack.services.playback.assets import AssetFiles
from vodstack.services.playback.edges import FixedEdges
from vodstack.services.playback.repository import SessionStore
from vodstack.services.playback.service import Collaborators, PlaybackService
from vodstack.storage.s3 import S3ObjectStore


def test_a_start_while_s3_is_down_is_a_503_naming_the_store(
    store: SessionStore,
    catalog: FakeCatalog,
    history: FakeHistory,
    signer: TokenSigner,
    clock: FakeClock,
) -> None:
    dead = StorageSettings(
        backend=StorageBackend.S3,
        s3_endpoint=f"http://127.0.0.1:{free_port()}",
        s3_access_key="k",
        s3_secret_key=SecretStr("s"),
        s3_max_attempts=1,
    )
    broken = PlaybackService(
        Collaborators(
            store=store,
            catalog=catalog,
            history=history,
            assets=AssetFiles(S3ObjectStore.from_settings(dead)),
            edges=FixedEdges(EDGES),
            signer=signer,
        ),
        PlaybackSettings(),
        clock,
    )
    request = PlaybackRequest(
        account_id=7,
        profile_id=11,
        maturity=Maturity.ADULT,
        title_id=1,
        region="eu",
        max_height=1080,
        max_streams=2,
    )
    with pytest.raises(ServiceUnavailable) as caught:
        asyncio.run(broken.start(request))
    assert caught.value.code == "storage_unavailable"
    assert "object store is unreachable" in caught.value.message
