"""The plan's Kubernetes resources as YAML manifests (one file each) and its Helm releases as a list."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from checkov_runner import checkov

from modelyard.planning.engine import DEFAULT_PROGRAM_DIR, plan_program
from modelyard.planning.k8s_manifests import HELM_RELEASES_FILE, write_k8s_manifests
from modelyard.policies.checkov_skips import load_skips


@pytest.fixture(scope="module")
def prod_plan():
    return plan_program(DEFAULT_PROGRAM_DIR, "prod")


def test_one_manifest_per_kubernetes_object_as_the_api_server_takes_it(prod_plan, tmp_path):
    export = write_k8s_manifests(prod_plan, tmp_path)
    documents = {path.name: yaml.safe_load(path.read_text()) for path in export.manifests}
    objects = [
        r
        for r in prod_plan.resources
        if r.custom and r.type.startswith("kubernetes:") and not r.type.startswith("kubernetes:helm.sh/")
    ]
    assert len(documents) == len(objects)
    plugin = documents["daemonset-kube-system-nvidia-device-plugin.yaml"]
    assert (plugin["apiVersion"], plugin["kind"]) == ("apps/v1", "DaemonSet")
    assert list(plugin)[:3] == ["apiVersion", "kind", "metadata"]
    namespace = documents["namespace-training.yaml"]
    assert (namespace["apiVersion"], namespace["kind"]) == ("v1", "Namespace")
    policy = documents["networkpolicy-kube-system-dcgm-exporter.yaml"]
    assert policy["apiVersion"] == "networking.k8s.io/v1"
    # Numbers cross the Pulumi wire as floats; the manifest has Kubernetes' integers.
    exporter = documents["daemonset-kube-system-dcgm-exporter.yaml"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert exporter["ports"][0]["containerPort"] == 9400 and isinstance(
        exporter["ports"][0]["containerPort"], int
    )


def test_helm_releases_are_listed_with_chart_version_and_values(prod_plan, tmp_path):
    export = write_k8s_manifests(prod_plan, tmp_path)
    assert export.helm_releases == 1
    (release,) = yaml.safe_load((tmp_path / HELM_RELEASES_FILE).read_text())["releases"]
    assert release["chart"] == "oci://ghcr.io/kubeflow/charts/kubeflow-trainer"
    assert release["version"] and release["namespace"] == "kubeflow-system"
    assert release["values"]["runtimes"]["torchDistributed"]["enabled"] is True


def test_a_program_without_kubernetes_writes_no_manifest(tmp_path):
    examples = Path(__file__).resolve().parents[3] / "examples" / "insecure_program"
    export = write_k8s_manifests(plan_program(examples, "dev"), tmp_path / "k8s")
    assert export.manifests == [] and export.helm_releases == 0 and export.kubernetes_resources == 0


@pytest.mark.slow
def test_checkov_reads_the_manifests_and_fails_only_listed_skips(prod_plan, tmp_path):
    export = write_k8s_manifests(prod_plan, tmp_path)
    run = checkov("kubernetes", tmp_path)
    skips = load_skips()
    assert run.parsing_errors == 0 and run.resource_count >= len(export.manifests)
    assert {check.check_id for check in run.failed} <= set(skips), [
        c for c in run.failed if c.check_id not in skips
    ]
    # The DaemonSet hardening checkov asks for (issue 14 item 8) holds.
    assert not {"CKV_K8S_43", "CKV_K8S_38", "CKV_K8S_31"} & {check.check_id for check in run.failed}
