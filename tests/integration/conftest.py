"""One patched moto server on 127.0.0.1 per session (or LOCALSTACK_ENDPOINT), seeded stacks, MLflow on sqlite."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from stack_fixture import dev_outputs

from modelyard.catalog.outputs import StackOutputs
from modelyard.model_code.datasets import load_demo_frame
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.local_cloud.seeding import seed_stack_resources
from modelyard.pipelines.local_cloud.server import start_cloud
from modelyard.pipelines.model_registry import MlflowRegistryClient
from modelyard.pipelines.steps.deploy import deploy
from modelyard.pipelines.steps.evaluate import evaluate
from modelyard.pipelines.steps.ingest import ingest
from modelyard.pipelines.steps.register import register
from modelyard.pipelines.steps.train import train

# Small enough to train in about a second, good enough to pass the default gate on the demo set.
FAST_HYPERPARAMETERS = {"n_estimators": 20, "max_depth": 2}
GATE = {"min_accuracy": 0.9, "min_auc": 0.9, "max_regression": 0.01}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _offline_environment():
    """Placeholder credentials and no telemetry; the tests' own endpoint override is passed explicitly."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        patch.setenv("DO_NOT_TRACK", "1")
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("moto"),
        pytest.param("localstack", marks=pytest.mark.localstack),
    ],
)
def cloud_endpoint(request, tmp_path_factory) -> str:
    """The AWS endpoint of the session: a patched moto server here, or LOCALSTACK_ENDPOINT when set."""
    if request.param == "localstack":
        endpoint = os.environ.get("LOCALSTACK_ENDPOINT")
        if not endpoint:
            pytest.skip("LOCALSTACK_ENDPOINT is not set")
        return endpoint.rstrip("/")
    # A model that never answers /ping fails its endpoint after this long (SageMaker waits far longer).
    cloud = start_cloud(tmp_path_factory.mktemp("local-cloud"), health_timeout_seconds=8)
    request.addfinalizer(cloud.stop)
    return cloud.endpoint_url


@pytest.fixture(scope="session")
def clients(cloud_endpoint) -> AwsClients:
    return AwsClients("us-east-1", cloud_endpoint)


@pytest.fixture(scope="session")
def shared_outputs(clients) -> StackOutputs:
    """The dev stack's resources, seeded once: buckets, key, roles, repositories, quotas."""
    return seed_stack_resources(clients, dev_outputs(), training_quota=1, endpoint_quota=2)


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def outputs(shared_outputs, clients) -> StackOutputs:
    """Per test: its own endpoint, model package group and MLflow model/experiment; shared (content-addressed)
    buckets."""
    suffix = uuid.uuid4().hex[:6]
    isolated = shared_outputs.model_copy(
        update={
            "endpoint_name": f"{shared_outputs.endpoint_name}-{suffix}",
            "model_package_group_name": f"{shared_outputs.model_package_group_name}-{suffix}",
            "pipeline_name": f"{shared_outputs.pipeline_name}-{suffix}",
        }
    )
    clients.sagemaker.create_model_package_group(ModelPackageGroupName=isolated.model_package_group_name)
    return isolated


@pytest.fixture
def registry(outputs, tracking_uri, tmp_path) -> MlflowRegistryClient:
    registry = MlflowRegistryClient(tracking_uri, outputs.model_package_group_name, outputs.pipeline_name)
    registry.ensure_experiment(artifact_location=(tmp_path / "mlflow-artifacts").as_uri())
    return registry


@pytest.fixture(scope="session")
def demo_dataset(shared_outputs, clients) -> dict:
    return ingest(shared_outputs, clients)


@pytest.fixture(scope="session")
def demo_model(shared_outputs, clients, demo_dataset) -> dict:
    return train(
        shared_outputs,
        clients,
        train_uri=demo_dataset["train_uri"],
        validation_uri=demo_dataset["validation_uri"],
        hyperparameters=FAST_HYPERPARAMETERS,
    )


@pytest.fixture(scope="session")
def inverted_model(shared_outputs, clients, tmp_path_factory) -> dict:
    """A model trained on flipped labels: healthy to serve, wrong in every answer."""
    frame = load_demo_frame()
    frame["target"] = 1 - frame["target"]
    path = tmp_path_factory.mktemp("inverted") / "inverted.csv"
    frame.to_csv(path, index=False)
    data = ingest(shared_outputs, clients, source=path)
    return train(
        shared_outputs,
        clients,
        train_uri=data["train_uri"],
        validation_uri=data["validation_uri"],
        hyperparameters=FAST_HYPERPARAMETERS,
    )


@pytest.fixture
def step_environment(cloud_endpoint, tracking_uri) -> dict[str, str]:
    """What a pipeline executor gives a step process: the endpoint and the tracking URI."""
    return {**os.environ, "AWS_ENDPOINT_URL": cloud_endpoint, "MLFLOW_TRACKING_URI": tracking_uri}


@pytest.fixture
def deployed(outputs, clients, registry, demo_dataset, demo_model) -> dict:
    """The demo model gated, registered and serving on this test's endpoint (capturing every request)."""
    evaluation = evaluate(
        outputs,
        clients,
        model_uri=demo_model["model_uri"],
        test_uri=demo_dataset["test_uri"],
        registry=registry,
        **GATE,
    )
    version = register(outputs, clients, evaluation=evaluation, registry=registry)["model_version"]
    return deploy(
        outputs,
        clients,
        model_uri=demo_model["model_uri"],
        smoke_test_uri=demo_dataset["test_uri"],
        model_version=version,
        registry=registry,
        data_capture_percent=100,
    )
