from __future__ import annotations

from vodstack.pipeline.jobs.dag import JobPlan, expanded_tasks, initial_tasks
from vodstack.pipeline.jobs.states import TaskKind


def test_a_job_starts_with_probe_then_analyze() -> None:
    probe, analyze = initial_tasks(7)
    assert (probe.kind, analyze.kind) == (TaskKind.PROBE, TaskKind.ANALYZE)
    assert analyze.deps == (probe.name,)
    assert probe.output_key == "work/7/probe.json"


def test_analysis_expands_into_chunks_times_renditions() -> None:
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
    assert set(publish.deps) == {"package", "thumbs", "quality"}
    assert by_name["quality"].deps == ("package",)
    assert publish.output_key == "titles/3/v1/asset.json"


def test_specs_list_dependencies_before_dependents() -> None:
    specs = expanded_tasks(1, 1, "v", JobPlan(renditions=["a", "b"], chunks=2))
    seen = {"analyze"}
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


def test_lower_renditions_have_priority() -> None:
    specs = expanded_tasks(1, 1, "v", JobPlan(renditions=["240p", "480p", "1080p"], chunks=2))
    encode_priority = {s.rendition: s.priority for s in specs if s.kind is TaskKind.ENCODE}
    assert encode_priority["240p"] < encode_priority["480p"] < encode_priority["1080p"]
    concat_240 = next(s for s in specs if s.name == "concat:240p")
    assert concat_240.priority < encode_priority["480p"]
