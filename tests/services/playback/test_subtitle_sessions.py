"""Subtitles through the playback service: a track added to a version that is already playing
(and whose master playback has cached) shows in the next master and MPD; its playlist is served
signed, and only to sessions whose master offers it."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest

from tests.support.playback import EDGES, VERSION
from vodstack.contracts.common import Maturity
from vodstack.contracts.playback import PlaybackRequest
from vodstack.core.errors import NotFound
from vodstack.pipeline.media.subtitle_store import add_subtitles
from vodstack.services.playback.manifests import MPD_NS
from vodstack.services.playback.service import PlaybackService
from vodstack.storage import LocalObjectStore

ACCOUNT = 7
SRT = b"1\n00:00:01,000 --> 00:00:03,000\nSalut\n"


def _start(service: PlaybackService) -> tuple[str, str]:
    body = PlaybackRequest(
        account_id=ACCOUNT, profile_id=11, maturity=Maturity.ADULT, title_id=1, region="eu",
        max_height=2160, max_streams=4,
    )  # fmt: skip
    answer = asyncio.run(service.start(body))
    return answer.play_session_id, answer.token


def test_subtitles_added_after_publishing_reach_the_next_manifests(
    service: PlaybackService, objects: LocalObjectStore
) -> None:
    (objects.root / f"titles/1/{VERSION}/asset.json").write_text("{}")
    session, token = _start(service)
    assert "SUBTITLES" not in service.master_playlist(session, ACCOUNT)  # cached from here on

    track, _ = add_subtitles(objects, 1, "fr", SRT, duration_s=10, asset_version=VERSION)
    master = service.master_playlist(session, ACCOUNT)
    assert 'LANGUAGE="fr",NAME="Français"' in master and f'URI="{track.playlist}"' in master
    playlist = service.media_playlist(session, ACCOUNT, track.playlist)
    assert f"{EDGES[0]}/v/1/{VERSION}/{track.vtt}?t={token}" in playlist.splitlines()
    mpd = ET.fromstring(service.mpd(session, ACCOUNT))
    base = mpd.find(f".//{{{MPD_NS}}}AdaptationSet[@lang='fr']/*/{{{MPD_NS}}}BaseURL")
    assert base is not None and base.text == f"{track.vtt}?t={token}"


def test_a_subtitle_playlist_the_master_does_not_offer_is_not_found(
    service: PlaybackService,
) -> None:
    session, _ = _start(service)
    with pytest.raises(NotFound):
        service.media_playlist(session, ACCOUNT, "subs/fr-000000000000.m3u8")
