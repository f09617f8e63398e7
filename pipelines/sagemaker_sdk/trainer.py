"""A `sagemaker.train.ModelTrainer` for the stack's training image, with the pipeline TrainModel step's settings.

The settings are not restated here: they are read off the CreateTrainingJob request the pipeline compiles
(`pipelines.steps.train.sagemaker_training_request`, i.e. `definition.compiler.training_job_request`): role, VPC
subnets and security group, output and volume KMS keys (none for NVMe-storage instances, as SageMaker requires),
network isolation, inter-container encryption, volume size, stopping condition, channels and hyperparameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.steps.train import sagemaker_training_request

if TYPE_CHECKING:
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.train import ModelTrainer

# ModelTrainer sets a ContainerEntrypoint only for SDK-uploaded source code; without one the job runs the image's
# ENTRYPOINT (`python -m modelyard.model_code.training`, model_code/Dockerfile.training), which picks the
# trainer named by this variable: the same module the pipeline's ContainerEntrypoint names.
TRAINER_VARIABLE = "MODELYARD_TRAINER"
DEFAULT_IMAGE_TAG = "latest"
DEFAULT_MAX_RUNTIME_SECONDS = 3600


def platform_trainer(
    outputs: StackOutputs,
    session: Session,
    *,
    train_uri: str,
    validation_uri: str,
    framework: str = "sklearn",
    hyperparameters: dict[str, Any] | None = None,
    instance_type: str | None = None,
    instance_count: int | None = None,
    image_tag: str = DEFAULT_IMAGE_TAG,
    max_runtime_seconds: int = DEFAULT_MAX_RUNTIME_SECONDS,
) -> ModelTrainer:
    """A trainer whose `train()` submits the job `modelyard train --on sagemaker` would submit (same request but
    for the job name, which the SDK makes unique, and the trainer chosen by Environment instead of entry point).

    Instance type and count default to the stack's; bad inputs raise StepInputError naming the field.
    """
    request = sagemaker_training_request(
        outputs,
        train_uri,
        validation_uri,
        framework,
        dict(hyperparameters or {}),
        instance_type or outputs.training_instance_type,
        instance_count or outputs.training_instance_count,
        image_tag,
        max_runtime_seconds,
    )
    return trainer_for_request(
        request, session, framework, base_job_name=f"modelyard-{outputs.environment}-{framework}"
    )


def trainer_for_request(
    request: dict[str, Any], session: Session, framework: str, base_job_name: str
) -> ModelTrainer:
    """The ModelTrainer that sends `request` (a CreateTrainingJob request without TrainingJobName)."""
    from sagemaker.core.training.configs import (
        Compute,
        InputData,
        Networking,
        OutputDataConfig,
        StoppingCondition,
    )
    from sagemaker.train import ModelTrainer

    resources = request["ResourceConfig"]
    vpc = request["VpcConfig"]
    output = request["OutputDataConfig"]
    return ModelTrainer(
        sagemaker_session=session,
        role=request["RoleArn"],
        base_job_name=base_job_name,
        training_image=request["AlgorithmSpecification"]["TrainingImage"],
        training_input_mode=request["AlgorithmSpecification"]["TrainingInputMode"],
        environment={TRAINER_VARIABLE: framework},
        hyperparameters=dict(request.get("HyperParameters", {})),
        compute=Compute(
            instance_type=resources["InstanceType"],
            instance_count=resources["InstanceCount"],
            volume_size_in_gb=resources["VolumeSizeInGB"],
            volume_kms_key_id=resources.get("VolumeKmsKeyId"),
        ),
        networking=Networking(
            subnets=list(vpc["Subnets"]),
            security_group_ids=list(vpc["SecurityGroupIds"]),
            enable_network_isolation=request["EnableNetworkIsolation"],
            enable_inter_container_traffic_encryption=request["EnableInterContainerTrafficEncryption"],
        ),
        output_data_config=OutputDataConfig(
            s3_output_path=output["S3OutputPath"], kms_key_id=output["KmsKeyId"]
        ),
        stopping_condition=StoppingCondition(
            max_runtime_in_seconds=request["StoppingCondition"]["MaxRuntimeInSeconds"]
        ),
        input_data_config=[
            InputData(
                channel_name=channel["ChannelName"],
                data_source=channel["DataSource"]["S3DataSource"]["S3Uri"],
                content_type=channel.get("ContentType"),
            )
            for channel in request["InputDataConfig"]
        ],
    )
