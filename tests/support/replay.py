"""A service app whose replay path (core.replay_path) reports what it answered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from starlette.types import Scope, Send

from vodstack.core.replay_path import ServiceApp


class Watched:
    """A service app whose replay path reports whether it answered each request."""

    def __init__(self, app: ServiceApp, monkeypatch: pytest.MonkeyPatch) -> None:
        assert app.replay is not None
        self.app, self.replay, self.answered = app, app.replay, list[bool]()
        answer = app.replay.answered

        async def answered(scope: Scope, send: Send) -> bool:
            self.answered.append(await answer(scope, send))
            return self.answered[-1]

        monkeypatch.setattr(app.replay, "answered", answered)

    @contextmanager
    def without_replay(self) -> Iterator[None]:
        self.app.replay = None
        try:
            yield
        finally:
            self.app.replay = self.replay
