"""The ABR experiment: the playback start answer names the member's cell, and the headless
player runs that algorithm unless told otherwise."""

from __future__ import annotations

from pathlib import Path

from tests.services.playback.stack import inprocess_platform
from vodstack.config.settings import ExperimentsSettings
from vodstack.contracts.experiments import Cell
from vodstack.player.headless.player import choose_algorithm
from vodstack.services.experiments.allocation import allocate


def test_the_start_answer_carries_the_members_abr_cell(tmp_path: Path) -> None:
    # Generous: a loaded machine must not turn a slow assignment into the default.
    slow_ok = ExperimentsSettings(assign_timeout_s=30)
    with inprocess_platform(tmp_path, with_experiments=True, experiments=slow_ok) as platform:
        viewer = platform.viewer("standard")
        title_id = platform.title()
        before = viewer.post(f"/api/playback/{title_id}/start")
        assert before.status_code == 201 and before.json()["abr"] is None  # no experiment
        viewer.post(f"/api/playback/{before.json()['play_session_id']}/stop", json={})

        assert platform.experiments is not None
        body = {"key": "abr-algorithm", "cells": [
            {"name": "vodstack", "share": 5000}, {"name": "robustmpc", "share": 5000}]}  # fmt: skip
        experiment = platform.experiments.post("/v1/experiments", json=body).json()
        account = viewer.get("/api/me").json()["account"]["id"]
        expected = allocate(
            experiment["salt"], [Cell.model_validate(c) for c in experiment["cells"]], account
        )

        started = viewer.post(f"/api/playback/{title_id}/start")
        assert started.status_code == 201, started.text
        assert started.json()["abr"] == expected


def test_the_headless_player_takes_the_platforms_choice_unless_told() -> None:
    assert choose_algorithm(None, "robustmpc") == "robustmpc"
    assert choose_algorithm("bola", "robustmpc") == "bola"  # --abr wins
    assert choose_algorithm(None, None) == "vodstack-adaptive"
    assert choose_algorithm(None, "an-algorithm-this-player-lacks") == "vodstack-adaptive"
