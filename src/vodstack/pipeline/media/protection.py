"""Common Encryption (CENC, `cenc` AES-CTR) of CMAF renditions, and how the manifests say so.

ffmpeg's MP4 muxer encrypts while it cuts the segments (`-hls_segment_options`), subsample
encryption for video (NAL headers stay clear), whole samples for audio; the init segment gets
the protection boxes (`encv`/`enca`, `sinf`, `tenc` with the key id). One key per asset version,
issued by the key service (services/playback/keys), so a licence for one version opens nothing
else. The manifests name the key id and the Clear Key system:
- HLS: `#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,KEYFORMAT="org.w3.clearkey"` in each media playlist
  (the URI is a data URI holding the key id, which is how hls.js reads a Clear Key id), and the
  same as `#EXT-X-SESSION-KEY` in the master so a player can set up EME before the first
  playlist;
- DASH: in every AdaptationSet, the `mp4protection` descriptor with `cenc:default_KID` and the
  Clear Key system's descriptor.
The manifests are written first and protected after, so this module does not depend on how
they group codecs, languages or subtitles.
"""

from __future__ import annotations

import base64
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from vodstack.contracts.keys import CLEARKEY_KEY_SYSTEM, CLEARKEY_SYSTEM_ID
from vodstack.delivery.hls import SESSION_KEY

MP4_PROTECTION = "urn:mpeg:dash:mp4protection:2011"
CENC_NS = "urn:mpeg:cenc:2013"
MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
# Elements of a RepresentationBase that come before ContentProtection in the MPD schema.
_BEFORE = {f"{{{MPD_NS}}}FramePacking", f"{{{MPD_NS}}}AudioChannelConfiguration"}


@dataclass(frozen=True, slots=True)
class Cenc:
    kid: bytes
    key: bytes

    def __post_init__(self) -> None:
        if len(self.kid) != 16 or len(self.key) != 16:
            raise ValueError("a CENC key id and key are 16 bytes each")

    def muxer_options(self) -> str:
        """`-hls_segment_options` for ffmpeg's MP4 muxer: encrypt every sample with this key."""
        return (
            f"encryption_scheme=cenc-aes-ctr:encryption_key={self.key.hex()}"
            f":encryption_kid={self.kid.hex()}"
        )

    def input_args(self) -> list[str]:
        """ffmpeg input options that decrypt (placed before the `-i` they apply to)."""
        return ["-decryption_key", self.key.hex()]

    @property
    def kid_uuid(self) -> str:
        return str(uuid.UUID(bytes=self.kid))

    def hls_key_attributes(self) -> str:
        data = base64.b64encode(self.kid).decode("ascii")
        return (
            f'METHOD=SAMPLE-AES-CTR,KEYFORMAT="{CLEARKEY_KEY_SYSTEM}",KEYFORMATVERSIONS="1",'
            f'URI="data:text/plain;base64,{data}",KEYID=0x{self.kid.hex()}'
        )


def protect_media_playlist(text: str, cenc: Cenc) -> str:
    """The key line right before `#EXT-X-MAP` (it applies to the init segment and after)."""
    out = []
    for line in text.splitlines():
        if line.startswith("#EXT-X-MAP:"):
            out.append(f"#EXT-X-KEY:{cenc.hls_key_attributes()}")
        out.append(line)
    return "\n".join(out) + "\n"


def protect_master(text: str, cenc: Cenc) -> str:
    lines = text.splitlines()
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("#EXT-X-VERSION")), 1)
    lines.insert(at, f"{SESSION_KEY}:{cenc.hls_key_attributes()}")
    return "\n".join(lines) + "\n"


def protect_mpd(text: str, cenc: Cenc) -> str:
    ET.register_namespace("", MPD_NS)
    ET.register_namespace("cenc", CENC_NS)
    root = ET.fromstring(text)  # noqa: S314 -- our own MPD, just written by media.dash
    for adaptation in root.iter(f"{{{MPD_NS}}}AdaptationSet"):
        at = 0
        while at < len(adaptation) and adaptation[at].tag in _BEFORE:
            at += 1
        clearkey = ET.Element(
            f"{{{MPD_NS}}}ContentProtection",
            {"schemeIdUri": f"urn:uuid:{CLEARKEY_SYSTEM_ID}", "value": "ClearKey1.0"},
        )
        mp4 = ET.Element(
            f"{{{MPD_NS}}}ContentProtection",
            {
                "schemeIdUri": MP4_PROTECTION,
                "value": "cenc",
                f"{{{CENC_NS}}}default_KID": cenc.kid_uuid,
            },
        )
        adaptation.insert(at, clearkey)
        adaptation.insert(at, mp4)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
