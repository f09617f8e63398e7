"""Compiles the ML lifecycle into a SageMaker Pipeline definition (JSON, version 2020-12-01) from stack outputs.

Every image, role, bucket, key and network id in the definition comes from `StackOutputs`; every step runs our
code: the training image's `model_code` entry point, the `modelyard.pipelines.steps.*` modules, and the deploy
step's `lambda_handler`.

The step modules' command-line contract as this definition uses it (`modelyard.cli.local_cloud`'s step commands;
each also takes `--outputs-file <stack-outputs.json> --result-dir <dir>` and writes `<dir>/result.json`):

    ingest    --source S3|bundled:demo --seed N
              result: data_version, train_uri, validation_uri, test_uri, baseline_uri, ...
    evaluate  --model-uri S3 --test-uri S3 --min-accuracy F --min-auc F --max-regression F --no-fail-on-gate
              result: passed, reasons[], metrics{accuracy, roc_auc, log_loss}, champion_metrics|null, model_uri
    register  --evaluation-file FILE --data-version V --image-tag T
              result: model_package_arn, model_version, ...
    monitor   --baseline-uri S3 --current S3 --psi-threshold F
              result: drift_detected, max_psi, ...
    deploy    lambda_handler(event, context), event keys DEPLOY_EVENT_KEYS; returns (among others) DEPLOY_OUTPUTS.
"""

from __future__ import annotations

from typing import Any

from modelyard.catalog.instance_types import has_local_storage
from modelyard.catalog.outputs import StackOutputs
from modelyard.workflow.expressions import (
    Expression,
    execution_id,
    get,
    join,
    json_get,
    parameter,
)
from modelyard.workflow.settings import PipelineSettings

DEFINITION_VERSION = "2020-12-01"

INGEST = "IngestData"
TRAIN = "TrainModel"
EVALUATE = "EvaluateModel"
GATE = "CheckEvaluation"
GATE_FAILED = "EvaluationGateFailed"
REGISTER = "RegisterModel"
DEPLOY = "DeployModel"
MONITOR = "MonitorDrift"

INGEST_REPORT = "IngestReport"
EVALUATION_REPORT = "EvaluationReport"
REGISTRATION_REPORT = "RegistrationReport"
DRIFT_REPORT = "DriftReport"

RESULT_FILE = "result.json"
RESULT_OUTPUT = "result"
RESULT_DIR = "/opt/ml/processing/result"
STACK_OUTPUTS_INPUT = "stack-outputs"
STACK_OUTPUTS_DIR = "/opt/ml/processing/input/stack-outputs"
STACK_OUTPUTS_FILE = "stack-outputs.json"
EVALUATION_INPUT = "evaluation"
EVALUATION_DIR = "/opt/ml/processing/input/evaluation"

STEP_MODULE = "modelyard.pipelines.steps.{}"
TRAINING_MODULES = {
    "sklearn": "modelyard.model_code.training.train_sklearn",
    "torch": "modelyard.model_code.training.train_torch",
}
# The deploy Lambda function's handler (its code is the deploy step module).
DEPLOY_HANDLER = "modelyard.pipelines.steps.deploy:lambda_handler"
DEPLOY_EVENT_KEYS = (
    "outputs_uri",
    "region",
    "model_uri",
    "smoke_test_uri",
    "model_version",
    "image_tag",
    "data_capture_percent",
)
DEPLOY_OUTPUTS = ("endpoint_name", "endpoint_config_name", "model_name")

PROCESSING_VOLUME_GB = 30
TRAINING_VOLUME_GB = 50


def parameters(settings: PipelineSettings) -> list[dict[str, Any]]:
    """The pipeline parameters, defaults from the settings; StartPipelineExecution may override each."""
    return [
        {"Name": "InputDataUri", "Type": "String", "DefaultValue": settings.input_data_uri},
        {"Name": "SplitSeed", "Type": "Integer", "DefaultValue": settings.split_seed},
        {"Name": "MinAccuracy", "Type": "Float", "DefaultValue": settings.min_accuracy},
        {"Name": "MinAuc", "Type": "Float", "DefaultValue": settings.min_auc},
        {"Name": "MaxRegression", "Type": "Float", "DefaultValue": settings.max_regression},
        {"Name": "DriftPsiThreshold", "Type": "Float", "DefaultValue": settings.drift_psi_threshold},
        {"Name": "TrainingInstanceType", "Type": "String", "DefaultValue": settings.training_instance_type},
        {
            "Name": "TrainingInstanceCount",
            "Type": "Integer",
            "DefaultValue": settings.training_instance_count,
        },
        {
            "Name": "ProcessingInstanceType",
            "Type": "String",
            "DefaultValue": settings.processing_instance_type,
        },
        {"Name": "ImageTag", "Type": "String", "DefaultValue": settings.image_tag},
    ]


def stack_outputs_uri(outputs: StackOutputs, pipeline_name: str) -> str:
    """Where the stack outputs JSON lies for the steps to read (uploaded by whoever upserts the pipeline)."""
    return f"s3://{outputs.artifact_bucket}/pipelines/{pipeline_name}/{STACK_OUTPUTS_FILE}"


def lambda_function_arn(outputs: StackOutputs) -> str:
    """ARN of the deploy function (the stack exports its name)."""
    return (
        f"arn:{_partition(outputs.region)}:lambda:{outputs.region}:{outputs.account_id}:function:"
        f"{outputs.deploy_function_name}"
    )


def training_job_request(
    outputs: StackOutputs,
    settings: PipelineSettings,
    *,
    image: Expression,
    train_uri: Expression,
    validation_uri: Expression,
    instance_type: Expression,
    instance_count: Expression,
) -> dict[str, Any]:
    """A CreateTrainingJob request (without TrainingJobName) that runs our training entry point.

    Used by the pipeline's Training step (with expressions) and by `modelyard train --on sagemaker` (with values).
    """
    request: dict[str, Any] = {
        "AlgorithmSpecification": {
            "TrainingImage": image,
            "TrainingInputMode": "File",
            "ContainerEntrypoint": ["python", "-m", TRAINING_MODULES[settings.framework]],
        },
        "RoleArn": outputs.sagemaker_training_role_arn,
        "InputDataConfig": [_channel("train", train_uri), _channel("validation", validation_uri)],
        "OutputDataConfig": {"S3OutputPath": outputs.training_output_path, "KmsKeyId": outputs.data_key_arn},
        "ResourceConfig": {
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeSizeInGB": TRAINING_VOLUME_GB,
        },
        "VpcConfig": _vpc_config(outputs),
        "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_training_seconds},
        # The entry point needs no network of its own: SageMaker stages channels and uploads the model, and
        # DDP traffic between the job's instances is still allowed (and encrypted when the stack says so).
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": outputs.inter_container_traffic_encryption,
    }
    if settings.hyperparameters:
        request["HyperParameters"] = dict(settings.hyperparameters)
    if not has_local_storage(settings.training_instance_type):
        request["ResourceConfig"]["VolumeKmsKeyId"] = outputs.data_key_arn
    return request


def compile_definition(outputs: StackOutputs, settings: PipelineSettings) -> dict[str, Any]:
    """The SageMaker Pipeline definition of the whole lifecycle for this stack."""
    image = join([outputs.training_repository_url, ":", parameter("ImageTag")])
    outputs_uri = stack_outputs_uri(outputs, settings.pipeline_name)
    results_prefix = f"s3://{outputs.artifact_bucket}/pipelines/{settings.pipeline_name}/executions"
    model_uri = get(f"Steps.{TRAIN}.ModelArtifacts.S3ModelArtifacts")

    def processing(
        name: str,
        step: str,
        arguments: list[Expression],
        report: str,
        extra_inputs: list[dict[str, Any]] = (),
        depends_on: list[str] = (),
    ) -> dict[str, Any]:
        result_uri = join([results_prefix, execution_id(), name, RESULT_OUTPUT], on="/")
        cluster: dict[str, Any] = {
            "InstanceType": parameter("ProcessingInstanceType"),
            "InstanceCount": 1,
            "VolumeSizeInGB": PROCESSING_VOLUME_GB,
        }
        if not has_local_storage(settings.processing_instance_type):
            cluster["VolumeKmsKeyId"] = outputs.data_key_arn
        definition: dict[str, Any] = {
            "Name": name,
            "Type": "Processing",
            "Arguments": {
                "ProcessingResources": {"ClusterConfig": cluster},
                "AppSpecification": {
                    "ImageUri": image,
                    "ContainerEntrypoint": ["python", "-m", STEP_MODULE.format(step)],
                    "ContainerArguments": [
                        "--outputs-file",
                        f"{STACK_OUTPUTS_DIR}/{STACK_OUTPUTS_FILE}",
                        "--result-dir",
                        RESULT_DIR,
                        *arguments,
                    ],
                },
                "RoleArn": outputs.pipeline_role_arn,
                "ProcessingInputs": [
                    _processing_input(STACK_OUTPUTS_INPUT, outputs_uri, STACK_OUTPUTS_DIR),
                    *extra_inputs,
                ],
                "ProcessingOutputConfig": {
                    "Outputs": [
                        {
                            "OutputName": RESULT_OUTPUT,
                            "AppManaged": False,
                            "S3Output": {
                                "S3Uri": result_uri,
                                "LocalPath": RESULT_DIR,
                                "S3UploadMode": "EndOfJob",
                            },
                        }
                    ],
                    "KmsKeyId": outputs.data_key_arn,
                },
                "NetworkConfig": {
                    "EnableInterContainerTrafficEncryption": outputs.inter_container_traffic_encryption,
                    # Steps call S3, SageMaker and MLflow from inside the VPC.
                    "EnableNetworkIsolation": False,
                    "VpcConfig": _vpc_config(outputs),
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_processing_seconds},
            },
            "PropertyFiles": [
                {"PropertyFileName": report, "OutputName": RESULT_OUTPUT, "FilePath": RESULT_FILE}
            ],
        }
        if depends_on:
            definition["DependsOn"] = list(depends_on)
        return definition

    def ingested(key: str) -> dict[str, Any]:
        return json_get(INGEST, INGEST_REPORT, key)

    ingest = processing(
        INGEST,
        "ingest",
        ["--source", parameter("InputDataUri"), "--seed", _text(parameter("SplitSeed"))],
        INGEST_REPORT,
    )

    train = {
        "Name": TRAIN,
        "Type": "Training",
        "Arguments": training_job_request(
            outputs,
            settings,
            image=image,
            train_uri=ingested("train_uri"),
            validation_uri=ingested("validation_uri"),
            instance_type=parameter("TrainingInstanceType"),
            instance_count=parameter("TrainingInstanceCount"),
        ),
    }

    evaluate = processing(
        EVALUATE,
        "evaluate",
        [
            "--model-uri",
            model_uri,
            "--test-uri",
            ingested("test_uri"),
            "--min-accuracy",
            _text(parameter("MinAccuracy")),
            "--min-auc",
            _text(parameter("MinAuc")),
            "--max-regression",
            _text(parameter("MaxRegression")),
            # The gate is the Condition step's: a failing evaluation is a result the condition reads, not an error.
            "--no-fail-on-gate",
        ],
        EVALUATION_REPORT,
    )

    register = processing(
        REGISTER,
        "register",
        [
            "--evaluation-file",
            f"{EVALUATION_DIR}/{RESULT_FILE}",
            "--data-version",
            ingested("data_version"),
            "--image-tag",
            parameter("ImageTag"),
        ],
        REGISTRATION_REPORT,
        extra_inputs=[
            _processing_input(
                EVALUATION_INPUT,
                get(f"Steps.{EVALUATE}.ProcessingOutputConfig.Outputs['{RESULT_OUTPUT}'].S3Output.S3Uri"),
                EVALUATION_DIR,
            )
        ],
    )

    deploy = {
        "Name": DEPLOY,
        "Type": "Lambda",
        "FunctionArn": lambda_function_arn(outputs),
        "Arguments": {
            "outputs_uri": outputs_uri,
            "region": outputs.region,
            "model_uri": model_uri,
            "smoke_test_uri": ingested("test_uri"),
            "model_version": json_get(REGISTER, REGISTRATION_REPORT, "model_version"),
            "image_tag": parameter("ImageTag"),
            "data_capture_percent": settings.data_capture_percent,
        },
        "OutputParameters": [{"OutputName": name, "OutputType": "String"} for name in DEPLOY_OUTPUTS],
    }

    # Right after a deploy the endpoint has captured too little traffic to judge, so the monitor compares the
    # held-out test split (production-like inputs) with the training baseline and publishes the drift metric;
    # captured traffic is judged by later monitor runs. It waits for the deploy it reports on.
    monitor = processing(
        MONITOR,
        "monitor",
        [
            "--baseline-uri",
            ingested("baseline_uri"),
            "--current",
            ingested("test_uri"),
            "--psi-threshold",
            _text(parameter("DriftPsiThreshold")),
        ],
        DRIFT_REPORT,
        depends_on=[DEPLOY],
    )

    def metric(path: str) -> dict[str, Any]:
        return json_get(EVALUATE, EVALUATION_REPORT, path)

    gate_failed = {
        "Name": GATE_FAILED,
        "Type": "Fail",
        "Arguments": {
            "ErrorMessage": join(
                [
                    "Evaluation gate failed:",
                    metric("reasons[0]"),
                    "(accuracy",
                    metric("metrics.accuracy"),
                    "min",
                    parameter("MinAccuracy"),
                    "| roc_auc",
                    metric("metrics.roc_auc"),
                    "min",
                    parameter("MinAuc"),
                    "| max regression vs champion",
                    join([parameter("MaxRegression"), ")"]),
                ],
                on=" ",
            )
        },
    }

    gate = {
        "Name": GATE,
        "Type": "Condition",
        "Arguments": {
            # `passed` carries the evaluate step's verdict (thresholds and the champion comparison); the
            # threshold conditions repeat the absolute part so the console shows which bound was checked.
            "Conditions": [
                {"Type": "Equals", "LeftValue": metric("passed"), "RightValue": True},
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": metric("metrics.accuracy"),
                    "RightValue": parameter("MinAccuracy"),
                },
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": metric("metrics.roc_auc"),
                    "RightValue": parameter("MinAuc"),
                },
            ],
            "IfSteps": [register, deploy, monitor],
            "ElseSteps": [gate_failed],
        },
    }

    return {
        "Version": DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": parameters(settings),
        "Steps": [ingest, train, evaluate, gate],
    }


def _text(value: Expression) -> dict[str, Any]:
    # Container arguments are strings; a Float or Integer parameter enters one through Std:Join.
    return join([value])


def _channel(name: str, uri: Expression) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "ContentType": "text/csv",
        "InputMode": "File",
    }


def _processing_input(name: str, uri: Expression, local_path: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "AppManaged": False,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local_path,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def _vpc_config(outputs: StackOutputs) -> dict[str, Any]:
    return {
        "SecurityGroupIds": [outputs.training_security_group_id],
        "Subnets": list(outputs.private_subnet_ids),
    }


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
