"""The deployment files, tested without a container engine or a cluster (there is none here):
the Kubernetes manifests are what their generator writes and validate against Kubernetes'
schemas; compose.yaml parses and runs only real `vodstack` commands; the image's entry point
runs, for each role, the command `vodstack up` runs for that process."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr

from vodstack.cli.main import app as cli
from vodstack.config.settings import DEFAULT_PORTS, SCALABLE_SERVICES, Settings, load_settings
from vodstack.supervisor.process import ManagedProcess
from vodstack.supervisor.production import DATABASE_SERVICES, requirements
from vodstack.supervisor.registry import ServiceSpec, platform_services

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BASE = DEPLOY / "kubernetes" / "base"
K8S_VERSION = "1.31.0"  # oldest Kubernetes still supported upstream when this was written


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "k8s_generate", DEPLOY / "kubernetes" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _objects() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    objects: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        objects += [doc for doc in yaml.safe_load_all((BASE / name).read_text()) if doc]
    return objects


def _of(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in _objects() if o["kind"] == kind}


def entrypoint(*args: str, hostname: str = "host") -> list[str]:
    """The command the image's entry point runs for `args` (it only prints it here)."""
    env = {**os.environ, "VODSTACK_ENTRYPOINT_DRY_RUN": "1", "HOSTNAME": hostname}
    result = subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.split()


def _commands() -> set[str]:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in cli.registered_commands}
    return names | {g.name for g in cli.registered_groups if g.name}


def _with_secrets(settings: Settings) -> Settings:
    return settings.model_copy(update={"secret_key": SecretStr("k" * 40)})


def test_the_committed_manifests_are_the_generators_output() -> None:
    rendered = _generator().render()
    committed = {path.name: path.read_text() for path in BASE.glob("*.yaml")}
    assert committed == rendered, "run .venv/bin/python deploy/kubernetes/generate.py"


def test_every_manifest_validates_against_the_kubernetes_schemas() -> None:
    objects = _objects()
    assert len(objects) > 40
    for obj in objects:
        # strict: an unknown or misspelt field is an error, not silently dropped.
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_each_service_has_a_deployment_a_service_and_health_probes() -> None:
    deployments, services = _of("Deployment"), _of("Service")
    for name, port in DEFAULT_PORTS.items():
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [name]
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/healthz", "port": port}
        service = services[name]["spec"]
        assert service["selector"] == deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["ports"][0]["port"] == port


def test_autoscalers_and_disruption_budgets_point_at_real_workloads() -> None:
    workloads = {**_of("Deployment"), **_of("StatefulSet")}
    hpas = _of("HorizontalPodAutoscaler")
    assert set(SCALABLE_SERVICES) <= set(hpas)
    for hpa in hpas.values():
        target = hpa["spec"]["scaleTargetRef"]
        assert workloads[target["name"]]["kind"] == target["kind"]
    labels = [w["spec"]["template"]["metadata"]["labels"] for w in workloads.values()]
    budgets = _of("PodDisruptionBudget")
    assert set(budgets) == set(workloads)
    for pdb in budgets.values():
        assert pdb["spec"]["selector"]["matchLabels"] in labels


def test_edges_are_statefulsets_with_a_cache_volume_each_under_a_headless_service() -> None:
    statefulsets, services = _of("StatefulSet"), _of("Service")
    assert set(statefulsets) == {"edge-eu", "edge-us"}
    for name, statefulset in statefulsets.items():
        spec = statefulset["spec"]
        assert spec["serviceName"] == name
        assert services[name]["spec"]["clusterIP"] == "None"
        assert [t["metadata"]["name"] for t in spec["volumeClaimTemplates"]] == ["data"]
        (container,) = spec["template"]["spec"]["containers"]
        assert container["args"] == ["edge"]
        assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]


def test_settings_come_from_the_configmap_and_the_secret_the_pods_reference() -> None:
    configmaps, secrets = _of("ConfigMap"), _of("Secret")
    for workload in [*_of("Deployment").values(), *_of("StatefulSet").values()]:
        pod = workload["spec"]["template"]["spec"]
        for volume in pod["volumes"]:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps
        for source in pod["containers"][0]["envFrom"]:
            assert source["secretRef"]["name"] in secrets


def test_the_cluster_config_is_a_complete_production_profile(tmp_path: Path) -> None:
    toml = _of("ConfigMap")["vodstack-config"]["data"]["vodstack.toml"]
    (tmp_path / "vodstack.toml").write_text(toml)
    settings = _with_secrets(load_settings(tmp_path / "vodstack.toml", data_dir=tmp_path))
    # The database URLs (with their passwords) come from the Secret, as VODSTACK_DATABASE_URLS.
    secret = _of("Secret")["vodstack-secrets"]["stringData"]
    history = settings.history.model_copy(
        update={"shard_url_template": secret["VODSTACK_HISTORY__SHARD_URL_TEMPLATE"]}
    )
    settings = settings.model_copy(
        update={
            "database_urls": yaml.safe_load(secret["VODSTACK_DATABASE_URLS"]),
            "history": history,
        }
    )
    assert requirements(settings) == []
    # Every process `vodstack up` would run is a pod role: services by name, edges by pod.
    roles = set(DEFAULT_PORTS)
    # ... the pipeline's worker pool by its role, on the port its pod names.
    (pool,) = _of("Deployment")["pipeline-workers"]["spec"]["template"]["spec"]["containers"]
    assert pool["args"] == ["pipeline-workers", "--port", str(pool["ports"][0]["containerPort"])]
    roles.add(pool["args"][0])
    for name, statefulset in _of("StatefulSet").items():
        for ordinal in range(statefulset["spec"]["replicas"]):
            (served,) = entrypoint("edge", hostname=f"{name}-{ordinal}")[2:]
            roles.add(served)
            # ... and is reached at its pod's stable name under the headless Service.
            assert settings.service_url(served).startswith(f"http://{name}-{ordinal}.{name}:")
    assert {spec.name for spec in platform_services(settings)} == roles


def test_compose_runs_every_service_and_only_real_vodstack_commands(tmp_path: Path) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    settings = _with_secrets(load_settings(DEPLOY / "compose" / "vodstack.toml", data_dir=tmp_path))
    commands = _commands()
    served: set[str] = set()
    runs: dict[str, list[str]] = {}
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("${VODSTACK_IMAGE"):
            runs[name] = entrypoint(*service["command"])
    for name, argv in runs.items():
        assert argv[0] == "vodstack"
        if argv[1] == "serve":
            served.add(argv[2])
            assert settings.service_host(argv[2]) == name  # reached by its compose name
        elif argv[1] != "worker":
            assert argv[1] in commands, f"{name}: {argv}"
    assert served == {spec.name for spec in platform_services(settings)}
    assert "serve" in commands
    assert {"postgres", "redis", "seaweedfs", "rabbitmq"} <= set(compose["services"])
    assert runs["worker"][:2] == ["vodstack", "worker"]
    assert requirements(settings) == []
    # The environment overrides the file's URLs (adding passwords): it must name every database.
    environment = compose["x-vodstack"]["environment"]
    assert set(json.loads(environment["VODSTACK_DATABASE_URLS"])) == set(DATABASE_SERVICES)
    assert "{generation}" in environment["VODSTACK_HISTORY__SHARD_URL_TEMPLATE"]
    if "worker" not in commands:
        pytest.xfail("`vodstack worker` comes with the Celery executor (branch i-celery)")


def _supervised_command(spec: ServiceSpec, tmp_path: Path, monkeypatch: Any) -> list[str]:
    """The command line `vodstack up`'s supervisor starts for `spec` (Popen intercepted)."""
    started: list[list[str]] = []

    class Intercepted:
        pid = 0

        def __init__(self, command: list[str], **_: Any) -> None:
            started.append(command)

    # The subprocess module itself (the supervisor's): patched for this start only.
    with monkeypatch.context() as patched:
        patched.setattr(subprocess, "Popen", Intercepted)
        ManagedProcess(spec, spec.port, tmp_path / "settings.json", tmp_path).start()
    return started[0]


def test_the_entry_point_runs_what_the_local_supervisor_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With every optional process on (the DNS steering server).
    local = load_settings(data_dir=tmp_path, cdn={"dns": {"port": 5353}})
    assert "dns" in {spec.name for spec in platform_services(local)}
    for spec in platform_services(local):
        supervised = _supervised_command(spec, tmp_path, monkeypatch)
        # The supervisor's child is `python -m vodstack serve NAME` plus where this run keeps
        # its settings and port; in a container those come from the environment and config.
        assert supervised[1:2] == ["-m"]
        assert supervised[2:5] == entrypoint(spec.name) == ["vodstack", "serve", spec.name]
    assert entrypoint("status", "--json") == ["vodstack", "status", "--json"]
    assert entrypoint("worker") == ["vodstack", "worker", "--scratch", "/scratch"]


def test_the_entry_point_refuses_an_edge_pod_without_an_ordinal() -> None:
    env = {**os.environ, "VODSTACK_ENTRYPOINT_DRY_RUN": "1", "HOSTNAME": "edge-eu-x"}
    result = subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), "edge"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 64
    assert "does not end in an ordinal" in result.stderr
