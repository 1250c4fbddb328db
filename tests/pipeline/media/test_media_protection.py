"""Issue 20, point 5: CMAF renditions encrypted with Common Encryption (cenc) as they are cut.

The segments of the session's test asset are cut again with a content key: without the key
they do not decode, with it they do (PyAV and the ffmpeg CLI), the manifests name the key id
for HLS (EXT-X-KEY, Clear Key) and DASH (ContentProtection), and the playback service's
per-session MPD filter keeps the protection.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import imageio_ffmpeg
import pytest

from vodstack.pipeline.media import (
    InvalidAsset,
    describe_rendition,
    segment_rendition,
    write_manifests,
)
from vodstack.pipeline.media.package import DASH_MANIFEST, MASTER_PLAYLIST
from vodstack.pipeline.media.protection import CENC_NS, MP4_PROTECTION, MPD_NS, Cenc
from vodstack.pipeline.media.rendition import INIT_NAME, MEDIA_PLAYLIST
from vodstack.pipeline.media.validate import DecodeCheck, decode_segment, validate_asset
from vodstack.services.playback.manifests import filter_mpd

from .asset_chain import BuiltAsset

KEY = Cenc(kid=bytes.fromhex("0123456789abcdef0123456789abcdef"), key=bytes(range(16)))
OTHER = Cenc(kid=KEY.kid, key=bytes(range(1, 17)))


@pytest.fixture(scope="module")
def protected(asset: BuiltAsset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work, root = asset.root.parent, tmp_path_factory.mktemp("protected")
    for name, joined in (("v240p", "v240p.mp4"), ("a128k", "audio.mp4")):
        segment_rendition(work / joined, root / name, cenc=KEY)
    renditions = [describe_rendition(root / name) for name in ("v240p", "a128k")]
    write_manifests(root, renditions, KEY)
    return root


def test_segments_decode_only_with_the_key(protected: Path) -> None:
    for name in ("v240p", "a128k"):
        init = (protected / name / INIT_NAME).read_bytes()
        segment = protected / name / "seg_00001.m4s"
        assert decode_segment(init, segment, KEY.key) is None
        assert decode_segment(init, segment) is not None, f"{name} decodes without its key"
        assert decode_segment(init, segment, OTHER.key) is not None
        assert b"tenc" in init and KEY.kid in init  # the key id travels in the init segment


def test_encrypted_renditions_keep_their_codec_strings(asset: BuiltAsset, protected: Path) -> None:
    clear = {r.name: r for r in asset.renditions}
    for name in ("v240p", "a128k"):
        described = describe_rendition(protected / name)
        assert described.codecs == clear[name].codecs
        assert [s.duration for s in described.segments] == [
            s.duration for s in clear[name].segments
        ]


def test_the_asset_validates_with_its_key_and_not_without(protected: Path) -> None:
    validate_asset(protected, decode=DecodeCheck.ALL, require_extras=False, decryption_key=KEY.key)
    with pytest.raises(InvalidAsset, match="does not decode"):
        validate_asset(protected, decode=DecodeCheck.SAMPLE, require_extras=False)


def test_ffmpeg_reads_every_rendition_with_the_key(protected: Path, tmp_path: Path) -> None:
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    for name in ("v240p", "a128k"):
        joined = tmp_path / f"{name}.mp4"
        parts = [protected / name / INIT_NAME, *sorted((protected / name).glob("seg_*.m4s"))]
        joined.write_bytes(b"".join(p.read_bytes() for p in parts))
        base = [ffmpeg, "-v", "error", "-xerror"]
        tail = ["-i", str(joined), "-f", "null", "-"]
        ok = subprocess.run([*base, *KEY.input_args(), *tail], capture_output=True, check=False)
        assert ok.returncode == 0, ok.stderr.decode()
        refused = subprocess.run([*base, *tail], capture_output=True, check=False)
        assert refused.returncode != 0, f"{name} decoded without the key"


def test_hls_playlists_name_the_clear_key(protected: Path) -> None:
    media = (protected / "v240p" / MEDIA_PLAYLIST).read_text().splitlines()
    key_line = next(i for i, line in enumerate(media) if line.startswith("#EXT-X-KEY:"))
    assert media[key_line + 1].startswith("#EXT-X-MAP:")
    assert "METHOD=SAMPLE-AES-CTR" in media[key_line]
    assert 'KEYFORMAT="org.w3.clearkey"' in media[key_line]
    assert f"KEYID=0x{KEY.kid.hex()}" in media[key_line]
    master = (protected / MASTER_PLAYLIST).read_text()
    assert "#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES-CTR" in master


def test_every_dash_adaptation_set_names_the_key_and_survives_the_session_filter(
    protected: Path,
) -> None:
    text = (protected / DASH_MANIFEST).read_text()
    filtered = filter_mpd(text, 1080, ["https://edge.example/v/1/x/"], "tok")
    for document in (text, filtered):
        root = ET.fromstring(document)
        sets = list(root.iter(f"{{{MPD_NS}}}AdaptationSet"))
        assert len(sets) == 2
        for adaptation in sets:
            kinds = {
                (p.get("schemeIdUri"), p.get(f"{{{CENC_NS}}}default_KID"))
                for p in adaptation.iter(f"{{{MPD_NS}}}ContentProtection")
            }
            assert (MP4_PROTECTION, KEY.kid_uuid) in kinds
            assert ("urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e", None) in kinds
