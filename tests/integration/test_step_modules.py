"""The step entry points as a pipeline executor runs them: `python -m ...` with the endpoint in the environment."""

import json
import subprocess
import sys

from modelyard.stacks.config import load_stack_config


def run_step(step: str, environment: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", f"modelyard.pipelines.steps.{step}", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_failed_gate_exits_non_zero_and_register_then_refuses(
    outputs, demo_dataset, demo_model, tmp_path, step_environment, registry
):
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(outputs.model_dump_json())
    common = ["--outputs-file", str(outputs_file)]
    evaluated = run_step(
        "evaluate",
        step_environment,
        *common,
        "--result-dir",
        str(tmp_path / "evaluate"),
        "--model-uri",
        demo_model["model_uri"],
        "--test-uri",
        demo_dataset["test_uri"],
        "--min-accuracy",
        "0.999",
    )
    assert evaluated.returncode == 1
    assert "the evaluation gate failed: accuracy" in evaluated.stderr
    result = json.loads((tmp_path / "evaluate" / "result.json").read_text())
    assert result["passed"] is False and result["champion_metrics"] is None and result["reasons"]
    # thresholds not given on the command line come from the dev stack's config
    configured = load_stack_config("dev").pipeline
    assert result["thresholds"] == {
        "min_accuracy": 0.999,
        "min_auc": configured.min_auc,
        "max_regression": configured.max_regression,
    }

    registered = run_step(
        "register",
        step_environment,
        *common,
        "--result-dir",
        str(tmp_path / "register"),
        "--evaluation-file",
        str(tmp_path / "evaluate" / "result.json"),
    )
    assert registered.returncode == 1 and "nothing was registered" in registered.stderr
    assert registry.client.search_model_versions(f"name = '{registry.model_name}'") == []


def test_bad_outputs_file_is_a_usage_error(tmp_path, step_environment):
    bad = tmp_path / "outputs.json"
    bad.write_text(json.dumps({"environment": "dev", "region": "us-east-1"}))
    completed = run_step(
        "ingest", step_environment, "--outputs-file", str(bad), "--result-dir", str(tmp_path)
    )
    assert completed.returncode == 2
    assert (
        "does not satisfy the StackOutputs contract" in completed.stderr and "data_bucket" in completed.stderr
    )
