"""The packager's side of the key service: an asset version's content key, over the internal API.

Keys live in the playback service's key vault (services/playback/keys), wrapped at rest; a
worker holds one only while it packages, validates or measures that version, and never writes
it anywhere. The vault hands out the same key for a version every time, so a retried or
redelivered task (another worker, another host) encrypts with the key the licences give out.
"""

from __future__ import annotations

import httpx

from vodstack.config.settings import Settings
from vodstack.contracts.keys import ContentKeyGrant, ContentKeyRequest
from vodstack.core.service_auth import ServiceAuth, ServiceCredentials
from vodstack.pipeline.jobs.executor import TaskError
from vodstack.pipeline.media.protection import Cenc

_TIMEOUT_S = 10.0


def content_key(settings: Settings, title_id: int, asset_version: str) -> Cenc:
    """The version's key; a key service that is down or refuses is a retryable task error."""
    body = ContentKeyRequest(title_id=title_id, asset_version=asset_version)
    auth = ServiceAuth(ServiceCredentials.from_settings(settings, "pipeline"), "playback")
    url = settings.service_url("playback")
    try:
        with httpx.Client(base_url=url, auth=auth, timeout=_TIMEOUT_S) as client:
            response = client.post("/v1/keys", json=body.model_dump(mode="json"))
            response.raise_for_status()
    except httpx.HTTPError as exc:
        raise TaskError(
            f"the key service (playback at {url}) did not hand out the content key of "
            f"{asset_version}: {exc}",
            retryable=True,
        ) from exc
    grant = ContentKeyGrant.model_validate_json(response.content)
    return Cenc(kid=bytes.fromhex(grant.kid), key=bytes.fromhex(grant.key))
