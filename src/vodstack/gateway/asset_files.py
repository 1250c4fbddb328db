"""Small published files of an asset version (`quality.json`, `poster.jpg`), read from the CDN
origin.

The gateway asks the origin the way an edge does: with a short-lived token it signs itself for
the asset's prefix, so the gateway never opens the object store itself (the origin reads it
through `ObjectStore`, and so does playback for the manifests it rewrites:
services/playback/assets.py says why).
"""

from __future__ import annotations

import httpx

from vodstack.config.settings import Settings
from vodstack.core.errors import UpstreamError
from vodstack.core.http import ServiceClient
from vodstack.core.service_auth import ServiceCredentials
from vodstack.delivery.assets import asset_url_prefix
from vodstack.delivery.quality import QUALITY_NAME, QualityReport
from vodstack.delivery.tokens import TokenSigner

_TOKEN_TTL_S = 60.0
# A session label for tokens, not a secret.
_TOKEN_SESSION = "gateway-admin"  # noqa: S105


class AssetFiles(ServiceClient):
    service = "origin"

    def __init__(
        self,
        base_url: str,
        signer: TokenSigner,
        *,
        credentials: ServiceCredentials,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # The origin checks the segment token, not the service token the base class adds.
        super().__init__(base_url, credentials=credentials, timeout=timeout, transport=transport)
        self._signer = signer

    @classmethod
    def from_settings(
        cls, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> AssetFiles:
        return cls(
            settings.service_url("origin"),
            TokenSigner.from_settings(settings),
            credentials=ServiceCredentials.from_settings(settings, "gateway"),
            timeout=settings.upstream_timeout_s,
            transport=transport,
        )

    async def quality(self, title_id: int, asset_version: str) -> QualityReport | None:
        """The VMAF report of a published version; None when it has none."""
        response = await self.file(title_id, asset_version, QUALITY_NAME)
        return None if response is None else QualityReport.model_validate_json(response.content)

    async def file(self, title_id: int, asset_version: str, name: str) -> httpx.Response | None:
        """A small file of a published version (`poster.jpg`); None when the version has none
        (a preview version has no poster, thumbnails or VMAF)."""
        prefix = asset_url_prefix(title_id, asset_version)
        token = self._signer.sign(prefix, _TOKEN_SESSION, _TOKEN_TTL_S)
        try:
            return await self.request("GET", f"{prefix}{name}", params={"t": token})
        except UpstreamError as exc:
            if exc.status_code == 404:
                return None
            raise
