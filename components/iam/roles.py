"""PlatformRoles: the SageMaker, pipeline, deploy and CI roles of the platform, each with its own policy."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from modelyard.components.iam.account_context import AccountContext
from modelyard.components.iam.github_oidc import GITHUB_OIDC_HOST
from modelyard.components.iam.network_interfaces import (
    LAMBDA_DESCRIBE_ACTIONS,
    LAMBDA_ENI_ACTIONS,
    SAGEMAKER_DESCRIBE_ACTIONS,
    SAGEMAKER_ENI_ACTIONS,
    RoleNetwork,
    network_interface_statements,
)
from modelyard.components.iam.policy_documents import (
    Statement,
    attach_policy,
    policy_document,
    service_trust_policy,
)
from modelyard.components.tagging import tag_problems
from modelyard.components.validation import raise_for_problems

# Every `"Resource": "*"` below uses only actions the policy pack documents as needing it
# (modelyard.policies.wildcard_resource_exceptions), and says why next to the statement.
# Reads behind the data-plane components' provider invokes; `pulumi preview` needs nothing else from AWS
# (sts:GetCallerIdentity needs no permission).
PREVIEW_ACTIONS = [
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeVpcs",
    "ec2:DescribePrefixLists",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeVpcEndpointServices",
    # ContainerImages asks for a registry token even when the preview builds nothing.
    "ecr:GetAuthorizationToken",
]


_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
_REPOSITORY = re.compile(r"^[\w.-]+/[\w.-]+$")
_BRANCH = re.compile(r"^[\w./-]+$")
# GitHub environment names: no ':' (it separates the OIDC subject's fields) and no wildcards.
_ENVIRONMENT = re.compile(r"^[\w.-](?:[\w. -]{0,253}[\w.-])?$")


@dataclass
class PlatformRolesArgs:
    """Who the platform's roles are for and what they may touch."""

    resource_prefix: str
    """Prefix of the SageMaker and Lambda names the pipeline, deploy and CI roles may act on. Required."""
    github_repository: str
    """owner/name of the GitHub repository whose Actions may assume the CI roles. Required."""
    tags: dict[str, str]
    """Tags on every role (project, environment, owner, cost-center). Required."""
    github_oidc_provider_arn: pulumi.Input[str]
    """The account's GitHub OIDC provider (an account holds one per URL: see AccountSingletons). Required."""
    network: RoleNetwork
    """The VPC, subnets and security groups the roles' SageMaker jobs, endpoint and deploy Lambda attach their
    network interfaces to: the only place their ENI rights reach. Required."""
    github_deploy_branch: str = "main"
    """Branch whose workflow runs may assume the release role (and the preview role). Default main."""
    github_environment: str | None = None
    """GitHub environment the release jobs run in; the release role trusts only its subject.
    Default None: trust the deploy branch ref."""
    model_package_group_name: pulumi.Input[str] | None = None
    """Model package group the pipeline registers into. Default None: no registration rights."""
    deploy_function_arn: pulumi.Input[str] | None = None
    """Lambda the pipeline's deploy step invokes (running as `deploy_role`). Default None: no invoke."""
    ci_session_hours: int = 1
    """Maximum session length of the CI roles, in hours (1-12). Default 1."""
    extra_pass_role_arns: list[pulumi.Input[str]] = field(default_factory=list)
    """Further roles the pipeline may pass to SageMaker (besides training and execution). Default []."""
    step_metric_namespaces: list[str] = field(default_factory=list)
    """CloudWatch namespaces the pipeline's processing steps publish to (the drift monitor's). Default []."""

    def problems(self) -> list[str]:
        found = tag_problems(self.tags) + self.network.problems()
        if not _PREFIX.match(self.resource_prefix):
            found.append(
                f"resource_prefix: {self.resource_prefix!r} must be 2-41 lowercase letters, digits or "
                "hyphens, starting with a letter (SageMaker ARNs are lowercase)"
            )
        if not _REPOSITORY.match(self.github_repository):
            found.append(f"github_repository: {self.github_repository!r} must look like owner/name")
        if not _BRANCH.match(self.github_deploy_branch) or "*" in self.github_deploy_branch:
            found.append(
                f"github_deploy_branch: {self.github_deploy_branch!r} must be one branch name, no wildcards"
            )
        if self.github_environment is not None and not _ENVIRONMENT.match(self.github_environment):
            found.append(
                f"github_environment: {self.github_environment!r} must be one GitHub environment name "
                "(letters, digits, '.', '-', '_', inner spaces; at most 255), no ':' or wildcards"
            )
        if not 1 <= self.ci_session_hours <= 12:
            found.append(f"ci_session_hours: {self.ci_session_hours} must be between 1 and 12")
        for namespace in self.step_metric_namespaces:
            # CloudWatch namespaces: 1-255 characters, none of them '*' or ':' (PutMetricData's Namespace shape).
            if not 0 < len(namespace) <= 255 or any(char in namespace for char in "*:?"):
                found.append(f"step_metric_namespaces: {namespace!r} is not a CloudWatch namespace")
        return found


class PlatformRoles(pulumi.ComponentResource):
    """SageMaker training and execution roles, the SageMaker Pipeline role, the deploy Lambda's role, and two
    GitHub OIDC CI roles.

    Service roles carry only what the service itself needs (logs, metrics, VPC ENIs); data and image
    access come from the other components' grant helpers (`store.grant_read(roles.training_role, ...)`).
    `deploy_role` runs the pipeline's deploy Lambda (`modelyard.pipelines.steps.deploy.lambda_handler`) in
    the VPC: it creates models and endpoint configs, creates/updates/rolls back and smoke-tests the endpoint,
    all named `<resource_prefix>*`, and passes only the execution role to SageMaker; the Lambda must be named
    `<resource_prefix>*` too (its log group). Its S3 and KMS access also comes from the grant helpers
    (`key.grant_encrypt_decrypt(roles.deploy_role)` lets the endpoint hold a grant on the capture key).

    CI gets two roles: `ci_preview_role` for pull requests and the deploy branch (read-only, enough
    for `pulumi preview`), and `ci_release_role` for releases (push images, start the pipeline). Neither
    may run `pulumi up`: platform engineers deploy with their own credentials. GitHub puts the job's
    context in the OIDC token's `sub`: `repo:OWNER/REPO:pull_request` for pull requests,
    `repo:OWNER/REPO:ref:refs/heads/BRANCH` for a push, but `repo:OWNER/REPO:environment:NAME` for any
    job that names an `environment:`. So the release role trusts the deploy branch's ref by default, and
    only `repo:OWNER/REPO:environment:<github_environment>` when that is set; the environment's deployment
    branch rule (set it to the deploy branch in GitHub) and its reviewers then decide which runs release,
    since that subject no longer names the branch. The preview role keeps the pull-request and branch
    subjects.
    """

    training_role: aws.iam.Role
    execution_role: aws.iam.Role
    pipeline_role: aws.iam.Role
    deploy_role: aws.iam.Role
    ci_preview_role: aws.iam.Role
    ci_release_role: aws.iam.Role
    training_role_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    pipeline_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    ci_preview_role_arn: pulumi.Output[str]
    ci_release_role_arn: pulumi.Output[str]
    github_oidc_provider_arn: pulumi.Output[str]
    policies: dict[str, list[aws.iam.RolePolicy]]
    """The policies this component attaches, by role: training, execution, pipeline, deploy, ci_preview, ci_release
    (grant helpers of other components add more; what runs under a role waits for all of them)."""

    def __init__(self, name: str, args: PlatformRolesArgs, opts: pulumi.ResourceOptions | None = None):
        problems = args.problems()
        if not _NAME.match(name):
            problems.insert(
                0, f"name: {name!r} must be 2-32 lowercase letters, digits or hyphens (IAM role names)"
            )
        raise_for_problems("PlatformRoles", name, problems)
        super().__init__("modelyard:iam:PlatformRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = AccountContext.lookup(self)
        self.policies = {}
        # One trust for the three roles SageMaker assumes: its service, for this account's SageMaker resources only.
        sagemaker_trust = service_trust_policy(
            "sagemaker.amazonaws.com", account, account.arn("sagemaker", "*")
        )

        self.training_role = aws.iam.Role(
            f"{name}-sagemaker-training",
            aws.iam.RoleArgs(
                description="SageMaker training jobs (the pipeline's training step)",
                assume_role_policy=sagemaker_trust,
                tags=args.tags,
            ),
            opts=child,
        )
        self.policies["training"] = [
            attach_policy(
                f"{name}-sagemaker-training-runtime",
                self.training_role,
                _sagemaker_runtime_statements(
                    account, "TrainingJobs", args.network, args.network.training_security_group_ids
                ),
                self,
            )
        ]
        self.execution_role = aws.iam.Role(
            f"{name}-sagemaker-execution",
            aws.iam.RoleArgs(
                description="SageMaker models and endpoints (inference execution role)",
                assume_role_policy=sagemaker_trust,
                tags=args.tags,
            ),
            opts=child,
        )
        self.policies["execution"] = [
            attach_policy(
                f"{name}-sagemaker-execution-runtime",
                self.execution_role,
                _sagemaker_runtime_statements(
                    account, "Endpoints", args.network, args.network.inference_security_group_ids
                ),
                self,
            )
        ]

        self.pipeline_role = aws.iam.Role(
            f"{name}-pipeline",
            aws.iam.RoleArgs(
                description="SageMaker Pipelines execution role: runs the training pipeline's steps",
                assume_role_policy=sagemaker_trust,
                tags=args.tags,
            ),
            opts=child,
        )
        self.policies["pipeline"] = [
            attach_policy(
                f"{name}-pipeline-steps",
                self.pipeline_role,
                _pipeline_statements(
                    account,
                    args,
                    # The processing steps run as the pipeline role itself, which SageMaker Pipelines passes to
                    # CreateProcessingJob: passing it needs iam:PassRole on it like any other role.
                    passable_roles=[
                        self.training_role.arn,
                        self.execution_role.arn,
                        self.pipeline_role.arn,
                        *args.extra_pass_role_arns,
                    ],
                ),
                self,
            )
        ]
        # The pipeline's processing steps run as this role: SageMaker writes their logs, creates their ENIs
        # in the VPC and (with the grant from ModelRegistry.grant_pull) pulls their image on its behalf.
        self.policies["pipeline"].append(
            attach_policy(
                f"{name}-pipeline-processing-runtime",
                self.pipeline_role,
                _sagemaker_runtime_statements(
                    account,
                    "ProcessingJobs",
                    args.network,
                    args.network.training_security_group_ids,
                    args.step_metric_namespaces,
                ),
                self,
            )
        )

        self.deploy_role = aws.iam.Role(
            f"{name}-deploy",
            aws.iam.RoleArgs(
                description="The pipeline's deploy Lambda: serve, smoke-test and roll back the endpoint",
                # Any Lambda of this account may assume it, but creating one with it needs iam:PassRole.
                assume_role_policy=service_trust_policy("lambda.amazonaws.com", account),
                tags=args.tags,
            ),
            opts=child,
        )
        self.policies["deploy"] = [
            attach_policy(
                f"{name}-deploy-endpoint",
                self.deploy_role,
                _deploy_statements(account, args, self.execution_role.arn),
                self,
            )
        ]

        self.github_oidc_provider_arn = pulumi.Output.from_input(args.github_oidc_provider_arn)

        repository = args.github_repository
        deploy_ref = f"refs/heads/{args.github_deploy_branch}"
        deploy_subject = f"repo:{repository}:ref:{deploy_ref}"
        if args.github_environment is None:
            release_subject, released_from = deploy_subject, deploy_ref
        else:
            # Only the environment's subject: a job on the deploy branch that skips the environment
            # (and its reviewers) gets the ref subject, which must not release.
            release_subject = f"repo:{repository}:environment:{args.github_environment}"
            released_from = f"environment {args.github_environment}"
        self.ci_preview_role = aws.iam.Role(
            f"{name}-ci-preview",
            aws.iam.RoleArgs(
                description=f"GitHub Actions of {repository}, PRs and {deploy_ref}: preview only",
                assume_role_policy=self._github_trust([f"repo:{repository}:pull_request", deploy_subject]),
                max_session_duration=args.ci_session_hours * 3600,
                tags=args.tags,
            ),
            opts=child,
        )
        self.policies["ci_preview"] = [
            attach_policy(
                f"{name}-ci-preview-read",
                self.ci_preview_role,
                [
                    {
                        "Sid": "PreviewInvokes",
                        "Effect": "Allow",
                        # What the data-plane components' invokes read during `pulumi preview`
                        # (zones, an existing VPC, the S3 prefix list); Describe has no resource type.
                        "Action": PREVIEW_ACTIONS,
                        "Resource": "*",
                    },
                    {
                        "Sid": "ReadGithubProvider",
                        "Effect": "Allow",
                        # Stacks that do not own the provider look it up by its ARN during preview.
                        "Action": "iam:GetOpenIDConnectProvider",
                        "Resource": self.github_oidc_provider_arn,
                    },
                ],
                self,
            )
        ]
        self.ci_release_role = aws.iam.Role(
            f"{name}-ci-release",
            aws.iam.RoleArgs(
                description=f"GitHub Actions of {repository}, {released_from}: push images, start pipelines",
                assume_role_policy=self._github_trust([release_subject]),
                max_session_duration=args.ci_session_hours * 3600,
                tags=args.tags,
            ),
            opts=child,
        )
        prefix = args.resource_prefix
        self.policies["ci_release"] = [
            attach_policy(
                f"{name}-ci-release-pipeline",
                self.ci_release_role,
                [
                    {
                        "Sid": "StartPipeline",
                        "Effect": "Allow",
                        "Action": ["sagemaker:StartPipelineExecution", "sagemaker:DescribePipeline"],
                        "Resource": account.arn("sagemaker", f"pipeline/{prefix}*"),
                    },
                    {
                        "Sid": "FollowExecution",
                        "Effect": "Allow",
                        "Action": [
                            "sagemaker:DescribePipelineExecution",
                            "sagemaker:ListPipelineExecutionSteps",
                            "sagemaker:StopPipelineExecution",
                        ],
                        "Resource": account.arn("sagemaker", f"pipeline/{prefix}*/execution/*"),
                    },
                ],
                self,
            )
        ]

        self.training_role_arn = self.training_role.arn
        self.execution_role_arn = self.execution_role.arn
        self.pipeline_role_arn = self.pipeline_role.arn
        self.deploy_role_arn = self.deploy_role.arn
        self.ci_preview_role_arn = self.ci_preview_role.arn
        self.ci_release_role_arn = self.ci_release_role.arn
        self.register_outputs(
            {
                "training_role_arn": self.training_role_arn,
                "execution_role_arn": self.execution_role_arn,
                "pipeline_role_arn": self.pipeline_role_arn,
                "deploy_role_arn": self.deploy_role_arn,
                "ci_preview_role_arn": self.ci_preview_role_arn,
                "ci_release_role_arn": self.ci_release_role_arn,
                "github_oidc_provider_arn": self.github_oidc_provider_arn,
            }
        )

    def _github_trust(self, subjects: list[str]) -> pulumi.Output[str]:
        return policy_document(
            [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": self.github_oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                            # Exact subjects, no wildcards: one repository; named events, branch, environment.
                            f"{GITHUB_OIDC_HOST}:sub": subjects,
                        }
                    },
                }
            ]
        )


def _log_group_arns(account: AccountContext, pattern: str) -> list[pulumi.Output[str]]:
    """Log groups matching `pattern` (for CreateLogStream) and their streams (for PutLogEvents)."""
    groups = account.arn("logs", f"log-group:{pattern}")
    return [groups, pulumi.Output.concat(groups, ":log-stream:*")]


def _model_packages_arn(account: AccountContext, group: pulumi.Input[str]) -> pulumi.Output[str]:
    """Every version in one model package group."""
    return account.arn("sagemaker", pulumi.Output.concat("model-package/", group, "/*"))


def _sagemaker_runtime_statements(
    account: AccountContext,
    kind: str,
    network: RoleNetwork,
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
    own_metric_namespaces: list[str] | None = None,
) -> list[Statement]:
    """What a SageMaker job or endpoint role needs from the service itself: logs, metrics, VPC ENIs.

    AWS's "SageMaker AI execution roles" page (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html,
    sections "CreateProcessingJob API: Execution Role Permissions", "CreateTrainingJob API: ...", "CreateModel
    API: ...") lists cloudwatch:PutMetricData, logs:CreateLogGroup/CreateLogStream/PutLogEvents/DescribeLogStreams,
    the ECR pull actions (ModelRegistry.grant_pull) and, with a VpcConfig, the EC2 ENI actions (scoped to
    `network`'s subnets and VPC and `security_group_ids`: network_interfaces.py); the KMS actions for the keys in use
    come from EncryptionKey.grant_encrypt_decrypt. `own_metric_namespaces` are the namespaces the job's own code
    publishes to.
    """
    namespaces = [f"/aws/sagemaker/{kind}*", *(own_metric_namespaces or [])]
    return [
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            "Resource": _log_group_arns(account, f"/aws/sagemaker/{kind}*"),
        },
        {
            "Sid": "PutMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            # PutMetricData has no resource type; the namespace condition is its scope.
            "Resource": "*",
            "Condition": {
                "StringLike": {"cloudwatch:namespace": namespaces[0] if len(namespaces) == 1 else namespaces}
            },
        },
        # SageMaker creates, shares (CreateNetworkInterfacePermission) and deletes the job's or endpoint's ENIs
        # in our subnets on the role's behalf.
        *network_interface_statements(
            account, network, security_group_ids, SAGEMAKER_ENI_ACTIONS, SAGEMAKER_DESCRIBE_ACTIONS
        ),
    ]


def _pipeline_statements(
    account: AccountContext, args: PlatformRolesArgs, passable_roles: list[pulumi.Input[str]]
) -> list[Statement]:
    """Create and follow the jobs a SageMaker Pipeline runs, pass only our roles, invoke only our deploy."""

    def resources(kind: str) -> list[pulumi.Output[str]]:
        # SageMaker Pipelines names the jobs it starts `pipelines-<execution>-<step>-...`; jobs started
        # outside a pipeline carry the stack's resource prefix.
        return [
            account.arn("sagemaker", f"{kind}/pipelines-*"),
            account.arn("sagemaker", f"{kind}/{args.resource_prefix}*"),
        ]

    statements: list[Statement] = [
        {
            "Sid": "RunJobs",
            "Effect": "Allow",
            "Action": [
                "sagemaker:CreateProcessingJob",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:CreateTrainingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopTrainingJob",
                # Pipelines tag every job they create with the execution's ARN.
                "sagemaker:AddTags",
            ],
            "Resource": [*resources("processing-job"), *resources("training-job")],
        },
        {
            "Sid": "CreateModels",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:AddTags"],
            "Resource": resources("model"),
        },
        {
            "Sid": "PassOnlyPlatformRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": passable_roles,
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
    ]
    if args.model_package_group_name is not None:
        group = args.model_package_group_name
        statements.append(
            {
                "Sid": "RegisterModels",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreateModelPackage",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:UpdateModelPackage",
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:AddTags",
                ],
                "Resource": [
                    account.arn("sagemaker", pulumi.Output.concat("model-package-group/", group)),
                    _model_packages_arn(account, group),
                ],
            }
        )
        statements.append(
            {
                "Sid": "FindModelPackages",
                "Effect": "Allow",
                # Register looks for an existing package of the same artifact before creating one. The Service
                # Authorization Reference names model-package as an optional resource type of ListModelPackages but
                # AWS documents no ARN a List call is checked against; AmazonSageMakerModelRegistryFullAccess
                # grants it on "*" (policies/checkov-skips.txt, CKV_AWS_355).
                "Action": "sagemaker:ListModelPackages",
                "Resource": "*",
            }
        )
    if args.deploy_function_arn is not None:
        statements.append(
            {
                "Sid": "InvokeDeployStep",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": args.deploy_function_arn,
            }
        )
    return statements


def _deploy_statements(
    account: AccountContext, args: PlatformRolesArgs, execution_role_arn: pulumi.Input[str]
) -> list[Statement]:
    """What `pipelines.steps.deploy` calls, on the stack's prefixed names only, plus Lambda's VPC plumbing."""

    def serving(kind: str) -> pulumi.Output[str]:
        return account.arn("sagemaker", f"{kind}/{args.resource_prefix}*")

    statements: list[Statement] = [
        {
            "Sid": "ServeModels",
            "Effect": "Allow",
            "Action": [
                "sagemaker:CreateModel",
                "sagemaker:DescribeModel",
                "sagemaker:DeleteModel",
                "sagemaker:CreateEndpointConfig",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:DeleteEndpointConfig",
                "sagemaker:CreateEndpoint",
                "sagemaker:UpdateEndpoint",
                "sagemaker:DescribeEndpoint",
                # A failed first deploy deletes the endpoint it created (the rollback).
                "sagemaker:DeleteEndpoint",
                # CreateEndpoint passes tags, which SageMaker also authorizes as AddTags.
                "sagemaker:AddTags",
            ],
            # CreateEndpoint and UpdateEndpoint check the endpoint config as well as the endpoint.
            "Resource": [serving("model"), serving("endpoint-config"), serving("endpoint")],
        },
        {
            "Sid": "SmokeTest",
            "Effect": "Allow",
            "Action": "sagemaker:InvokeEndpoint",
            "Resource": serving("endpoint"),
        },
        {
            "Sid": "PassExecutionRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            # CreateModel names the execution role; nothing else may be handed to SageMaker.
            "Resource": execution_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            # TrainingPipeline creates the log group (retention, KMS), so no logs:CreateLogGroup.
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _log_group_arns(account, f"/aws/lambda/{args.resource_prefix}*"),
        },
        # Lambda creates the function's ENIs in its configured subnets with its security groups (the inference
        # ones: TrainingPipeline's deploy function), and deletes and re-addresses them.
        *network_interface_statements(
            account,
            args.network,
            args.network.inference_security_group_ids,
            LAMBDA_ENI_ACTIONS,
            LAMBDA_DESCRIBE_ACTIONS,
        ),
        {
            "Sid": "ReadGpuQuotas",
            "Effect": "Allow",
            # The GPU quota pre-flight (pipelines.quota) before a deploy on GPU instances; the Service
            # Authorization Reference lists no resource type for either List call.
            "Action": ["servicequotas:ListServiceQuotas", "servicequotas:ListAWSDefaultServiceQuotas"],
            "Resource": "*",
        },
        {
            "Sid": "WriteTraces",
            "Effect": "Allow",
            # The deploy function traces actively (AWS Lambda docs, "Visualize Lambda function invocations
            # using AWS X-Ray": the execution role needs these two); X-Ray defines no resource type for them.
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
    ]
    if args.model_package_group_name is not None:
        statements.append(
            {
                "Sid": "ReadModelPackages",
                "Effect": "Allow",
                # Read the version being deployed; UpdateModelPackage records its approval status.
                "Action": ["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"],
                "Resource": _model_packages_arn(account, args.model_package_group_name),
            }
        )
    return statements
