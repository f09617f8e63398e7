"""Train through the SDK's ModelTrainer on the local cloud (moto on 127.0.0.1), serve the model, predict through
the SDK's Endpoint resource: every SDK call goes to the local cloud by endpoint URL, and the SDK parses its
answers with its own strict models."""

from __future__ import annotations

import tarfile

import pytest

pytest.importorskip("sagemaker")

from modelyard.pipelines import s3_objects  # noqa: E402
from modelyard.pipelines.aws_clients import AwsClients  # noqa: E402
from modelyard.pipelines.local_cloud.seeding import seed_stack_resources  # noqa: E402
from modelyard.pipelines.local_cloud.server import start_cloud  # noqa: E402
from modelyard.pipelines.sagemaker_sdk.local_job import latest_job_name, run_job_here  # noqa: E402
from modelyard.pipelines.sagemaker_sdk.predictor import platform_predictor  # noqa: E402
from modelyard.pipelines.sagemaker_sdk.session import platform_session  # noqa: E402
from modelyard.pipelines.sagemaker_sdk.trainer import platform_trainer  # noqa: E402
from modelyard.pipelines.steps.deploy import deploy  # noqa: E402
from modelyard.pipelines.steps.ingest import ingest, read_csv_uri  # noqa: E402

pytestmark = pytest.mark.integration
# Small enough to train in about a second, good enough to pass the deploy step's smoke test.
FAST_HYPERPARAMETERS = {"n_estimators": 20, "max_depth": 2}


@pytest.fixture
def local_cloud(tmp_path, offline_aws):
    cloud = start_cloud(tmp_path / "local-cloud", health_timeout_seconds=30)
    yield cloud
    cloud.stop()


def test_train_with_the_sdk_serve_and_predict_on_the_local_cloud(local_cloud, fixture_outputs, tmp_path):
    clients = AwsClients(fixture_outputs.region, local_cloud.endpoint_url)
    outputs = seed_stack_resources(clients, fixture_outputs, training_quota=1, endpoint_quota=1)
    data = ingest(outputs, clients)

    session = platform_session(outputs, endpoint_url=local_cloud.endpoint_url)
    assert session.default_bucket() == outputs.artifact_bucket
    trainer = platform_trainer(
        outputs,
        session,
        train_uri=data["train_uri"],
        validation_uri=data["validation_uri"],
        hyperparameters=FAST_HYPERPARAMETERS,
    )
    trainer.train(wait=True, logs=False)  # the SDK polls DescribeTrainingJob until Completed

    job_name = latest_job_name(clients, trainer.base_job_name)
    job = clients.sagemaker.describe_training_job(TrainingJobName=job_name)
    assert job["TrainingJobStatus"] == "Completed"
    assert job["VpcConfig"]["Subnets"] == outputs.private_subnet_ids
    run = run_job_here(clients, job_name, work_dir=tmp_path)
    assert run.model_uri == job["ModelArtifacts"]["S3ModelArtifacts"]
    assert run.metrics["accuracy"] > 0.9
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(s3_objects.get_bytes(clients, run.model_uri))
    with tarfile.open(archive) as model:
        assert "metrics.json" in model.getnames()

    deployed = deploy(
        outputs,
        clients,
        model_uri=run.model_uri,
        smoke_test_uri=data["test_uri"],
        instance_type="ml.m5.large",
        data_capture_percent=0,
        wait_timeout_seconds=60,
    )
    assert deployed["deployed"]

    test_rows = read_csv_uri(clients, data["test_uri"]).head(10)
    features = test_rows.drop(columns=["target"]).to_numpy().tolist()
    for content_type in ("text/csv", "application/json"):
        predictor = platform_predictor(
            outputs, endpoint_url=local_cloud.endpoint_url, content_type=content_type
        )
        answer = predictor.predict(features)
        labels = [prediction["label"] for prediction in answer["predictions"]]
        assert len(labels) == len(features), content_type
        assert sum(label == target for label, target in zip(labels, test_rows["target"])) >= 8, content_type
