"""The catalog service's API (internal; reached through the gateway).

Reads take the viewer's maturity level; a title above it does not exist for that viewer
(404 on fetch, absent from lists and search). Likewise a title never published (processing or
failed) exists only for admins: reads show it only with `unpublished=true`.

    GET    /v1/titles?maturity=&genre=&kind=&sort=new|title|year&limit=&offset=&unpublished=
                                                  -> Page[TitleSummary]
    GET    /v1/titles/{title_id}?maturity=&unpublished=  -> Title; 404 title_not_found
    GET    /v1/search?q=&maturity=&limit=&unpublished=   -> SearchResults (prefix match, ranked)
    GET    /v1/genres?maturity=&unpublished=      -> list[Genre]
    GET    /v1/titles/{title_id}/artwork.svg?bare=  -> generated poster (image/svg+xml); `bare`
                                                  leaves the name out (the page sets it in type)
    PUT    /v1/titles/{title_id}/artwork          image bytes -> ArtworkInfo; 422 invalid_artwork
    GET    /v1/titles/{title_id}/artwork          -> the uploaded image; 404 no_artwork
    DELETE /v1/titles/{title_id}/artwork          -> 204
    POST   /v1/titles                             TitleCreate -> Title (201)
    PATCH  /v1/titles/{title_id}                  TitleUpdate -> Title
    DELETE /v1/titles/{title_id}                  -> 204
    PUT    /v1/titles/{title_id}/availability     AvailabilityChange -> Title (used by the pipeline;
                                                  `failed` never demotes a published title)

A series' episodes are titles of their own (kind `episode`): made from the series' seasons on
every write, never listed or searched, each with its own id, media and availability (docs/web.md,
"Episodes"). Episodes cannot be created, edited or deleted directly (422 `episode_kind`).

Admin checks happen at the gateway; the catalog trusts its callers on the internal network.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from vodstack.contracts.common import Maturity, Page

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
GenreName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
SearchQuery = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class TitleKind(StrEnum):
    MOVIE = "movie"
    SERIES = "series"
    # One episode of a series: a title of its own (id, media, resume point), never listed, made
    # and kept in step by the catalog from its series' seasons.
    EPISODE = "episode"


class Availability(StrEnum):
    """Where a title is in its life. Viewers see only AVAILABLE titles (published at least
    once); the other states are shown to admins, who must act on FAILED."""

    PROCESSING = "processing"  # created, no version published yet
    AVAILABLE = "available"  # a version (preview or complete) is published
    FAILED = "failed"  # never published: its upload was refused or its job failed for good


class TitleSort(StrEnum):
    NEW = "new"
    TITLE = "title"
    YEAR = "year"


class Episode(BaseModel):
    number: int = Field(ge=1, le=999)
    name: ShortText
    synopsis: LongText = ""
    duration_s: int = Field(0, ge=0, le=24 * 3600)
    # Filled in by the catalog on reads (ignored on writes): the episode's own title id, which
    # playback, the pipeline and history use, whether its media is published, and its still
    # (a frame of its own video once published).
    id: int | None = None
    availability: Availability | None = None
    artwork_url: str | None = None


class Season(BaseModel):
    number: int = Field(ge=1, le=99)
    episodes: list[Episode] = Field(default_factory=list, max_length=200)


class EpisodeOf(BaseModel):
    """Where an episode sits in its series, and what plays after it."""

    series_id: int
    series_name: str
    season: int
    number: int
    next_episode_id: int | None = None  # the next published episode, if any


class Genre(BaseModel):
    slug: str
    name: str
    count: int


class TitleSummary(BaseModel):
    id: int
    name: str
    kind: TitleKind
    year: int
    maturity: Maturity
    genres: list[str]
    synopsis: str
    duration_s: int
    availability: Availability
    artwork_url: str


class Title(TitleSummary):
    cast: list[str]
    seasons: list[Season]
    asset_version: str | None
    episode_of: EpisodeOf | None = None  # set on episodes only
    created_at: datetime
    updated_at: datetime


class TitleCreate(BaseModel):
    name: ShortText
    kind: TitleKind = TitleKind.MOVIE
    year: int = Field(ge=1870, le=2100)
    maturity: Maturity = Maturity.ADULT
    genres: list[GenreName] = Field(min_length=1, max_length=10)
    synopsis: LongText = ""
    cast: list[PersonName] = Field(default_factory=list, max_length=50)
    duration_s: int = Field(0, ge=0, le=24 * 3600)
    seasons: list[Season] = Field(default_factory=list, max_length=50)


class TitleUpdate(BaseModel):
    name: ShortText | None = None
    kind: TitleKind | None = None
    year: int | None = Field(None, ge=1870, le=2100)
    maturity: Maturity | None = None
    genres: list[GenreName] | None = Field(None, min_length=1, max_length=10)
    synopsis: LongText | None = None
    cast: list[PersonName] | None = Field(None, max_length=50)
    duration_s: int | None = Field(None, ge=0, le=24 * 3600)
    seasons: list[Season] | None = Field(None, max_length=50)


class AvailabilityChange(BaseModel):
    availability: Availability
    asset_version: str | None = None


class SearchResults(BaseModel):
    query: str
    items: list[TitleSummary]


TitlePage = Page[TitleSummary]


class ArtworkInfo(BaseModel):
    """An uploaded artwork image, as the catalog accepted it."""

    content_type: str
    width: int
    height: int
    etag: str
