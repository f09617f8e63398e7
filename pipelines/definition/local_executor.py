"""Executes a compiled SageMaker Pipeline definition on this machine: each step's container entry point as a local
process, in dependency order, against the local cloud (or any endpoint), recording every step's status."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import operator
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from modelyard.catalog.errors import InputError
from modelyard.pipelines.definition.sagemaker_pipeline import start_execution, upsert_pipeline
from modelyard.pipelines.definition.training_job_runner import (
    TrainingJobError,
    TrainingJobLayout,
    download_prefix,
    run_training_job,
    upload_directory,
)
from modelyard.pipelines.iam_check.guard import acting_as
from modelyard.pipelines.iam_check.local_check import IamCheckError, LocalIamCheck
from modelyard.pipelines.steps.step_runtime import StepFailed
from modelyard.policies.iam_evaluation import AuthorizationRequest
from modelyard.workflow.expressions import ExpressionError, Resolver, as_text, referenced_steps

SUCCEEDED, FAILED, EXECUTING, NOT_EXECUTED = "Succeeded", "Failed", "Executing", "NotExecuted"
SUPPORTED_STEP_TYPES = ("Processing", "Training", "Condition", "Fail", "Lambda")
# What the executor honours; anything else in a definition is refused, never dropped. ParallelismConfiguration holds
# trivially (steps run one at a time); display names and descriptions change nothing.
SUPPORTED_DEFINITION_KEYS = frozenset(
    {"Version", "Metadata", "Parameters", "Steps", "ParallelismConfiguration"}
)
SUPPORTED_STEP_KEYS = frozenset(
    {
        "Name",
        "Type",
        "Arguments",
        "DependsOn",
        "PropertyFiles",
        "DisplayName",
        "Description",
        "FunctionArn",
        "OutputParameters",
    }
)
CONTAINER_ROOT = "/opt/ml/"
LOCAL_HOST = "algo-1"
LOG_TAIL_CHARS = 2000
_COMPARISONS = {
    "Equals": operator.eq,
    "GreaterThan": operator.gt,
    "GreaterThanOrEqualTo": operator.ge,
    "LessThan": operator.lt,
    "LessThanOrEqualTo": operator.le,
}
# Runs a Lambda handler ("module:function") in a fresh interpreter, as Lambda would: event in, JSON result out.
_LAMBDA_INVOCATION = (
    "import importlib, json, sys\n"
    "module, function = sys.argv[1].split(':')\n"
    "handler = getattr(importlib.import_module(module), function)\n"
    "result = handler(json.loads(open(sys.argv[2]).read()), None)\n"
    "open(sys.argv[3], 'w').write(json.dumps(result))\n"
)


class DefinitionError(InputError, ValueError):
    """The definition cannot be executed (unknown step type, missing dependency, cycle...); nothing ran."""


@dataclasses.dataclass
class StepRecord:
    """One step of an execution, as ListPipelineExecutionSteps would describe it."""

    name: str
    step_type: str
    status: str = NOT_EXECUTED
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outputs: dict[str, Any] = dataclasses.field(default_factory=dict)
    """What the step produced: job name, artifact URIs, its property file, a condition's outcome..."""
    failure_reason: str | None = None
    log_file: Path | None = None
    iam_calls: int = 0
    """AWS and MLflow calls the IAM check evaluated for this step (its process and its job's creation)."""
    iam_denied: int = 0

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.step_type,
            "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_s": self.duration_s,
            "outputs": self.outputs,
            "failure_reason": self.failure_reason,
            "log_file": str(self.log_file) if self.log_file else None,
            "iam_calls": self.iam_calls,
            "iam_denied": self.iam_denied,
        }


@dataclasses.dataclass
class ExecutionResult:
    """One local execution of a pipeline definition."""

    pipeline_name: str
    pipeline_arn: str
    execution_arn: str
    execution_id: str
    parameters: dict[str, Any]
    status: str
    failure_reason: str | None
    started_at: datetime
    ended_at: datetime
    steps: list[StepRecord]
    """Every step of the definition in execution order; those never reached are NotExecuted."""
    iam: dict[str, Any] | None = None
    """The IAM check's report (calls checked, denials, unused permissions); None when the run checked nothing."""

    @property
    def duration_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def step(self, name: str) -> StepRecord:
        for record in self.steps:
            if record.name == name:
                return record
        raise KeyError(f"no step {name!r} in execution {self.execution_id}")

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline_name": self.pipeline_name,
            "pipeline_arn": self.pipeline_arn,
            "execution_arn": self.execution_arn,
            "execution_id": self.execution_id,
            "parameters": self.parameters,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "duration_s": self.duration_s,
            "steps": [record.to_json() for record in self.steps],
            "iam": self.iam,
        }


@dataclasses.dataclass(frozen=True)
class PlannedStep:
    """A step with what must happen before it runs."""

    definition: dict[str, Any]
    depends_on: frozenset[str]
    branch: tuple[str, bool] | None
    """(condition step, True for its IfSteps / False for its ElseSteps) when the step sits in a branch."""

    @property
    def name(self) -> str:
        return self.definition["Name"]


def execution_plan(definition: Mapping[str, Any]) -> list[PlannedStep]:
    """Every step (branches included) in an order that respects DependsOn, data references and branches;
    ties keep definition order. Raises DefinitionError for anything that cannot run."""
    planned: dict[str, PlannedStep] = {}
    unsupported = sorted(set(definition) - SUPPORTED_DEFINITION_KEYS)
    if unsupported:
        raise DefinitionError(
            f"the definition uses {', '.join(unsupported)}, which the local executor does not "
            f"honour (it honours {', '.join(sorted(SUPPORTED_DEFINITION_KEYS))})"
        )

    def collect(steps: Sequence[Mapping[str, Any]], branch: tuple[str, bool] | None) -> None:
        for step in steps:
            name, step_type = step.get("Name"), step.get("Type")
            if not isinstance(name, str) or not name:
                raise DefinitionError(f"a step has no Name: {json.dumps(step)[:200]}")
            if name in planned:
                raise DefinitionError(f"step name {name!r} is used twice")
            if step_type not in SUPPORTED_STEP_TYPES:
                raise DefinitionError(
                    f"step {name!r} has type {step_type!r}; the local executor runs "
                    f"{', '.join(SUPPORTED_STEP_TYPES)}"
                )
            # A disabled cache is what the executor does anyway (every step runs); an enabled one or retries are not.
            features = sorted(
                set(step) - SUPPORTED_STEP_KEYS - ({"CacheConfig"} if not _cache_enabled(step) else set())
            )
            if features:
                raise DefinitionError(
                    f"step {name!r} uses {', '.join(features)}, which the local executor does not "
                    "honour; remove it to run the definition locally"
                )
            arguments = step.get("Arguments", {})
            own_arguments = arguments
            if step_type == "Condition":
                own_arguments = {"Conditions": arguments.get("Conditions", [])}
            depends = set(step.get("DependsOn", [])) | referenced_steps(own_arguments)
            if branch:
                depends.add(branch[0])
            planned[name] = PlannedStep(dict(step), frozenset(depends), branch)
            if step_type == "Condition":
                collect(arguments.get("IfSteps", []), (name, True))
                collect(arguments.get("ElseSteps", []), (name, False))

    collect(definition.get("Steps", []), None)
    for step in planned.values():
        unknown = sorted(step.depends_on - planned.keys())
        if unknown:
            raise DefinitionError(f"step {step.name!r} depends on unknown step(s) {', '.join(unknown)}")
    order: list[PlannedStep] = []
    done: set[str] = set()
    remaining = list(planned.values())
    while remaining:
        ready = next((step for step in remaining if step.depends_on <= done), None)
        if ready is None:
            raise DefinitionError(
                "steps depend on each other in a cycle: " + ", ".join(step.name for step in remaining)
            )
        order.append(ready)
        done.add(ready.name)
        remaining.remove(ready)
    return order


class LocalExecutor:
    """Runs a definition's steps as local processes against the cloud that `s3` and `sagemaker` talk to.

    `environment` is added to every step's process (e.g. AWS_ENDPOINT_URL, MLFLOW_TRACKING_URI and credentials
    of the local cloud); `lambda_handlers` maps a Lambda function name to our handler, "module:function".
    With `iam_check`, every step's process runs as its role (RoleArn, the Lambda function's role) and each AWS and
    MLflow call it makes is authorized against that role's policies in the plan; the jobs' creation is authorized
    against the pipeline's role, as SageMaker Pipelines creates them with it.
    """

    def __init__(
        self,
        definition: Mapping[str, Any],
        *,
        s3: Any,
        sagemaker: Any,
        work_dir: Path,
        environment: Mapping[str, str] | None = None,
        lambda_handlers: Mapping[str, str] | None = None,
        python: str = sys.executable,
        on_step: Callable[[StepRecord], None] | None = None,
        iam_check: LocalIamCheck | None = None,
    ):
        self._definition = definition
        self._plan = execution_plan(definition)
        self._s3 = s3
        self._sagemaker = sagemaker
        self._work_dir = Path(work_dir)
        self._environment = dict(environment or {})
        self._lambda_handlers = dict(lambda_handlers or {})
        self._python = python
        self._on_step = on_step or (lambda record: None)
        self._iam_check = iam_check

    @property
    def step_names(self) -> list[str]:
        """The definition's steps in the order this executor runs them."""
        return [step.name for step in self._plan]

    def run(
        self, *, pipeline_name: str, role_arn: str, parameters: Mapping[str, Any] | None = None
    ) -> ExecutionResult:
        """Register the pipeline and an execution in the cloud, then run every step whose turn comes."""
        values = resolve_parameters(self._definition, parameters or {})
        pipeline_arn = upsert_pipeline(self._sagemaker, pipeline_name, self._definition, role_arn)
        execution_arn = start_execution(self._sagemaker, pipeline_name, parameters or {})
        execution_id = execution_arn.rsplit("/", 1)[-1]
        started_at = _now()
        variables = {
            "PipelineExecutionId": execution_id,
            "PipelineExecutionArn": execution_arn,
            "PipelineName": pipeline_name,
            "StartDateTime": started_at.isoformat(),
            "CurrentDateTime": started_at.isoformat(),
        }
        records = {step.name: StepRecord(step.name, step.definition["Type"]) for step in self._plan}
        properties: dict[str, dict[str, Any]] = {}
        property_files: dict[tuple[str, str], Any] = {}

        def step_properties(name: str) -> Mapping[str, Any]:
            if name not in properties:
                raise ExpressionError(
                    f"step {name} has not produced properties (status {records[name].status})"
                )
            return properties[name]

        def property_file(step_name: str, file_name: str) -> Any:
            if (step_name, file_name) not in property_files:
                raise ExpressionError(f"step {step_name} has no property file {file_name}")
            return property_files[(step_name, file_name)]

        resolver = Resolver(values, variables, step_properties, property_file)
        run = _Run(self, execution_id, resolver, properties, property_files, role_arn)
        failure_reason = None
        for step in self._plan:
            record = records[step.name]
            if failure_reason is not None or not self._may_run(step, records, properties):
                continue
            record.status, record.started_at = EXECUTING, _now()
            self._on_step(record)
            try:
                run.execute(step.definition, record)
                record.status = SUCCEEDED
            except (
                StepFailed,
                ExpressionError,
                TrainingJobError,
                IamCheckError,
                ValueError,
                TypeError,
                OSError,
                ClientError,
                BotoCoreError,
            ) as error:
                record.status, record.failure_reason = FAILED, str(error)
                failure_reason = f"step {step.name} failed: {error}"
                if step.definition["Type"] == "Fail":
                    failure_reason = str(error)
            record.ended_at = _now()
            if self._iam_check is not None:
                calls = self._iam_check.calls(step.name)
                record.iam_calls, record.iam_denied = len(calls), sum(not call["allowed"] for call in calls)
            self._on_step(record)
        return ExecutionResult(
            pipeline_name=pipeline_name,
            pipeline_arn=pipeline_arn,
            execution_arn=execution_arn,
            execution_id=execution_id,
            parameters=values,
            status=FAILED if failure_reason else SUCCEEDED,
            failure_reason=failure_reason,
            started_at=started_at,
            ended_at=_now(),
            steps=[records[step.name] for step in self._plan],
            iam=self._iam_check.report().to_json() if self._iam_check is not None else None,
        )

    @staticmethod
    def _may_run(
        step: PlannedStep, records: Mapping[str, StepRecord], properties: Mapping[str, Mapping[str, Any]]
    ) -> bool:
        if any(records[name].status != SUCCEEDED for name in step.depends_on):
            return False
        if step.branch is not None:
            condition, wanted = step.branch
            return properties[condition]["Outcome"] is wanted
        return True


class _Run:
    """The per-execution state and the handlers of each step type."""

    def __init__(
        self,
        executor: LocalExecutor,
        execution_id: str,
        resolver: Resolver,
        properties: dict[str, dict[str, Any]],
        property_files: dict[tuple[str, str], Any],
        pipeline_role_arn: str,
    ):
        self.executor = executor
        self.pipeline_role_arn = pipeline_role_arn
        self.execution_id = execution_id
        self.resolver = resolver
        self.properties = properties
        self.property_files = property_files

    def execute(self, step: Mapping[str, Any], record: StepRecord) -> None:
        handler = {
            "Processing": self._processing,
            "Training": self._training,
            "Condition": self._condition,
            "Fail": self._fail,
            "Lambda": self._lambda,
        }[step["Type"]]
        handler(step, record)

    # -- container steps ---------------------------------------------------------------------------------------

    def _job_name(self, step_name: str) -> str:
        # SageMaker names a pipeline's jobs after the execution and the step; job names allow 63 characters.
        return f"pipelines-{self.execution_id}-{step_name}"[:63].rstrip("-")

    def _root(self, step_name: str) -> Path:
        root = self.executor._work_dir / self.execution_id / step_name
        root.mkdir(parents=True, exist_ok=True)
        return root

    def _command(self, command: Sequence[str], root: Path) -> list[str]:
        """The container command on this host: the image's `python` is ours, /opt/ml/... lies under `root`."""
        if not command:
            raise StepFailed("the step has no ContainerEntrypoint to run")
        local = [_local_path(root, item) if isinstance(item, str) else as_text(item) for item in command]
        if PurePosixPath(local[0]).name in ("python", "python3"):
            local[0] = self.executor._python
        return local

    def _processing(self, step: Mapping[str, Any], record: StepRecord) -> None:
        name = step["Name"]
        arguments = self.resolver.resolve(step["Arguments"])
        job_name = self._job_name(name)
        self._authorize_job(name, "CreateProcessingJob", {"ProcessingJobName": job_name, **arguments})
        # Recording the job in the cloud also has botocore check the resolved request against the API's shapes.
        job_arn = self.executor._sagemaker.create_processing_job(ProcessingJobName=job_name, **arguments)[
            "ProcessingJobArn"
        ]
        root = self._root(name)
        for item in arguments.get("ProcessingInputs", []):
            source = item.get("S3Input")
            if source is None or source.get("S3DataType", "S3Prefix") != "S3Prefix":
                raise StepFailed(
                    f"input {item.get('InputName')!r}: only S3Prefix S3Input is supported locally"
                )
            with self._service_acting_as(name, arguments["RoleArn"]):
                download_prefix(
                    self.executor._s3, source["S3Uri"], Path(_local_path(root, source["LocalPath"]))
                )
        outputs = arguments.get("ProcessingOutputConfig", {}).get("Outputs", [])
        for item in outputs:
            Path(_local_path(root, item["S3Output"]["LocalPath"])).mkdir(parents=True, exist_ok=True)
        application = arguments["AppSpecification"]
        command = self._command(
            [*application.get("ContainerEntrypoint", []), *application.get("ContainerArguments", [])], root
        )
        record.log_file = root / "logs.txt"
        command, environment = self._as_role(
            name, arguments["RoleArn"], command, arguments.get("Environment", {})
        )
        self._run_process(
            command,
            environment,
            record.log_file,
            arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds"),
            job_name,
        )
        kms_key_id = arguments.get("ProcessingOutputConfig", {}).get("KmsKeyId")
        for item in outputs:
            with self._service_acting_as(name, arguments["RoleArn"]):
                upload_directory(
                    self.executor._s3,
                    Path(_local_path(root, item["S3Output"]["LocalPath"])),
                    item["S3Output"]["S3Uri"],
                    kms_key_id,
                )
        record.outputs = {"job_name": job_name}
        for item in step.get("PropertyFiles", []):
            output = next((o for o in outputs if o["OutputName"] == item["OutputName"]), None)
            if output is None:
                raise StepFailed(
                    f"property file {item['PropertyFileName']} names unknown output {item['OutputName']!r}"
                )
            path = Path(_local_path(root, output["S3Output"]["LocalPath"])) / item["FilePath"]
            try:
                document = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as error:
                raise StepFailed(
                    f"property file {item['PropertyFileName']} ({item['FilePath']}): {error}"
                ) from None
            self.property_files[(step["Name"], item["PropertyFileName"])] = document
            record.outputs[item["PropertyFileName"]] = document
        self.properties[name] = {
            "ProcessingJobName": job_name,
            "ProcessingJobArn": job_arn,
            "ProcessingJobStatus": "Completed",
            "ProcessingOutputConfig": {"Outputs": list(outputs)},
        }

    def _training(self, step: Mapping[str, Any], record: StepRecord) -> None:
        name = step["Name"]
        arguments = self.resolver.resolve(step["Arguments"])
        job_name = self._job_name(name)
        self._authorize_job(name, "CreateTrainingJob", {"TrainingJobName": job_name, **arguments})
        job_arn = self.executor._sagemaker.create_training_job(TrainingJobName=job_name, **arguments)[
            "TrainingJobArn"
        ]
        root = self._root(name)
        algorithm = arguments["AlgorithmSpecification"]
        command = self._command(
            [*algorithm.get("ContainerEntrypoint", []), *algorithm.get("ContainerArguments", [])], root
        )
        channels = {
            channel["ChannelName"]: channel["DataSource"]["S3DataSource"]["S3Uri"]
            for channel in arguments.get("InputDataConfig", [])
        }
        output_config = arguments["OutputDataConfig"]
        record.log_file = root / "logs.txt"
        command, environment = self._as_role(
            name, arguments["RoleArn"], command, arguments.get("Environment", {})
        )
        # SageMaker stages the channels and uploads the model with the job's role.
        with self._service_acting_as(name, arguments["RoleArn"]):
            run = run_training_job(
                self.executor._s3,
                job_name=job_name,
                command=command,
                channels=channels,
                hyperparameters=arguments.get("HyperParameters", {}),
                output_path=output_config["S3OutputPath"],
                layout=TrainingJobLayout(root / "opt" / "ml"),
                kms_key_id=output_config.get("KmsKeyId"),
                environment={**self.executor._environment, **environment},
                # This host stands in for one instance; multi-instance DDP needs real hosts (or torchrun).
                hosts=[LOCAL_HOST],
                log_file=record.log_file,
                timeout_s=arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds"),
            )
        record.outputs = {
            "job_name": job_name,
            "model_uri": run.model_uri,
            "metrics": run.metrics,
            "instance_count": arguments.get("ResourceConfig", {}).get("InstanceCount"),
            "local_hosts": 1,
        }
        self.properties[name] = {
            "TrainingJobName": job_name,
            "TrainingJobArn": job_arn,
            "TrainingJobStatus": "Completed",
            "ModelArtifacts": {"S3ModelArtifacts": run.model_uri},
            "OutputDataConfig": output_config,
            "HyperParameters": arguments.get("HyperParameters", {}),
        }

    def _lambda(self, step: Mapping[str, Any], record: StepRecord) -> None:
        name = step["Name"]
        function_name = step.get("FunctionArn", "").split(":")[-1]
        handler = self.executor._lambda_handlers.get(function_name)
        if handler is None:
            raise StepFailed(
                f"no local handler for Lambda function {function_name!r} "
                f"(known: {', '.join(sorted(self.executor._lambda_handlers)) or 'none'})"
            )
        event = self.resolver.resolve(step.get("Arguments", {}))
        if self.executor._iam_check is not None:
            # SageMaker Pipelines invokes the function with the pipeline's role.
            self.executor._iam_check.service_guard(name, self.pipeline_role_arn).authorize(
                "lambda.Invoke",
                [AuthorizationRequest("lambda:InvokeFunction", step["FunctionArn"])],
                "AccessDeniedException",
                "lambda",
            )
        root = self._root(name)
        event_file, result_file = root / "event.json", root / "response.json"
        event_file.write_text(json.dumps(event, indent=2))
        record.log_file = root / "logs.txt"
        command = [
            self.executor._python,
            "-c",
            _LAMBDA_INVOCATION,
            handler,
            str(event_file),
            str(result_file),
        ]
        environment = {"AWS_LAMBDA_FUNCTION_NAME": function_name}
        if self.executor._iam_check is not None:
            role_arn = self.executor._iam_check.role_policies.lambda_role(function_name)
            command, environment = self._as_role(name, role_arn, command, environment)
        self._run_process(command, environment, record.log_file, None, function_name)
        response = json.loads(result_file.read_text())
        if not isinstance(response, dict):
            raise StepFailed(f"Lambda {function_name} returned {type(response).__name__}, not a JSON object")
        values = {}
        for output in step.get("OutputParameters", []):
            key = output["OutputName"]
            if key not in response:
                raise StepFailed(
                    f"Lambda {function_name} returned no output {key!r} (got {sorted(response)})"
                )
            values[key] = _typed(response[key], output.get("OutputType", "String"), f"output {key}")
        record.outputs = {"function": function_name, "handler": handler, **values}
        self.properties[name] = {"OutputParameters": values}

    def _authorize_job(self, step_name: str, operation: str, request: Mapping[str, Any]) -> None:
        """SageMaker Pipelines creates a step's job with the pipeline's role: authorize it as AWS would."""
        check = self.executor._iam_check
        if check is not None:
            sagemaker = self.executor._sagemaker
            check.service_guard(step_name, self.pipeline_role_arn).authorize_boto3(
                sagemaker.meta.service_model, operation, request, sagemaker.meta.region_name
            )

    def _service_acting_as(self, step_name: str, role_arn: str) -> contextlib.AbstractContextManager:
        """The executor's S3 calls in the block are SageMaker's for the job: authorized as the job's role."""
        check = self.executor._iam_check
        if check is None:
            return contextlib.nullcontext()
        return acting_as(check.service_guard(step_name, role_arn), self.executor._s3)

    def _as_role(
        self, step_name: str, role_arn: str, command: list[str], environment: Mapping[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        """The command and environment that make the step's process act as `role_arn` under the IAM check."""
        check = self.executor._iam_check
        if check is None:
            return command, dict(environment)
        return check.wrap(command), {**environment, **check.step_environment(step_name, role_arn)}

    def _run_process(
        self,
        command: list[str],
        step_environment: Mapping[str, str],
        log_file: Path,
        timeout_s: float | None,
        job_name: str,
    ) -> None:
        environment = {**os.environ, **self.executor._environment, **step_environment}
        try:
            with open(log_file, "w") as log:
                completed = subprocess.run(
                    command,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=timeout_s,
                    check=False,
                )
        except subprocess.TimeoutExpired:
            raise StepFailed(f"{job_name} ran past its {timeout_s} s stopping condition") from None
        if completed.returncode != 0:
            tail = log_file.read_text()[-LOG_TAIL_CHARS:].strip()
            raise StepFailed(f"{job_name} exited with {completed.returncode}" + (f"\n{tail}" if tail else ""))

    # -- control steps -----------------------------------------------------------------------------------------

    def _condition(self, step: Mapping[str, Any], record: StepRecord) -> None:
        checks: list[dict[str, Any]] = []
        # A list, not a generator: every condition is evaluated so the record shows each check, not only the first
        # that failed.
        outcome = all(
            [self._evaluate(condition, checks) for condition in step["Arguments"].get("Conditions", [])]
        )
        record.outputs = {"Outcome": outcome, "conditions": checks}
        self.properties[step["Name"]] = {"Outcome": outcome}

    def _evaluate(self, condition: Mapping[str, Any], checks: list[dict[str, Any]]) -> bool:
        kind = condition.get("Type")
        if kind in _COMPARISONS:
            left = self.resolver.resolve(condition["LeftValue"])
            right = self.resolver.resolve(condition["RightValue"])
            try:
                result = bool(_COMPARISONS[kind](left, right))
            except TypeError:
                raise StepFailed(f"{kind} cannot compare {left!r} with {right!r}") from None
            checks.append({"type": kind, "left": left, "right": right, "result": result})
            return result
        if kind == "Not":
            return not self._evaluate(condition["Expression"], checks)
        if kind == "Or":
            return any([self._evaluate(item, checks) for item in condition["Conditions"]])
        if kind == "In":
            value, candidates = (
                self.resolver.resolve(condition["QueryValue"]),
                self.resolver.resolve(condition["Values"]),
            )
            result = value in candidates
            checks.append({"type": kind, "left": value, "right": candidates, "result": result})
            return result
        raise StepFailed(f"unsupported condition type {kind!r}")

    def _fail(self, step: Mapping[str, Any], record: StepRecord) -> None:
        message = as_text(self.resolver.resolve(step.get("Arguments", {}).get("ErrorMessage", "")))
        record.outputs = {"error_message": message}
        raise StepFailed(message)


def _cache_enabled(step: Mapping[str, Any]) -> bool:
    return bool(step.get("CacheConfig", {}).get("Enabled", False))


def resolve_parameters(definition: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The definition's parameter defaults with `overrides` applied, each converted to its declared type."""
    declared = {item["Name"]: item for item in definition.get("Parameters", [])}
    unknown = sorted(set(overrides) - declared.keys())
    if unknown:
        raise DefinitionError(
            f"unknown pipeline parameter(s) {', '.join(unknown)} (declared: {', '.join(declared) or 'none'})"
        )
    values = {}
    for name, item in declared.items():
        if name in overrides:
            values[name] = _typed(overrides[name], item.get("Type", "String"), f"parameter {name}")
        elif "DefaultValue" in item:
            values[name] = item["DefaultValue"]
        else:
            raise DefinitionError(f"parameter {name} has no default and no value was given")
    return values


def _typed(value: Any, kind: str, what: str) -> Any:
    try:
        if kind == "Integer":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind == "Float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind == "Boolean":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError
    except (TypeError, ValueError):
        raise DefinitionError(f"{what}: {value!r} is not a valid {kind}") from None
    return str(value)


def _local_path(root: Path, value: str) -> str:
    """A container path under /opt/ml/ mapped into `root`; any other string unchanged."""
    if value.startswith(CONTAINER_ROOT):
        return str(root / value.lstrip("/"))
    return value


def _now() -> datetime:
    return datetime.now(timezone.utc)
