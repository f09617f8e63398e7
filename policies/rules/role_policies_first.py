"""Resources that run under a role wait for that role's policies: AWS checks the permissions when it creates them."""

from __future__ import annotations

from modelyard.policies.dependency_graph import waits_for
from modelyard.policies.resources import StackResources, refers_to
from modelyard.policies.rule import MANDATORY, Finding, NotApplicable, StackRule

ROLE_TYPES = frozenset({"aws:iam/role:Role"})
ROLE_POLICY_TYPES = frozenset(
    {"aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"}
)
# Resource type -> the input naming the role it runs under (top level: per-property dependencies are kept there).
# Each is checked at creation: Lambda's CreateFunction verifies the VPC ENI permissions, SageMaker's CreateModel
# and CreatePipeline validate the role, EKS uses its role to create the control plane's ENIs, node groups
# launch instances with theirs, flow logs and schedules deliver through theirs from the first minute.
ROLE_INPUTS = {
    "aws:lambda/function:Function": "role",
    "aws:sagemaker/model:Model": "executionRoleArn",
    "aws:sagemaker/pipeline:Pipeline": "roleArn",
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": "roleArn",
    "aws:eks/cluster:Cluster": "roleArn",
    "aws:eks/nodeGroup:NodeGroup": "nodeRoleArn",
    "aws:ec2/flowLog:FlowLog": "iamRoleArn",
    "aws:scheduler/schedule:Schedule": "target",
    "aws:cloudwatch/eventTarget:EventTarget": "roleArn",
}


def _policies_first(stack: StackResources) -> list[Finding] | NotApplicable:
    users = stack.of_types(ROLE_INPUTS)
    roles = stack.of_types(ROLE_TYPES)
    if not users or not roles:
        return NotApplicable("no resource runs under a role of this stack")
    policies = stack.of_types(ROLE_POLICY_TYPES)
    findings = []
    for resource in users:
        prop = ROLE_INPUTS[resource.type]
        for role in roles:
            if not refers_to(resource, role, prop):
                continue
            before = waits_for(stack, resource)
            missing = sorted(
                policy.name
                for policy in policies
                if refers_to(policy, role, "role") and policy.urn not in before
            )
            if missing:
                findings.append(
                    Finding(
                        resource.urn,
                        (
                            f"{prop} names role {role.name}, but this resource does not wait for the role's policies "
                            f"{', '.join(missing)}: AWS checks the role's permissions when it creates the resource"
                        ),
                    )
                )
    return findings


RULE = StackRule(
    id="MY-DEP-003",
    description="Resources that run under a role depend on every policy of that role.",
    severity="high",
    anchors=("Lambda CreateFunction: execution role ENI permissions", "IAM eventual consistency"),
    levels=MANDATORY,
    check=_policies_first,
)

RULES = (RULE,)
