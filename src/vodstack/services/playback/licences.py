"""Clear Key licences: a playing session's token buys the keys of the version it plays, no more.

The licence route is named by the session's stream token (like the cookieless stream URLs),
so the web player, Shaka or any EME player ask with what they already hold. A licence is
handed out only when
- the token is the session's own, unexpired, and the session still plays (not stopped,
  timed out, logged out or revoked): `PlaybackService.signed_session`;
- the account is still entitled to play (billing: a lapsed subscription stops new licences
  as it stops new starts);
- every key id asked for is the key of the asset version this session plays: a session of a
  title the profile may watch never opens another title's key (one outside the plan or above
  the profile's maturity rating, which the start already refused).
The licence answers with a W3C Clear Key JSON Web Key set. Commercial DRM systems would sit
behind the same route as another `LicenceFormat`; their CDMs need licences we cannot hold.
"""

from __future__ import annotations

import asyncio

from vodstack.contracts.keys import JsonWebKey, Licence, LicenceRequest, b64url, from_b64url
from vodstack.core.errors import Forbidden
from vodstack.services.playback.keys import KeyVault
from vodstack.services.playback.service import PlaybackService


class LicenceService:
    def __init__(self, playback: PlaybackService, vault: KeyVault) -> None:
        self._playback = playback
        self._vault = vault

    async def licence(self, token: str, request: LicenceRequest) -> Licence:
        row = await asyncio.to_thread(self._playback.signed_session, token)
        await self._playback.check_entitlement(row.account_id)
        keys = []
        for kid_text in request.kids:
            key = await asyncio.to_thread(self._vault.by_kid, from_b64url(kid_text))
            if key is None or key.asset_version != row.asset_version:
                raise Forbidden(
                    f"Key {kid_text} is not a key of what this session plays; a licence opens "
                    "only the title the session was started for.",
                    code="key_not_in_session",
                )
            keys.append(JsonWebKey(kid=b64url(key.kid), k=b64url(key.key)))
        return Licence(keys=keys)

    def content_key(self, title_id: int, asset_version: str) -> tuple[bytes, bytes]:
        """The version's (kid, key) for its packager: made once, the same on every retry."""
        key = self._vault.issue(title_id, asset_version)
        return key.kid, key.key
