"""Typed client of the catalog service."""

from __future__ import annotations

import httpx
from pydantic import TypeAdapter

from vodstack.contracts.catalog import (
    ArtworkInfo,
    Availability,
    AvailabilityChange,
    Genre,
    SearchResults,
    Title,
    TitleCreate,
    TitleKind,
    TitlePage,
    TitleSort,
    TitleUpdate,
)
from vodstack.contracts.common import Changes, Maturity
from vodstack.core.errors import UpstreamError
from vodstack.core.http import ServiceClient

_genres = TypeAdapter(list[Genre])


def _unpublished(include: bool) -> dict[str, str]:
    """The query flag that shows titles never published (admin views only); absent for viewers."""
    return {"unpublished": "true"} if include else {}


class CatalogClient(ServiceClient):
    service = "catalog"

    async def titles(
        self,
        maturity: Maturity,
        *,
        genre: str | None = None,
        kind: TitleKind | None = None,
        sort: TitleSort = TitleSort.NEW,
        limit: int = 20,
        offset: int = 0,
        unpublished: bool = False,
    ) -> TitlePage:
        params: dict[str, str | int] = {
            "maturity": maturity.value,
            "sort": sort.value,
            "limit": limit,
            "offset": offset,
            **_unpublished(unpublished),
        }
        if genre:
            params["genre"] = genre
        if kind:
            params["kind"] = kind.value
        return await self.get_model("/v1/titles", TitlePage, params=params)

    async def titles_raw(self, params: dict[str, str]) -> httpx.Response:
        """The listing's JSON bytes untouched, for the gateway's pass-through route."""
        return await self.request("GET", "/v1/titles", params=params)

    async def title(self, title_id: int, maturity: Maturity, *, unpublished: bool = False) -> Title:
        params = {"maturity": maturity.value, **_unpublished(unpublished)}
        return await self.get_model(f"/v1/titles/{title_id}", Title, params=params)

    async def changes(self, after: int) -> Changes:
        """The titles changed since the cursor `after` (the catalog's change feed)."""
        return await self.get_model("/v1/titles/changes", Changes, params={"after": after})

    async def search(
        self, query: str, maturity: Maturity, limit: int = 20, *, unpublished: bool = False
    ) -> SearchResults:
        params: dict[str, str | int] = {
            "q": query,
            "maturity": maturity.value,
            "limit": limit,
            **_unpublished(unpublished),
        }
        return await self.get_model("/v1/search", SearchResults, params=params)

    async def genres(self, maturity: Maturity, *, unpublished: bool = False) -> list[Genre]:
        params = {"maturity": maturity.value, **_unpublished(unpublished)}
        return await self.get_as("/v1/genres", _genres, params=params)

    async def artwork(
        self, title_id: int, if_none_match: str | None = None, *, bare: bool = False
    ) -> httpx.Response:
        """The poster; a 304 (empty body) when `if_none_match` is its current ETag."""
        headers = {"if-none-match": if_none_match} if if_none_match else None
        params = {"bare": "true"} if bare else None
        path = f"/v1/titles/{title_id}/artwork.svg"
        return await self.request("GET", path, headers=headers, params=params)

    async def uploaded_artwork(self, title_id: int) -> httpx.Response | None:
        """The image an editor uploaded; None when there is none."""
        try:
            return await self.request("GET", f"/v1/titles/{title_id}/artwork")
        except UpstreamError as exc:
            if exc.status_code == 404 and exc.code == "no_artwork":
                return None
            raise

    async def set_artwork(self, title_id: int, data: bytes) -> ArtworkInfo:
        path = f"/v1/titles/{title_id}/artwork"
        return await self.send_model("PUT", path, ArtworkInfo, content=data)

    async def delete_artwork(self, title_id: int) -> None:
        await self.request("DELETE", f"/v1/titles/{title_id}/artwork")

    async def create(self, body: TitleCreate) -> Title:
        return await self.send_model("POST", "/v1/titles", Title, json=body.model_dump())

    async def update(self, title_id: int, body: TitleUpdate) -> Title:
        return await self.send_model(
            "PATCH", f"/v1/titles/{title_id}", Title, json=body.model_dump(exclude_unset=True)
        )

    async def delete(self, title_id: int) -> None:
        await self.request("DELETE", f"/v1/titles/{title_id}")

    async def set_availability(
        self, title_id: int, availability: Availability, asset_version: str | None = None
    ) -> Title:
        body = AvailabilityChange(availability=availability, asset_version=asset_version)
        return await self.send_model(
            "PUT", f"/v1/titles/{title_id}/availability", Title, json=body.model_dump()
        )
