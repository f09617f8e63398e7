"""Monitor on a moto server: drift report and plot, CloudWatch metric, data capture input, drift -> retrain."""

import json

import pytest
from conftest import FAST_HYPERPARAMETERS

from modelyard.model_code.datasets import load_demo_frame
from modelyard.pipelines.drift import drifted_frame
from modelyard.pipelines.model_registry import CHAMPION
from modelyard.pipelines.retrain import run_lifecycle
from modelyard.pipelines.steps.monitor import METRIC_NAME, monitor
from modelyard.stacks.config import PipelineConfig

DRIFTED = ["mean_radius", "mean_texture", "mean_perimeter", "mean_area"]


def test_no_drift_writes_report_plot_and_metric_without_retraining(outputs, clients, demo_dataset, tmp_path):
    current = tmp_path / "production.csv"
    load_demo_frame().to_csv(current, index=False)

    def must_not_run() -> dict:
        raise AssertionError("retrain ran without drift")

    result = monitor(outputs, clients, baseline_uri=demo_dataset["baseline_uri"], psi_threshold=0.2,
                     result_dir=tmp_path / "result", current=current, trigger_retrain=True, retrain=must_not_run)
    assert result["drift_detected"] is False and result["max_psi"] < 0.2
    assert result["retrain"] == {"triggered": False}
    report = json.loads((tmp_path / "result" / "drift_report.json").read_text())
    assert set(report["features"]) == set(load_demo_frame().columns) - {"target"}
    assert (tmp_path / "result" / "drift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = clients.cloudwatch.list_metrics(Namespace=outputs.drift_metric_namespace,
                                              MetricName=METRIC_NAME)["Metrics"]
    assert {"Name": "EndpointName", "Value": outputs.endpoint_name} in metrics[0]["Dimensions"]


def test_drift_in_captured_requests_is_detected(outputs, clients, deployed, demo_dataset, tmp_path):
    production = drifted_frame(load_demo_frame(), features=DRIFTED, shift_in_std=2.0).head(150)
    rows = production.drop(columns=["target"]).to_numpy().tolist()
    for start in range(0, len(rows), 50):
        clients.sagemaker_runtime.invoke_endpoint(EndpointName=outputs.endpoint_name, ContentType="application/json",
                                                  Body=json.dumps({"instances": rows[start:start + 50]}))
    result = monitor(outputs, clients, baseline_uri=demo_dataset["baseline_uri"], psi_threshold=0.2,
                     result_dir=tmp_path)
    assert "(data capture)" in result["current"]
    assert result["rows"] == 150 + deployed["smoke"]["rows"]
    assert result["drift_detected"] is True
    assert set(DRIFTED) <= set(result["drifted_features"])


def test_drift_triggers_the_gated_retrain_and_a_new_champion_is_deployed(outputs, clients, registry, deployed,
                                                                         demo_dataset, tmp_path):
    labelled = tmp_path / "drifted.csv"
    drifted_frame(load_demo_frame(), features=DRIFTED, shift_in_std=2.0).to_csv(labelled, index=False)
    pipeline = PipelineConfig(min_accuracy=0.9, min_auc=0.9, max_regression=0.01, drift_psi_threshold=0.2)

    def retrain() -> dict:
        return run_lifecycle(outputs, clients, pipeline, source=labelled, hyperparameters=FAST_HYPERPARAMETERS,
                             data_capture_percent=0, registry=registry)

    result = monitor(outputs, clients, baseline_uri=demo_dataset["baseline_uri"], psi_threshold=0.2,
                     result_dir=tmp_path / "result", current=labelled, trigger_retrain=True, retrain=retrain)
    assert result["drift_detected"] is True
    retrained = result["retrain"]
    assert retrained["triggered"] is True and retrained["succeeded"] is True
    steps = retrained["result"]
    assert steps["ingest"]["data_version"] != demo_dataset["data_version"]
    assert steps["evaluate"]["passed"] and steps["evaluate"]["champion_version"] == deployed["champion_version"]
    assert registry.version_by_alias(CHAMPION).version == steps["register"]["model_version"] != \
        deployed["champion_version"]
    endpoint = clients.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
    assert endpoint["EndpointConfigName"] == steps["deploy"]["endpoint_config_name"] != \
        deployed["endpoint_config_name"]


def test_too_few_rows_is_an_input_error(outputs, clients, demo_dataset, tmp_path):
    from modelyard.pipelines.steps.step_runtime import StepInputError

    current = tmp_path / "few.csv"
    load_demo_frame().head(10).to_csv(current, index=False)
    with pytest.raises(StepInputError, match="holds 10 rows; drift needs at least 50"):
        monitor(outputs, clients, baseline_uri=demo_dataset["baseline_uri"], psi_threshold=0.2, result_dir=tmp_path,
                current=current)
