"""`pipeline <step> --stack S` with the local cloud running and none of its exports applied goes to the local cloud."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from modelyard.pipelines import s3_objects
from modelyard.pipelines.aws_clients import ENDPOINT_VARIABLES
from modelyard.pipelines.definition import target
from modelyard.pipelines.local_cloud import lifecycle
from modelyard.pipelines.steps.commands import step_app


def test_step_with_only_the_stack_name_runs_on_the_running_local_cloud(
    shared_outputs, clients, cloud_endpoint, tracking_uri, tmp_path, monkeypatch
):
    for name in (*ENDPOINT_VARIABLES, "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(shared_outputs.model_dump_json())
    state = lifecycle.LocalCloudState(
        stack="dev",
        pid=os.getpid(),
        endpoint_url=cloud_endpoint,
        region=shared_outputs.region,
        mlflow_tracking_uri=tracking_uri,
        mlflow_artifact_root=(tmp_path / "artifacts").as_uri(),
        outputs_file=str(outputs_file),
        log_file=str(tmp_path / "server.log"),
        started_at="2026-12-06T00:00:00+00:00",
    )

    def running(stack, root=lifecycle.LOCAL_CLOUD_ROOT):
        return lifecycle.LocalCloudStatus(stack == "dev", state, "running")

    # Both places that ask: the step's guard (lifecycle.status) and the target resolver, which imported it by name.
    monkeypatch.setattr(lifecycle, "status", running)
    monkeypatch.setattr(target, "status", running)

    result = CliRunner().invoke(
        step_app, ["ingest", "--stack", "dev", "--result-dir", str(tmp_path / "ingest")]
    )

    assert result.exit_code == 0, result.output
    recorded = json.loads((tmp_path / "ingest" / "result.json").read_text())
    assert recorded["train_uri"].startswith(f"s3://{shared_outputs.data_bucket}/")
    assert s3_objects.exists(clients, recorded["train_uri"])
    # The local cloud's variables held for the step only.
    assert not any(os.environ.get(name) for name in (*ENDPOINT_VARIABLES, "MLFLOW_TRACKING_URI"))
