"""The lifecycle pipeline built a second time, with the SageMaker SDK's workflow classes, from the same stack
outputs and settings as `definition.compiler.compile_definition`; `definition_structure` diffs the two, so drift
between our compiler and AWS's SDK shows in CI (`make sdk-check`).

The wiring is restated here in the SDK's terms (parameters, step names and types, which step reads which through
step properties and JsonGet, property files, branches); the SDK's Processor, ModelTrainer, LambdaStep, FailStep and
ConditionStep serialize the steps. The training job's settings are the platform trainer's (`trainer.py`).
"""

from __future__ import annotations

from typing import Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.sagemaker_sdk.boto_session import platform_boto_session
from modelyard.pipelines.sagemaker_sdk.sdk_config import sdk_config
from modelyard.pipelines.sagemaker_sdk.trainer import trainer_for_request
from modelyard.workflow import compiler as names
from modelyard.workflow.settings import PipelineSettings


def sdk_definition(outputs: StackOutputs, settings: PipelineSettings) -> dict[str, Any]:
    """The SDK pipeline's definition (`Pipeline.definition()`, parsed), built offline: a PipelineSession
    records each job's request instead of sending it."""
    import json

    from sagemaker.core.lambda_helper import Lambda
    from sagemaker.core.network import NetworkConfig
    from sagemaker.core.processing import Processor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.core.training.configs import InputData
    from sagemaker.core.workflow.conditions import ConditionEquals, ConditionGreaterThanOrEqualTo
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.lambda_step import LambdaOutput, LambdaOutputTypeEnum, LambdaStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep

    boto = platform_boto_session(outputs.region)
    session = PipelineSession(
        boto_session=boto, default_bucket=outputs.artifact_bucket, sagemaker_config=sdk_config()
    )
    input_data = ParameterString("InputDataUri", default_value=settings.input_data_uri)
    split_seed = ParameterInteger("SplitSeed", default_value=settings.split_seed)
    min_accuracy = ParameterFloat("MinAccuracy", default_value=settings.min_accuracy)
    min_auc = ParameterFloat("MinAuc", default_value=settings.min_auc)
    max_regression = ParameterFloat("MaxRegression", default_value=settings.max_regression)
    psi_threshold = ParameterFloat("DriftPsiThreshold", default_value=settings.drift_psi_threshold)
    training_type = ParameterString("TrainingInstanceType", default_value=settings.training_instance_type)
    training_count = ParameterInteger("TrainingInstanceCount", default_value=settings.training_instance_count)
    processing_type = ParameterString(
        "ProcessingInstanceType", default_value=settings.processing_instance_type
    )
    image_tag = ParameterString("ImageTag", default_value=settings.image_tag)
    image = Join(values=[outputs.training_repository_url, ":", image_tag])
    outputs_uri = names.stack_outputs_uri(outputs, settings.pipeline_name)
    results = f"s3://{outputs.artifact_bucket}/pipelines/{settings.pipeline_name}/executions"
    network = NetworkConfig(
        enable_network_isolation=False,
        subnets=list(outputs.private_subnet_ids),
        security_group_ids=[outputs.training_security_group_id],
        encrypt_inter_container_traffic=outputs.inter_container_traffic_encryption,
    )

    def s3_input(name: str, uri: Any, local_path: str) -> ProcessingInput:
        return ProcessingInput(
            input_name=name,
            s3_input=ProcessingS3Input(
                s3_uri=uri,
                local_path=local_path,
                s3_data_type="S3Prefix",
                s3_input_mode="File",
                s3_data_distribution_type="FullyReplicated",
            ),
        )

    def processing(
        name: str,
        module: str,
        arguments: list[Any],
        report: PropertyFile,
        extra_inputs: tuple[ProcessingInput, ...] = (),
        depends_on: tuple[str, ...] = (),
    ) -> ProcessingStep:
        processor = Processor(
            role=outputs.pipeline_role_arn,
            image_uri=image,
            instance_count=1,
            instance_type=processing_type,
            entrypoint=["python", "-m", names.STEP_MODULE.format(module)],
            volume_size_in_gb=names.PROCESSING_VOLUME_GB,
            output_kms_key=outputs.data_key_arn,
            max_runtime_in_seconds=settings.max_processing_seconds,
            network_config=network,
            sagemaker_session=session,
        )
        result = ProcessingOutput(
            output_name=names.RESULT_OUTPUT,
            s3_output=ProcessingS3Output(
                s3_uri=Join(
                    on="/",
                    values=[results, ExecutionVariables.PIPELINE_EXECUTION_ID, name, names.RESULT_OUTPUT],
                ),
                local_path=names.RESULT_DIR,
                s3_upload_mode="EndOfJob",
            ),
        )
        step_args = processor.run(
            inputs=[s3_input(names.STACK_OUTPUTS_INPUT, outputs_uri, names.STACK_OUTPUTS_DIR), *extra_inputs],
            outputs=[result],
            arguments=[
                "--outputs-file",
                f"{names.STACK_OUTPUTS_DIR}/{names.STACK_OUTPUTS_FILE}",
                "--result-dir",
                names.RESULT_DIR,
                *arguments,
            ],
        )
        return ProcessingStep(
            name=name, step_args=step_args, property_files=[report], depends_on=list(depends_on) or None
        )

    def report(name: str) -> PropertyFile:
        return PropertyFile(name=name, output_name=names.RESULT_OUTPUT, path=names.RESULT_FILE)

    reports = {
        step: report(file)
        for step, file in (
            (names.INGEST, names.INGEST_REPORT),
            (names.EVALUATE, names.EVALUATION_REPORT),
            (names.REGISTER, names.REGISTRATION_REPORT),
            (names.MONITOR, names.DRIFT_REPORT),
        )
    }

    def read(step: str, path: str) -> JsonGet:
        return JsonGet(step_name=step, property_file=reports[step], json_path=path)

    def text(value: Any) -> Join:
        return Join(values=[value])

    ingest = processing(
        names.INGEST, "ingest", ["--source", input_data, "--seed", text(split_seed)], reports[names.INGEST]
    )

    request = names.training_job_request(
        # The channels' URIs are replaced below by the ingest step's report.
        outputs,
        settings,
        image=f"{outputs.training_repository_url}:{settings.image_tag}",
        train_uri="s3://train",
        validation_uri="s3://validation",
        instance_type=settings.training_instance_type,
        instance_count=settings.training_instance_count,
    )
    trainer = trainer_for_request(request, session, settings.framework, base_job_name=settings.pipeline_name)
    # Image, instance type and count are pipeline parameters, resolved at execution time.
    trainer.training_image = image
    trainer.compute.instance_type = training_type
    trainer.compute.instance_count = training_count
    train = TrainingStep(
        name=names.TRAIN,
        step_args=trainer.train(
            input_data_config=[
                InputData(
                    channel_name="train", data_source=read(names.INGEST, "train_uri"), content_type="text/csv"
                ),
                InputData(
                    channel_name="validation",
                    data_source=read(names.INGEST, "validation_uri"),
                    content_type="text/csv",
                ),
            ]
        ),
    )
    model_uri = train.properties.ModelArtifacts.S3ModelArtifacts

    evaluate = processing(
        names.EVALUATE,
        "evaluate",
        [
            "--model-uri",
            model_uri,
            "--test-uri",
            read(names.INGEST, "test_uri"),
            "--min-accuracy",
            text(min_accuracy),
            "--min-auc",
            text(min_auc),
            "--max-regression",
            text(max_regression),
            "--no-fail-on-gate",
        ],
        reports[names.EVALUATE],
    )
    evaluation_uri = evaluate.properties.ProcessingOutputConfig.Outputs[names.RESULT_OUTPUT].S3Output.S3Uri
    register = processing(
        names.REGISTER,
        "register",
        [
            "--evaluation-file",
            f"{names.EVALUATION_DIR}/{names.RESULT_FILE}",
            "--data-version",
            read(names.INGEST, "data_version"),
            "--image-tag",
            image_tag,
        ],
        reports[names.REGISTER],
        extra_inputs=(s3_input(names.EVALUATION_INPUT, evaluation_uri, names.EVALUATION_DIR),),
    )
    deploy = LambdaStep(
        name=names.DEPLOY,
        lambda_func=Lambda(function_arn=names.lambda_function_arn(outputs), session=session),
        inputs={
            "outputs_uri": outputs_uri,
            "region": outputs.region,
            "model_uri": model_uri,
            "smoke_test_uri": read(names.INGEST, "test_uri"),
            "model_version": read(names.REGISTER, "model_version"),
            "image_tag": image_tag,
            "data_capture_percent": settings.data_capture_percent,
        },
        outputs=[
            LambdaOutput(output_name=name, output_type=LambdaOutputTypeEnum.String)
            for name in names.DEPLOY_OUTPUTS
        ],
    )
    monitor = processing(
        names.MONITOR,
        "monitor",
        [
            "--baseline-uri",
            read(names.INGEST, "baseline_uri"),
            "--current",
            read(names.INGEST, "test_uri"),
            "--psi-threshold",
            text(psi_threshold),
        ],
        reports[names.MONITOR],
        depends_on=(names.DEPLOY,),
    )
    gate_failed = FailStep(
        name=names.GATE_FAILED,
        error_message=Join(
            on=" ",
            values=[
                "Evaluation gate failed:",
                read(names.EVALUATE, "reasons[0]"),
                "(accuracy",
                read(names.EVALUATE, "metrics.accuracy"),
                "min",
                min_accuracy,
                "| roc_auc",
                read(names.EVALUATE, "metrics.roc_auc"),
                "min",
                min_auc,
                "| max regression vs champion",
                Join(values=[max_regression, ")"]),
            ],
        ),
    )
    gate = ConditionStep(
        name=names.GATE,
        conditions=[
            ConditionEquals(left=read(names.EVALUATE, "passed"), right=True),
            ConditionGreaterThanOrEqualTo(left=read(names.EVALUATE, "metrics.accuracy"), right=min_accuracy),
            ConditionGreaterThanOrEqualTo(left=read(names.EVALUATE, "metrics.roc_auc"), right=min_auc),
        ],
        if_steps=[register, deploy, monitor],
        else_steps=[gate_failed],
    )

    pipeline = Pipeline(
        name=settings.pipeline_name,
        sagemaker_session=session,
        steps=[ingest, train, evaluate, gate],
        parameters=[
            input_data,
            split_seed,
            min_accuracy,
            min_auc,
            max_regression,
            psi_threshold,
            training_type,
            training_count,
            processing_type,
            image_tag,
        ],
    )
    return json.loads(pipeline.definition())
