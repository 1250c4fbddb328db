"""The playback service under test: a published asset's files, a fake catalog, its constants."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from vodstack.contracts.catalog import Availability, Title, TitleKind
from vodstack.contracts.common import Maturity
from vodstack.contracts.history import Position
from vodstack.core.errors import NotFound, ServiceUnavailable
from vodstack.delivery.assets import asset_key_prefix

VERSION = "av1"
EDGES = ["http://edge-a:1", "http://edge-b:2", "http://origin:3"]
SECRET_KEY = b"k" * 32
TIMEOUT_S = 30.0


MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="a128k",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a128k/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aac"
v360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aac"
v720p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",AUDIO="aac"
v1080p/index.m3u8
"""


MEDIA = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.000000,
seg_00001.m4s
#EXTINF:4.000000,
seg_00002.m4s
#EXT-X-ENDLIST
"""


MPD = """<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"
     profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static"
     mediaPresentationDuration="PT8S" minBufferTime="PT4S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" maxWidth="1920" maxHeight="1080">
      <Representation id="v360p" bandwidth="500000" width="640" height="360">
        <SegmentTemplate timescale="90000" startNumber="1"
            initialization="v360p/init.mp4"
            media="v360p/seg_$Number%05d$.m4s" />
      </Representation>
      <Representation id="v720p" bandwidth="2400000" width="1280" height="720">
        <SegmentTemplate timescale="90000" startNumber="1"
            initialization="v720p/init.mp4"
            media="v720p/seg_$Number%05d$.m4s" />
      </Representation>
      <Representation id="v1080p" bandwidth="4900000" width="1920" height="1080">
        <SegmentTemplate timescale="90000" startNumber="1"
            initialization="v1080p/init.mp4"
            media="v1080p/seg_$Number%05d$.m4s" />
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4">
      <Representation id="a128k" bandwidth="128000">
        <SegmentTemplate timescale="48000" startNumber="1"
            initialization="a128k/init.mp4"
            media="a128k/seg_$Number%05d$.m4s" />
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""


def make_title(
    title_id: int,
    *,
    maturity: Maturity = Maturity.TEEN,
    availability: Availability = Availability.AVAILABLE,
    duration_s: int = 600,
) -> Title:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    return Title(
        id=title_id,
        name=f"Title {title_id}",
        kind=TitleKind.MOVIE,
        year=2020,
        maturity=maturity,
        genres=["drama"],
        synopsis="",
        duration_s=duration_s,
        availability=availability,
        artwork_url=f"/api/titles/{title_id}/artwork.svg",
        cast=[],
        seasons=[],
        asset_version=VERSION if availability is Availability.AVAILABLE else None,
        created_at=now,
        updated_at=now,
    )


class FakeCatalog:
    """The catalog's one read playback uses, with its maturity rule."""

    def __init__(self, titles: list[Title]) -> None:
        self.titles = {title.id: title for title in titles}

    async def title(self, title_id: int, maturity: Maturity) -> Title:
        title = self.titles.get(title_id)
        if title is None or not maturity.allows(title.maturity):
            raise NotFound(f"There is no title {title_id}.", code="title_not_found")
        return title


class FakeHistory:
    """The history service's resume points as playback reads them; `down` refuses every read,
    `hang` never answers (the start's timeout must give up on it)."""

    def __init__(self) -> None:
        self.points: dict[tuple[int, int], Position] = {}
        self.down = False
        self.hang = False

    def record(
        self, profile_id: int, title_id: int, position_s: float, *, watched: bool = False
    ) -> None:
        self.points[profile_id, title_id] = Position(
            profile_id=profile_id,
            title_id=title_id,
            position_s=position_s,
            duration_s=600.0,
            watched=watched,
            updated_at=datetime.now(UTC),
        )

    async def resume_point(self, profile_id: int, title_id: int) -> Position | None:
        if self.down:
            raise ServiceUnavailable("The history service is unreachable.", code="unreachable")
        if self.hang:
            await asyncio.Event().wait()
        return self.points.get((profile_id, title_id))


def publish(root: Path, title_id: int) -> None:
    """Lay the asset out as the local object store keeps it (plain files, no fsync: fast)."""
    asset = root / asset_key_prefix(title_id, VERSION)
    for rendition in ("a128k", "v360p", "v720p", "v1080p"):
        (asset / rendition).mkdir(parents=True)
        (asset / rendition / "index.m3u8").write_text(MEDIA)
    (asset / "master.m3u8").write_text(MASTER)
    (asset / "manifest.mpd").write_text(MPD)


#: What the packager adds to an encrypted version's master (pipeline media.protection).
SESSION_KEY = (
    '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES-CTR,URI="data:text/plain;base64,AA==",'
    'KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1",KEYID=0x0123456789abcdef0123456789abcdef'
)


def publish_encrypted(root: Path, title_id: int) -> None:
    """`publish`, with the master of an encrypted version (a start then offers a licence)."""
    publish(root, title_id)
    master = root / asset_key_prefix(title_id, VERSION) / "master.m3u8"
    master.write_text(
        MASTER.replace("#EXT-X-INDEPENDENT-SEGMENTS", SESSION_KEY + "\n#EXT-X-INDEPENDENT-SEGMENTS")
    )
