"""`modelyard train --on eks`: the Kubeflow Trainer v2 TrainJob, built from the kubeflow-trainer-api models."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import typer
import yaml
from kubeflow_trainer_api.models import TrainerV1alpha1TrainJob
from typer.testing import CliRunner

from modelyard.cli.train import train
from modelyard.pipelines.eks_trainjob import TrainJobError, build_trainjob, submit_trainjob
from modelyard.pipelines.stack_outputs import outputs_from_file

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "stack-outputs-dev.json"


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(train)
    return app


def dry_run(*arguments: str):
    return CliRunner().invoke(
        cli(),
        [
            "--on",
            "eks",
            "--stack",
            "dev",
            "--outputs-file",
            str(FIXTURE),
            "--data-version",
            "3f2a9c1d0b7e4f55",
            "--dry-run",
            *arguments,
        ],
    )


def test_dry_run_prints_a_trainjob_that_round_trips_through_the_api_models():
    outputs = outputs_from_file(FIXTURE)
    result = dry_run(
        "--nodes",
        "3",
        "--gpus-per-node",
        "4",
        "--job-name",
        "ddp-breast-cancer",
        "--hyperparameter",
        "epochs=20",
        "--image-tag",
        "1.4.0",
    )
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.output)

    trainjob = TrainerV1alpha1TrainJob.from_dict(document)
    assert trainjob.to_dict() == document
    assert (trainjob.api_version, trainjob.kind) == ("trainer.kubeflow.org/v1alpha1", "TrainJob")
    assert (trainjob.metadata.name, trainjob.metadata.namespace) == (
        "ddp-breast-cancer",
        outputs.training_namespace,
    )
    assert trainjob.spec.runtime_ref.name == "torch-distributed"
    trainer = trainjob.spec.trainer
    assert trainer.num_nodes == 3
    assert trainer.resources_per_node.limits["nvidia.com/gpu"].actual_instance == "4"
    assert trainer.image == f"{outputs.training_repository_url}:1.4.0"
    assert trainer.command[trainer.command.index("--") + 1 :] == [
        "torchrun",
        "--module",
        "modelyard.model_code.training.train_torch",
    ]
    assert f"train=s3://{outputs.data_bucket}/datasets/3f2a9c1d0b7e4f55/train.csv" in trainer.command
    assert json.loads(trainer.command[trainer.command.index("--hyperparameters") + 1]) == {"epochs": "20"}
    [patch] = trainjob.spec.runtime_patches
    [node] = patch.training_runtime_spec.template.spec.replicated_jobs
    assert node.name == "node"
    pod = node.template.spec.template.spec
    assert pod.service_account_name == outputs.training_service_account
    [toleration] = pod.tolerations
    assert (toleration.key, toleration.operator, toleration.value, toleration.effect) == (
        "nvidia.com/gpu",
        "Equal",
        "true",
        "NoSchedule",
    )


def test_defaults_are_one_node_with_one_gpu():
    result = dry_run()
    assert result.exit_code == 0, result.output
    trainer = yaml.safe_load(result.output)["spec"]["trainer"]
    assert trainer["numNodes"] == 1
    assert trainer["resourcesPerNode"]["limits"] == {"nvidia.com/gpu": "1"}


def test_bad_arguments_are_named_and_nothing_is_printed():
    result = dry_run("--job-name", "Not_A_DNS_Label")
    assert result.exit_code == 2
    assert "job name 'Not_A_DNS_Label' must be a DNS label" in result.output
    assert "apiVersion" not in result.output
    assert dry_run("--framework", "sklearn").exit_code == 2
    with pytest.raises(TrainJobError, match="nodes=0 must be at least 1; data version '' must be"):
        build_trainjob(outputs_from_file(FIXTURE), job_name="ok", data_version="", nodes=0, image_tag="1")


def test_submit_creates_the_trainjob_through_the_kubernetes_api(tmp_path):
    pytest.importorskip("kubernetes")
    received = {}

    class FakeApiServer(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            received["path"] = self.path
            received["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received["authorization"] = self.headers.get("Authorization")
            answer = json.dumps(
                {**received["body"], "metadata": {**received["body"]["metadata"], "uid": "1"}}
            )
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), FakeApiServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        kubeconfig = json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "test",
                "clusters": [
                    {"name": "test", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}
                ],
                "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
                "users": [{"name": "test", "user": {"token": "secret-token"}}],
            }
        )
        outputs = outputs_from_file(FIXTURE)
        trainjob = build_trainjob(outputs, job_name="ddp-1", data_version="v1", nodes=2, image_tag="1.0.0")
        created = submit_trainjob(trainjob, kubeconfig)
    finally:
        server.shutdown()
    assert (
        received["path"]
        == f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{outputs.training_namespace}/trainjobs"
    )
    assert received["body"] == trainjob.to_dict()
    assert received["authorization"] == "Bearer secret-token"
    assert created["metadata"]["uid"] == "1"


def test_submit_rejects_a_kubeconfig_without_clusters():
    pytest.importorskip("kubernetes")
    trainjob = build_trainjob(
        outputs_from_file(FIXTURE), job_name="x", data_version="v", nodes=1, image_tag="1"
    )
    with pytest.raises(TrainJobError, match="no clusters"):
        submit_trainjob(trainjob, "{}")
