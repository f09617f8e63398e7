"""The NetworkPolicy each of the cluster's own workloads runs behind: ingress only on the ports it serves, egress
only where it must go. EKS enforces NetworkPolicy once the VPC CNI's network policy agent is enabled
(docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html); until then a policy is inert, not harmful."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s


def workload_network_policy(
    resource_name: str,
    metadata: k8s.meta.v1.ObjectMetaArgs,
    labels: dict[str, str],
    ingress_ports: Sequence[int],
    egress: Sequence[k8s.networking.v1.NetworkPolicyEgressRuleArgs],
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """Selects the pods carrying `labels`; admits TCP on `ingress_ports` (none: no ingress) and only `egress`."""
    ingress = (
        [
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                ports=[
                    k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol="TCP")
                    for port in ingress_ports
                ]
            )
        ]
        if ingress_ports
        else []
    )
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        k8s.networking.v1.NetworkPolicyInitArgs(
            metadata=metadata,
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                policy_types=["Ingress", "Egress"],
                ingress=ingress,
                egress=list(egress),
            ),
        ),
        opts,
    )
