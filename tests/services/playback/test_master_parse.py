"""A start parses a title's master playlist once per distinct text and plan height
(service._playable_master), not at every start; a plan with no rendition is refused every time."""

from __future__ import annotations

import pytest

from tests.services.playback.test_service import request, start
from vodstack.core.errors import Conflict
from vodstack.services.playback import manifests
from vodstack.services.playback import service as playback_service
from vodstack.services.playback.manifests import FilteredMaster
from vodstack.services.playback.service import PlaybackService


def test_the_master_is_parsed_once_per_text_and_height(
    service: PlaybackService, monkeypatch: pytest.MonkeyPatch
) -> None:
    playback_service._playable_master.cache_clear()
    parsed: list[int] = []
    real = manifests.filter_master

    def counted(text: str, max_height: int) -> FilteredMaster:
        parsed.append(max_height)
        return real(text, max_height)

    monkeypatch.setattr(manifests, "filter_master", counted)  # the module the service calls
    plan = {"max_height": 2160, "max_streams": 4}
    first = start(service, request(plan=plan))
    again = start(service, request(plan=plan))
    assert parsed == [2160]
    assert first.licence_url == again.licence_url  # the same answer from the kept parse
    start(service, request(plan={"max_height": 720, "max_streams": 4}))
    assert parsed == [2160, 720]
    for _ in range(2):
        with pytest.raises(Conflict) as refused:
            start(service, request(plan={"max_height": 100, "max_streams": 4}))
        assert refused.value.code == "no_allowed_rendition"
    assert parsed == [2160, 720, 100, 100]  # a refusal is not kept: it raises each time
