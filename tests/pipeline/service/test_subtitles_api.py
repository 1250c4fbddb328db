"""The pipeline's subtitle API: 422 shapes naming lines, 413 past the cap, and where a good file
lands (the title's prefix, the published version it plays, the index playback reads)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from vodstack.config.settings import Settings
from vodstack.delivery.subtitles import read_index
from vodstack.pipeline.media.subtitles import MAX_SUBTITLE_BYTES
from vodstack.storage import LocalObjectStore

SRT = b"1\n00:00:01,000 --> 00:00:03,000\n<font color=red>Salut</font>\n"


def _store(settings: Settings) -> LocalObjectStore:
    return LocalObjectStore(settings.data_dir / "objects")


def test_a_broken_file_is_422_with_every_bad_line_in_details(client: TestClient) -> None:
    body = b"1\n00:00:04,000 --> 00:00:03,000\na\n\n2\n00:00:0x,000 --> 00:00:05,000\nb\n"
    answer = client.put("/v1/titles/7/subtitles/fr", content=body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_subtitles"
    assert error["message"].startswith("The subtitle file cannot be used: line 2: ")
    assert error["message"].endswith("(and 1 more problems).")
    assert [d["line"] for d in error["details"]] == [2, 6]  # in file order
    assert "end is not after the start" in error["details"][0]["message"]
    assert "cannot read the timing" in error["details"][1]["message"]


def test_bad_encoding_and_past_the_title_end_are_422(client: TestClient) -> None:
    latin = client.put("/v1/titles/7/subtitles/fr", content="1\n00:00:01,000 --> 00:00:02,000\n"
                       "Là\n".encode("latin-1"))  # fmt: skip
    assert latin.status_code == 422 and latin.json()["error"]["details"][0]["line"] == 3
    late = client.put("/v1/titles/7/subtitles/fr", params={"duration_s": 1.5}, content=SRT)
    assert late.status_code == 422
    assert "ends after the title (1.5 s long)" in late.json()["error"]["message"]


def test_oversized_files_and_bad_language_tags_are_refused(client: TestClient) -> None:
    big = client.put("/v1/titles/7/subtitles/fr", content=b"x" * (MAX_SUBTITLE_BYTES + 1))
    assert big.status_code == 413  # the service's body cap (2 MiB) answers before the route
    assert "bytes" in big.json()["error"]["message"]
    assert client.put("/v1/titles/7/subtitles/FRENCH", content=SRT).status_code == 422
    assert client.put("/v1/titles/7/subtitles/..", content=SRT).status_code in (404, 422)


def test_a_good_file_goes_to_the_title_and_its_published_version(
    client: TestClient, settings: Settings
) -> None:
    store = _store(settings)
    store.put_bytes("titles/7/av1/asset.json", b"{}")
    answer = client.put(
        "/v1/titles/7/subtitles/fr",
        params={"name": "Français (SDH)", "duration_s": 10, "asset_version": "av1"},
        content=SRT,
    )
    assert answer.status_code == 200, answer.text
    track = answer.json()
    assert track["lang"] == "fr" and track["name"] == "Français (SDH)" and track["cues"] == 1
    for prefix in ("subtitles/7", "titles/7/av1"):
        vtt = store.read_bytes(f"{prefix}/{track['vtt']}").decode()
        assert vtt.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n")
        assert "00:00:01.000 --> 00:00:03.000\nSalut\n" in vtt  # sanitised: no <font>
        playlist = store.read_bytes(f"{prefix}/{track['playlist']}").decode()
        assert track["vtt"].split("/")[-1] in playlist.splitlines()
        [indexed] = read_index(store.read_bytes(f"{prefix}/subtitles.json").decode())
        assert indexed.vtt == track["vtt"]
    listed = client.get("/v1/titles/7/subtitles").json()
    assert [(t["lang"], t["name"]) for t in listed] == [("fr", "Français (SDH)")]


def test_an_unpublished_version_is_left_alone(client: TestClient, settings: Settings) -> None:
    answer = client.put("/v1/titles/8/subtitles/en", params={"asset_version": "av9"}, content=SRT)
    assert answer.status_code == 200
    assert not _store(settings).list("titles/8/")
    assert client.get("/v1/titles/8/subtitles").json()[0]["lang"] == "en"
