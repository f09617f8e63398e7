"""Ingest on a moto server: versioned upload, idempotent re-run, a validation report that stops the run."""

import json
import subprocess
import sys

import numpy as np
import pytest

from modelyard.model_code.datasets import load_demo_frame
from modelyard.pipelines import s3_objects
from modelyard.pipelines.steps.ingest import ingest
from modelyard.pipelines.steps.step_runtime import StepFailed


def test_ingest_uploads_versioned_splits_and_baseline(outputs, clients, demo_dataset):
    version = demo_dataset["data_version"]
    assert demo_dataset["train_uri"] == f"s3://{outputs.data_bucket}/datasets/{version}/train.csv"
    manifest = s3_objects.get_json(clients, demo_dataset["manifest_uri"])
    assert manifest["recipe"]["seed"] == 0
    assert sum(manifest["rows"].values()) == len(load_demo_frame())
    baseline = s3_objects.get_json(clients, demo_dataset["baseline_uri"])
    assert len(baseline["features"]) == 30
    assert baseline["reference_uri"] == demo_dataset["train_uri"]
    head = clients.s3.head_object(Bucket=outputs.data_bucket, Key=f"datasets/{version}/test.csv")
    assert head["ServerSideEncryption"] == "aws:kms"


def test_rerun_is_idempotent_and_a_new_seed_is_a_new_version(outputs, clients, demo_dataset):
    again = ingest(outputs, clients)
    assert again["data_version"] == demo_dataset["data_version"]
    assert again["uploaded"] is False
    versions = clients.s3.list_object_versions(
        Bucket=outputs.data_bucket, Prefix=f"datasets/{again['data_version']}/train.csv"
    )["Versions"]
    assert len(versions) == 1
    assert ingest(outputs, clients, seed=7)["data_version"] != again["data_version"]


def test_failed_validation_lists_every_problem_and_uploads_nothing(outputs, clients, tmp_path):
    frame = load_demo_frame()
    frame.loc[:4, "mean_radius"] = np.nan
    frame.loc[0, "worst_area"] = np.inf
    frame["mean_texture"] = frame["mean_texture"].astype(str) + "mm"
    frame.loc[1, "mean_area"] = -5.0
    source = tmp_path / "bad.csv"
    frame.to_csv(source, index=False)
    before = s3_objects.list_keys(clients, outputs.data_bucket, "datasets/")
    with pytest.raises(StepFailed) as failure:
        ingest(
            outputs,
            clients,
            source=source,
            result_dir=tmp_path / "result",
            expectations={"columns": {"mean_area": {"min": 0}}},
        )
    report = json.loads((tmp_path / "result" / "validation_report.json").read_text())
    assert report["passed"] is False
    assert report["failures"] == failure.value.result["validation"]["failures"]
    text = "\n".join(report["failures"])
    assert "column 'mean_radius' has 5 of 569 missing" in text
    assert "feature 'worst_area' has 1 infinite value(s)" in text
    assert "feature 'mean_texture' is not numeric" in text
    assert "feature 'mean_area' has 1 value(s) below the expected minimum 0" in text
    assert s3_objects.list_keys(clients, outputs.data_bucket, "datasets/") == before


def test_module_entry_point_writes_result_and_exits_non_zero_on_bad_data(outputs, tmp_path, step_environment):
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(outputs.model_dump_json())
    source = tmp_path / "tiny.csv"
    load_demo_frame().head(20).to_csv(source, index=False)
    command = [
        sys.executable,
        "-m",
        "modelyard.pipelines.steps.ingest",
        "--outputs-file",
        str(outputs_file),
        "--result-dir",
        str(tmp_path / "bad"),
        "--source",
        str(source),
    ]
    failed = subprocess.run(command, env=step_environment, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert "data validation failed" in failed.stderr
    result = json.loads((tmp_path / "bad" / "result.json").read_text())
    assert (
        result["status"] == "failed" and "rows: 20 rows, need at least 50" in result["validation"]["failures"]
    )

    passing = [*command[:5], "--result-dir", str(tmp_path / "ok")]
    ok = subprocess.run(passing, env=step_environment, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    result = json.loads((tmp_path / "ok" / "result.json").read_text())
    assert result["status"] == "succeeded" and result["step"] == "ingest"
    assert result["train_uri"].startswith(f"s3://{outputs.data_bucket}/datasets/")


def test_an_s3_prefix_of_parquet_and_csv_files_is_ingested_like_the_same_local_data(
    outputs, clients, tmp_path, demo_dataset
):
    frame = load_demo_frame()
    prefix = f"s3://{outputs.data_bucket}/landing/{outputs.pipeline_name}/"
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    frame.iloc[:300].to_parquet(first, index=False)
    frame.iloc[300:].to_parquet(second, index=False)
    for path in (first, second):
        s3_objects.upload_file(clients, path, prefix + path.name, outputs.data_key_arn)

    landed = ingest(outputs, clients, source=prefix)
    # The same rows as the bundled set, so the same content-addressed version.
    assert landed["data_version"] == demo_dataset["data_version"]
    assert landed["validation"]["source"] == prefix


def test_an_s3_source_with_nothing_under_it_is_an_input_error(outputs, clients):
    from modelyard.pipelines.dataset_source import DatasetSourceError

    missing = f"s3://{outputs.data_bucket}/landing/nothing-here/"
    with pytest.raises(DatasetSourceError, match=f"--source {missing}: no objects under that S3 URI"):
        ingest(outputs, clients, source=missing)
