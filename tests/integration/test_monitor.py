"""Monitor on a moto server: drift report and plot, CloudWatch metrics, data capture input, drift -> retrain through
the compiled pipeline definition."""

import json

import pytest
from conftest import FAST_HYPERPARAMETERS

from modelyard.model_code.datasets import load_demo_frame
from modelyard.pipelines import s3_objects
from modelyard.pipelines.definition.local_executor import NOT_EXECUTED, SUCCEEDED
from modelyard.pipelines.drift import drifted_frame
from modelyard.pipelines.model_registry import CHAMPION
from modelyard.pipelines.retrain import retrain_with_pipeline
from modelyard.pipelines.steps.monitor import DRIFTED_FEATURES_METRIC, METRIC_NAME, monitor
from modelyard.stacks.config import load_stack_config
from modelyard.stacks.pipeline_settings import pipeline_settings

DRIFTED = ["mean_radius", "mean_texture", "mean_perimeter", "mean_area"]


def test_no_drift_writes_report_plot_and_metric_without_retraining(outputs, clients, demo_dataset, tmp_path):
    def must_not_run() -> dict:
        raise AssertionError("retrain ran without drift")

    # The held-out test split: undrifted, but small enough (86 rows) that PSI alone crosses 0.2 by chance.
    result = monitor(
        outputs,
        clients,
        baseline_uri=demo_dataset["baseline_uri"],
        psi_threshold=0.2,
        result_dir=tmp_path / "result",
        current=demo_dataset["test_uri"],
        trigger_retrain=True,
        retrain=must_not_run,
    )
    assert result["drift_detected"] is False and result["drifted_features"] == []
    assert result["retrain"] == {"triggered": False}
    report = json.loads((tmp_path / "result" / "drift_report.json").read_text())
    assert set(report["features"]) == set(load_demo_frame().columns) - {"target"}
    assert all({"psi", "ks_pvalue"} <= set(item) for item in report["features"].values())
    assert (tmp_path / "result" / "drift.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in (METRIC_NAME, DRIFTED_FEATURES_METRIC):
        metrics = clients.cloudwatch.list_metrics(Namespace=outputs.drift_metric_namespace, MetricName=name)[
            "Metrics"
        ]
        assert {"Name": "EndpointName", "Value": outputs.endpoint_name} in metrics[0]["Dimensions"]


def test_drift_in_captured_requests_is_detected(outputs, clients, deployed, demo_dataset, tmp_path):
    production = drifted_frame(load_demo_frame(), features=DRIFTED, shift_in_std=2.0).head(150)
    rows = production.drop(columns=["target"]).to_numpy().tolist()
    for start in range(0, len(rows), 50):
        clients.sagemaker_runtime.invoke_endpoint(
            EndpointName=outputs.endpoint_name,
            ContentType="application/json",
            Body=json.dumps({"instances": rows[start : start + 50]}),
        )
    result = monitor(
        outputs, clients, baseline_uri=demo_dataset["baseline_uri"], psi_threshold=0.2, result_dir=tmp_path
    )
    assert "(data capture)" in result["current"]
    assert result["rows"] == 150 + deployed["smoke"]["rows"]
    assert result["drift_detected"] is True
    assert set(DRIFTED) <= set(result["drifted_features"])


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_drift_triggers_a_retrain_that_executes_the_compiled_definition(
    outputs, clients, registry, deployed, demo_dataset, step_environment, tmp_path
):
    labelled = tmp_path / "drifted.csv"
    drifted_frame(load_demo_frame(), features=DRIFTED, shift_in_std=2.0).to_csv(labelled, index=False)
    landed = s3_objects.upload_file(
        clients,
        labelled,
        f"s3://{outputs.data_bucket}/landing/{outputs.pipeline_name}/drifted.csv",
        outputs.data_key_arn,
    )
    settings = pipeline_settings(
        load_stack_config("dev"),
        outputs,
        hyperparameters={key: str(value) for key, value in FAST_HYPERPARAMETERS.items()},
    )

    def retrain() -> dict:
        return retrain_with_pipeline(
            outputs,
            clients,
            settings,
            parameters={"InputDataUri": landed},
            work_dir=tmp_path / "runs",
            environment=step_environment,
        )

    result = monitor(
        outputs,
        clients,
        baseline_uri=demo_dataset["baseline_uri"],
        psi_threshold=0.2,
        result_dir=tmp_path / "result",
        current=landed,
        trigger_retrain=True,
        retrain=retrain,
    )
    assert result["drift_detected"] is True
    retrained = result["retrain"]
    assert retrained["triggered"] is True and retrained["succeeded"] is True
    execution = retrained["result"]
    assert execution["executor"] == "local" and execution["status"] == SUCCEEDED
    assert execution["parameters"]["InputDataUri"] == landed
    assert [(step["name"], step["status"]) for step in execution["steps"]] == [
        ("IngestData", SUCCEEDED),
        ("TrainModel", SUCCEEDED),
        ("EvaluateModel", SUCCEEDED),
        ("CheckEvaluation", SUCCEEDED),
        ("RegisterModel", SUCCEEDED),
        ("DeployModel", SUCCEEDED),
        ("MonitorDrift", SUCCEEDED),
        ("EvaluationGateFailed", NOT_EXECUTED),
    ]
    steps = {step["name"]: step["outputs"] for step in execution["steps"]}
    ingested = steps["IngestData"]["IngestReport"]
    assert (
        ingested["validation"]["source"] == landed
        and ingested["data_version"] != demo_dataset["data_version"]
    )
    evaluation = steps["EvaluateModel"]["EvaluationReport"]
    assert evaluation["passed"] and evaluation["champion_version"] == deployed["champion_version"]
    new_version = steps["RegisterModel"]["RegistrationReport"]["model_version"]
    assert registry.version_by_alias(CHAMPION).version == new_version != deployed["champion_version"]
    endpoint = clients.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
    assert (
        endpoint["EndpointConfigName"]
        == steps["DeployModel"]["endpoint_config_name"]
        != deployed["endpoint_config_name"]
    )
    # The retrained model's own monitor compares its test split with its own baseline: no drift.
    assert steps["MonitorDrift"]["DriftReport"]["drift_detected"] is False
    recorded = clients.sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution["execution_arn"])
    assert recorded["PipelineArn"] == execution["pipeline_arn"]


def test_too_few_rows_is_an_input_error(outputs, clients, demo_dataset, tmp_path):
    from modelyard.pipelines.steps.step_runtime import StepInputError

    current = tmp_path / "few.csv"
    load_demo_frame().head(10).to_csv(current, index=False)
    with pytest.raises(StepInputError, match="holds 10 rows; drift needs at least 50"):
        monitor(
            outputs,
            clients,
            baseline_uri=demo_dataset["baseline_uri"],
            psi_threshold=0.2,
            result_dir=tmp_path,
            current=current,
        )
