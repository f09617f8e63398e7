"""Step 1, ingest: load, validate, split with a recorded seed, version by content hash, upload to the data bucket."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from modelyard.catalog.outputs import StackOutputs
from modelyard.model_code.datasets import TARGET_COLUMN, split_frame
from modelyard.pipelines import s3_objects
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.data_validation import validate_frame
from modelyard.pipelines.dataset_source import describe_source, read_dataset
from modelyard.pipelines.drift import baseline_statistics
from modelyard.pipelines.steps.step_runtime import StepFailed, run_module

SPLITS = ("train", "validation", "test")
VALIDATION_REPORT = "validation_report.json"


def dataset_prefix(outputs: StackOutputs, data_version: str) -> str:
    return f"s3://{outputs.data_bucket}/datasets/{data_version}/"


def ingest(
    outputs: StackOutputs,
    clients: AwsClients,
    *,
    source: str | Path | None = None,
    expectations: dict[str, Any] | None = None,
    seed: int = 0,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    result_dir: Path | None = None,
) -> dict[str, Any]:
    """Upload s3://<data_bucket>/datasets/<version>/{train,validation,test}.csv, baseline.json, manifest.json.

    `source`: a CSV/Parquet file, an s3:// object or prefix of them (e.g. newly landed data), or None /
    BUNDLED_DEMO_SOURCE for the bundled demo dataset. The version is a hash of the data and the split recipe, so
    re-running with the same inputs finds the manifest and uploads nothing. A failed validation raises StepFailed
    listing every problem (also written to <result_dir>/validation_report.json) and uploads nothing.
    """
    frame = read_dataset(clients, source)
    origin = describe_source(source)
    failures = validate_frame(frame, expectations)
    validation = {"passed": not failures, "failures": failures, "rows": int(len(frame)), "source": origin}
    if result_dir is not None:
        result_dir.mkdir(parents=True, exist_ok=True)
        (result_dir / VALIDATION_REPORT).write_text(json.dumps(validation, indent=2) + "\n")
    if failures:
        raise StepFailed(
            f"data validation failed with {len(failures)} problem(s):\n  - " + "\n  - ".join(failures),
            {"validation": validation},
        )

    recipe = {"seed": seed, "validation_fraction": validation_fraction, "test_fraction": test_fraction}
    canonical = frame.to_csv(index=False).encode()
    data_version = hashlib.sha256(canonical + json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    prefix = dataset_prefix(outputs, data_version)
    uris = {name: f"{prefix}{name}.csv" for name in SPLITS}
    manifest_uri, baseline_uri = f"{prefix}manifest.json", f"{prefix}baseline.json"
    splits = split_frame(frame, validation_fraction, test_fraction, seed)
    uploaded = not s3_objects.exists(clients, manifest_uri)
    if uploaded:
        checksums = {}
        for name, part in splits.items():
            body = part.to_csv(index=False).encode()
            checksums[name] = hashlib.sha256(body).hexdigest()
            s3_objects.put_bytes(clients, uris[name], body, outputs.data_key_arn, "text/csv")
        features = [name for name in frame.columns if name != TARGET_COLUMN]
        baseline = {
            "data_version": data_version,
            "reference_uri": uris["train"],
            **baseline_statistics(splits["train"], features),
        }
        s3_objects.put_json(clients, baseline_uri, baseline, outputs.data_key_arn)
        # Written last: its presence means every other object of this version is complete.
        s3_objects.put_json(
            clients,
            manifest_uri,
            {
                "data_version": data_version,
                "source": origin,
                "recipe": recipe,
                "sha256": checksums,
                "rows": {name: int(len(part)) for name, part in splits.items()},
                "dataset_sha256": hashlib.sha256(canonical).hexdigest(),
            },
            outputs.data_key_arn,
        )
    return {
        "data_version": data_version,
        "dataset_uri": prefix,
        **{f"{name}_uri": uri for name, uri in uris.items()},
        "baseline_uri": baseline_uri,
        "manifest_uri": manifest_uri,
        "uploaded": uploaded,
        "recipe": recipe,
        "rows": {name: int(len(part)) for name, part in splits.items()},
        "validation": validation,
    }


def read_csv_uri(clients: AwsClients, uri: str) -> pd.DataFrame:
    """A CSV split (or any CSV object) from S3 as a frame."""
    return pd.read_csv(io.BytesIO(s3_objects.get_bytes(clients, uri)))


if __name__ == "__main__":
    run_module("ingest")
