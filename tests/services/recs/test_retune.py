"""Scheduled training reuses the last chosen L2 and decay for `recs.retune_every_s`, then
chooses afresh; values set in the settings always win."""

from __future__ import annotations

import time
from pathlib import Path

from vodstack.config.secrets import with_secrets
from vodstack.config.settings import RecsSettings, load_settings
from vodstack.services.recs.repository import open_store
from vodstack.services.recs.runtime import Clients, RecsRuntime
from vodstack.services.recs.watched import open_watched


def runtime(tmp_path: Path, **recs: float) -> RecsRuntime:
    settings = with_secrets(load_settings(data_dir=tmp_path, recs=RecsSettings(**recs)))
    return RecsRuntime(settings, open_watched(settings), open_store(settings), Clients.of(settings))


def test_the_last_choice_is_reused_inside_the_window_and_dropped_after(tmp_path: Path) -> None:
    recs = runtime(tmp_path, retune_every_s=3600)
    assert (recs.model().l2, recs.model().decay) == (None, None)  # first run: choose
    recs._tuned = (8000.0, 0.35, time.monotonic())
    assert (recs.model().l2, recs.model().decay) == (8000.0, 0.35)
    recs._tuned = (8000.0, 0.35, time.monotonic() - 3601)
    assert (recs.model().l2, recs.model().decay) == (None, None)


def test_settings_win_over_the_last_choice(tmp_path: Path) -> None:
    recs = runtime(tmp_path, l2=100.0)
    recs._tuned = (8000.0, 0.35, time.monotonic())
    assert (recs.model().l2, recs.model().decay) == (100.0, 0.35)
