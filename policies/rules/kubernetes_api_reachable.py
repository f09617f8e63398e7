"""No Kubernetes resources behind a private-only EKS API in the same update: `pulumi up` could not reach it."""

from __future__ import annotations

from modelyard.policies.dependency_graph import waits_for
from modelyard.policies.resources import StackResources
from modelyard.policies.rule import MANDATORY, Finding, NotApplicable, StackRule
from modelyard.policies.values import lookup

CLUSTER_TYPES = frozenset({"aws:eks/cluster:Cluster"})
KUBERNETES_PROVIDER_TYPE = "pulumi:providers:kubernetes"


def _reachable(stack: StackResources) -> list[Finding] | NotApplicable:
    # endpointPublicAccess absent means public: EKS's default.
    private = [
        cluster
        for cluster in stack.of_types(CLUSTER_TYPES)
        if lookup(cluster.inputs, "vpcConfig", "endpointPublicAccess") is False
    ]
    if not private:
        return NotApplicable("no EKS cluster of this stack has a private-only API endpoint")
    providers = stack.of_types({KUBERNETES_PROVIDER_TYPE})
    applied = [resource for resource in stack.resources if resource.type.startswith("kubernetes:")]
    findings = []
    for cluster in private:
        through = [provider.name for provider in providers if cluster.urn in waits_for(stack, provider)]
        if through and applied:
            findings.append(
                Finding(
                    cluster.urn,
                    (
                        f"the API endpoint is private-only (vpcConfig.endpointPublicAccess false), but this update also "
                        f"applies {len(applied)} Kubernetes resource(s) through provider {', '.join(through)}: `pulumi up` "
                        "reaches them only from inside the VPC; make the endpoint public to named publicAccessCidrs, or "
                        "apply the Kubernetes resources from a program that runs inside the VPC"
                    ),
                )
            )
    return findings


RULE = StackRule(
    id="MY-DEP-004",
    description="Kubernetes resources are applied only through an EKS API the deploying machine can reach.",
    severity="high",
    anchors=("EKS cluster endpoint access control",),
    levels=MANDATORY,
    check=_reachable,
)

RULES = (RULE,)
