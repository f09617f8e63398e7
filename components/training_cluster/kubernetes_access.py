"""Access to the cluster's Kubernetes API: an exec kubeconfig (no stored credentials) and the provider using it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s


@dataclass
class KubernetesAccess:
    """The kubeconfig (a secret) and the provider that applies Kubernetes resources with it."""

    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider


def create_kubernetes_access(
    name: str, cluster: aws.eks.Cluster, after: list[pulumi.Resource], parent: pulumi.Resource
) -> KubernetesAccess:
    """The provider `<name>-kubernetes`; everything applied through it waits for `after` (nodes, networking, admin
    access)."""
    kubeconfig = pulumi.Output.secret(
        pulumi.Output.all(
            cluster.name,
            cluster.endpoint,
            cluster.certificate_authority.apply(lambda authority: authority.data),
            cluster.arn,
        ).apply(lambda values: _kubeconfig(values[0], values[1], values[2], region=values[3].split(":")[3]))
    )
    provider = k8s.Provider(
        f"{name}-kubernetes",
        k8s.ProviderArgs(kubeconfig=kubeconfig, enable_server_side_apply=True),
        pulumi.ResourceOptions(parent=parent, depends_on=after),
    )
    return KubernetesAccess(kubeconfig, provider)


def _kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, *, region: str) -> str:
    """A kubeconfig that fetches short-lived tokens with `aws eks get-token` (no stored credentials)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
                }
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        indent=2,
    )
