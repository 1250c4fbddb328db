from __future__ import annotations

import pytest
from pydantic import ValidationError

from vodstack.pipeline.jobs.dag import JobPlan, TaskSpec, expanded_tasks, initial_tasks
from vodstack.pipeline.jobs.states import TaskKind


def test_a_job_starts_with_probe_alone() -> None:
    (probe,) = initial_tasks(7)
    assert probe.kind is TaskKind.PROBE
    assert probe.output_key == "work/7/probe.json"


def test_the_analysis_is_off_the_critical_path() -> None:
    specs = expanded_tasks(7, 3, "v1", JobPlan(renditions=["240p", "720p"], chunks=2))
    by_name = {s.name: s for s in specs}
    assert by_name["analyze"].deps == ("probe",)
    assert by_name["split:00000"].deps == ("probe",), "encoding starts right after the probe"
    assert "analyze" in by_name["publish"].deps, "published only with its analysis"
    encodes = [s.priority for s in specs if s.kind is TaskKind.ENCODE]
    assert by_name["analyze"].priority > max(encodes), "it fills the tail"


def test_the_plan_expands_into_chunks_times_renditions() -> None:
    plan = JobPlan(renditions=["240p", "360p", "720p"], chunks=4)
    specs = expanded_tasks(7, 3, "v1", plan)
    encodes = [s for s in specs if s.kind is TaskKind.ENCODE]
    assert len(encodes) == 12
    assert {(s.rendition, s.chunk) for s in encodes} == {
        (r, c) for r in plan.renditions for c in range(4)
    }
    by_name = {s.name: s for s in specs}
    assert by_name["concat:360p"].deps == tuple(f"encode:360p:{c:05d}" for c in range(4))
    assert set(by_name["package"].deps) == {"concat:240p", "concat:360p", "concat:720p", "audio"}
    publish = by_name["publish"]
    # VMAF reports on the published version: the publish never waits for it.
    assert set(publish.deps) == {"package", "analyze", "thumbs"}
    assert by_name["quality"].deps == ("publish",)
    assert publish.output_key == "titles/3/v1/asset.json"
    assert by_name["quality"].output_key == "titles/3/v1/quality.json"


def test_specs_list_dependencies_before_dependents() -> None:
    specs = expanded_tasks(1, 1, "v", JobPlan(renditions=["a", "b"], chunks=2))
    seen = {"probe"}
    for spec in specs:
        assert set(spec.deps) <= seen, spec.name
        seen.add(spec.name)


def test_output_keys_are_deterministic_and_distinct() -> None:
    plan = JobPlan(renditions=["240p", "360p"], chunks=3, has_audio=False)
    first = expanded_tasks(5, 2, "v9", plan)
    assert first == expanded_tasks(5, 2, "v9", plan)
    keys = [s.output_key for s in first]
    assert len(keys) == len(set(keys))
    assert not any(s.kind is TaskKind.AUDIO for s in first)


def _priority_order(specs: list[TaskSpec], kind: TaskKind) -> list[str]:
    return [s.name for s in sorted(specs, key=lambda s: s.priority) if s.kind is kind]


def test_the_preview_pass_comes_first_and_publishes_its_own_version() -> None:
    plan = JobPlan(renditions=["240p", "360p", "720p"], chunks=2, preview=["240p", "360p"])
    specs = expanded_tasks(1, 3, "v1", plan)
    by_name = {s.name: s for s in specs}
    assert by_name["split:preview:00001"].output_key == "work/1/mezzanine/preview/00001.json"
    assert by_name["encode:360p:00001"].deps == ("split:preview:00001",)
    assert by_name["encode:720p:00001"].deps == ("split:00001",)
    assert set(by_name["discard:preview:00000"].deps) == {"encode:240p:00000", "encode:360p:00000"}
    assert by_name["discard:00000"].deps == ("encode:720p:00000",)
    package, publish = by_name["package:preview"], by_name["publish:preview"]
    assert set(package.deps) == {"concat:240p", "concat:360p", "audio"}
    assert publish.deps == ("package:preview",)
    assert publish.output_key == "titles/3/v1-preview/asset.json"
    assert by_name["publish"].output_key == "titles/3/v1/asset.json"
    assert set(by_name["package"].deps) == {"concat:240p", "concat:360p", "concat:720p", "audio"}
    preview_work = [s for s in specs if s.rendition in ("preview", "240p", "360p")]
    main_split = by_name["split:00000"].priority
    assert all(s.priority < main_split for s in preview_work), "the preview pass goes first"


def test_the_main_pass_goes_chunk_by_chunk_largest_rung_first() -> None:
    plan = JobPlan(renditions=["240p", "480p", "1080p"], chunks=2)
    encodes = _priority_order(expanded_tasks(1, 1, "v", plan), TaskKind.ENCODE)
    assert encodes == [
        f"encode:{rung}:{chunk:05d}" for chunk in (0, 1) for rung in ("1080p", "480p", "240p")
    ]


def test_no_preview_without_preview_rungs() -> None:
    specs = expanded_tasks(1, 1, "v", JobPlan(renditions=["240p", "480p"], chunks=2))
    assert not [s for s in specs if s.rendition == "preview"]
    assert [s.name for s in specs if s.kind is TaskKind.PUBLISH] == ["publish"]


@pytest.mark.parametrize("preview", [["360p"], ["240p", "360p", "720p"], ["360p", "240p"]], ids=str)
def test_the_preview_must_be_the_lowest_rungs_and_not_all_of_them(preview: list[str]) -> None:
    with pytest.raises(ValidationError, match="lowest"):
        JobPlan(renditions=["240p", "360p", "720p"], chunks=1, preview=preview)
