"""The Kubernetes Cluster Autoscaler: it grows a GPU node group from zero when a training pod is pending and shrinks
it when the nodes sit idle. Its AWS role (through EKS Pod Identity), its Kubernetes RBAC, the Deployment on the system
nodes and its NetworkPolicy.

Upstream's manifest (kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/examples/
cluster-autoscaler-autodiscover.yaml) and the AWS provider's README (cluster-autoscaler/cloudprovider/aws/README.md)
are the references for the flags, RBAC rules and IAM actions below.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from modelyard.components.iam.policy_documents import policy_document
from modelyard.components.training_cluster.args import TrainingClusterArgs
from modelyard.components.training_cluster.autoscaler_images import cluster_autoscaler_image
from modelyard.components.training_cluster.network_policies import workload_network_policy
from modelyard.components.training_cluster.node_groups import NODE_ROLE_LABEL, node_group_name
from modelyard.components.training_cluster.training_identity import POD_IDENTITY_TRUST_POLICY

CLUSTER_AUTOSCALER_NAME = "cluster-autoscaler"
CLUSTER_AUTOSCALER_NAMESPACE = "kube-system"
# CA serves /metrics and /health-check on --address (default :8085).
CLUSTER_AUTOSCALER_PORT = 8085
# Far above any system account's id (checkov CKV_K8S_40 asks for >= 10000); 65534 is "nobody", as upstream runs it.
CLUSTER_AUTOSCALER_USER = 65534
# The Pod Identity agent's link-local address (docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html).
POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32"
_SERVICE_ACCOUNT_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def create_cluster_autoscaler(
    name: str,
    args: TrainingClusterArgs,
    cluster: aws.eks.Cluster,
    provider: k8s.Provider,
    after: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """Role, Pod Identity association (after `after`: the agent add-on), RBAC, NetworkPolicy and Deployment;
    returns the ARN of the role."""
    role_arn = _autoscaler_role(name, args, cluster, parent)
    aws.eks.PodIdentityAssociation(
        f"{name}-cluster-autoscaler-pod-identity",
        aws.eks.PodIdentityAssociationArgs(
            cluster_name=cluster.name,
            namespace=CLUSTER_AUTOSCALER_NAMESPACE,
            service_account=CLUSTER_AUTOSCALER_NAME,
            role_arn=role_arn,
            tags=args.tags,
        ),
        pulumi.ResourceOptions(parent=parent, depends_on=after),
    )
    labels = {"app.kubernetes.io/name": CLUSTER_AUTOSCALER_NAME, "app.kubernetes.io/managed-by": "modelyard"}
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    service_account = k8s.core.v1.ServiceAccount(
        f"{name}-cluster-autoscaler-service-account",
        k8s.core.v1.ServiceAccountInitArgs(
            metadata=_metadata(labels),
            # The pod mounts its token explicitly (below); nothing else running as this account gets one.
            automount_service_account_token=False,
        ),
        opts,
    )
    bindings = _rbac(name, labels, provider, parent)
    _network_policy(name, labels, provider, parent)
    _deployment(name, args, cluster, labels, provider, [service_account, *bindings], parent)
    return role_arn


def _metadata(labels: dict[str, str], *, namespaced: bool = True) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(
        name=CLUSTER_AUTOSCALER_NAME,
        namespace=CLUSTER_AUTOSCALER_NAMESPACE if namespaced else None,
        labels=labels,
    )


def _autoscaler_role(
    name: str,
    args: TrainingClusterArgs,
    cluster: aws.eks.Cluster,
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """A role trusting EKS Pod Identity (CA's AWS SDK takes Pod Identity credentials since aws-sdk-go 1.48.7,
    kubernetes/autoscaler pull request #6379 and its backports). Reads: the Describe calls the AWS provider makes (the Auto Scaling and EC2
    ones authorize only on "*": Service Authorization Reference) and eks:DescribeNodegroup on this cluster's node
    groups, which is how CA learns a managed group's labels and taints while it has no node (scale from zero).
    Writes: desired capacity and instance termination, only on Auto Scaling groups tagged as this cluster's,
    the tag-condition form of the README's minimal policy. EKS puts that tag on every managed node group's Auto
    Scaling group (docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html)."""
    role = aws.iam.Role(
        f"{name}-cluster-autoscaler-role",
        aws.iam.RoleArgs(assume_role_policy=POD_IDENTITY_TRUST_POLICY, tags=args.tags),
        pulumi.ResourceOptions(parent=parent),
    )
    # arn:<partition>:eks:<region>:<account>:cluster/<name>: the same partition, region and account.
    arn_parts = cluster.arn.apply(lambda arn: arn.split(":"))
    scaling_groups = arn_parts.apply(
        lambda parts: (
            f"arn:{parts[1]}:autoscaling:{parts[3]}:{parts[4]}:autoScalingGroup:*:autoScalingGroupName/*"
        )
    )
    # A node group's ARN is arn:<partition>:eks:<region>:<account>:nodegroup/<cluster>/<group>/<uuid>
    # (Service Authorization Reference for Amazon EKS, resource type "nodegroup").
    node_group_arns = [
        arn_parts.apply(
            lambda parts, group=group: (
                f"arn:{parts[1]}:eks:{parts[3]}:{parts[4]}:nodegroup/"
                f"{args.cluster_name}/{node_group_name(args, group)}/*"
            )
        )
        for group in [args.system_node_group, *args.gpu_node_groups]
    ]
    permissions = policy_document(
        [
            {
                "Sid": "DescribeScalingGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                ],
                "Resource": ["*"],
            },
            {
                "Sid": "DescribeInstanceTypes",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                ],
                "Resource": ["*"],
            },
            {
                "Sid": "DescribeNodeGroups",
                "Effect": "Allow",
                "Action": ["eks:DescribeNodegroup"],
                "Resource": node_group_arns,
            },
            {
                "Sid": "ScaleThisClustersGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": [scaling_groups],
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{args.cluster_name}": "owned"
                    }
                },
            },
        ]
    )
    aws.iam.RolePolicy(
        f"{name}-cluster-autoscaler-access",
        aws.iam.RolePolicyArgs(role=role.name, policy=permissions),
        pulumi.ResourceOptions(parent=parent),
    )
    return role.arn


# Upstream's ClusterRole (cluster-autoscaler-autodiscover.yaml) without the long-removed `extensions` API group:
# read what scheduling depends on, write only what scale-down does (node taints, evictions) and its own records.
CLUSTER_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    # (API groups, resources, verbs, resource names)
    (("",), ("events", "endpoints"), ("create", "patch"), ()),
    (("",), ("pods/eviction",), ("create",), ()),
    (("",), ("pods/status",), ("update",), ()),
    (("",), ("endpoints",), ("get", "update"), (CLUSTER_AUTOSCALER_NAME,)),
    (("",), ("nodes",), ("watch", "list", "get", "update"), ()),
    (
        ("",),
        (
            "namespaces",
            "pods",
            "services",
            "replicationcontrollers",
            "persistentvolumeclaims",
            "persistentvolumes",
        ),
        ("watch", "list", "get"),
        (),
    ),
    (("policy",), ("poddisruptionbudgets",), ("watch", "list"), ()),
    (("apps",), ("statefulsets", "replicasets", "daemonsets"), ("watch", "list", "get"), ()),
    (
        ("resource.k8s.io",),
        ("deviceclasses", "resourceslices", "resourceclaims"),
        ("watch", "list", "get"),
        (),
    ),
    (
        ("storage.k8s.io",),
        ("storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"),
        ("watch", "list", "get"),
        (),
    ),
    (("batch",), ("jobs",), ("get", "list", "watch", "patch"), ()),
    (("coordination.k8s.io",), ("leases",), ("create",), ()),
    (("coordination.k8s.io",), ("leases",), ("get", "update"), (CLUSTER_AUTOSCALER_NAME,)),
)
# Upstream's Role in kube-system: its status ConfigMap (and the priority expander's) by name only.
NAMESPACE_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    (("",), ("configmaps",), ("create", "list", "watch"), ()),
    (
        ("",),
        ("configmaps",),
        ("delete", "get", "update", "watch"),
        ("cluster-autoscaler-status", "cluster-autoscaler-priority-expander"),
    ),
)


def _policy_rules(rules: tuple[tuple[tuple[str, ...], ...], ...]) -> list[k8s.rbac.v1.PolicyRuleArgs]:
    return [
        k8s.rbac.v1.PolicyRuleArgs(
            api_groups=list(groups),
            resources=list(resources),
            verbs=list(verbs),
            resource_names=list(names) or None,
        )
        for groups, resources, verbs, names in rules
    ]


def _rbac(
    name: str, labels: dict[str, str], provider: k8s.Provider, parent: pulumi.Resource
) -> list[pulumi.Resource]:
    """The ClusterRole and namespaced Role, each bound to the autoscaler's service account; returns the bindings."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    subject = k8s.rbac.v1.SubjectArgs(
        kind="ServiceAccount", name=CLUSTER_AUTOSCALER_NAME, namespace=CLUSTER_AUTOSCALER_NAMESPACE
    )
    cluster_role = k8s.rbac.v1.ClusterRole(
        f"{name}-cluster-autoscaler-cluster-role",
        k8s.rbac.v1.ClusterRoleInitArgs(
            metadata=_metadata(labels, namespaced=False), rules=_policy_rules(CLUSTER_RULES)
        ),
        opts,
    )
    role = k8s.rbac.v1.Role(
        f"{name}-cluster-autoscaler-namespace-role",
        k8s.rbac.v1.RoleInitArgs(metadata=_metadata(labels), rules=_policy_rules(NAMESPACE_RULES)),
        opts,
    )
    return [
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-cluster-autoscaler-cluster-role-binding",
            k8s.rbac.v1.ClusterRoleBindingInitArgs(
                metadata=_metadata(labels, namespaced=False),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=cluster_role.metadata.name
                ),
                subjects=[subject],
            ),
            opts,
        ),
        k8s.rbac.v1.RoleBinding(
            f"{name}-cluster-autoscaler-role-binding",
            k8s.rbac.v1.RoleBindingInitArgs(
                metadata=_metadata(labels),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name
                ),
                subjects=[subject],
            ),
            opts,
        ),
    ]


def _network_policy(
    name: str, labels: dict[str, str], provider: k8s.Provider, parent: pulumi.Resource
) -> None:
    """Ingress only on the metrics/health port; egress only to DNS, the Pod Identity agent (port 80) and HTTPS
    (the Kubernetes API and the Auto Scaling, EC2 and EKS APIs, whose addresses are not fixed). EKS enforces it
    once the VPC CNI's network policy agent is enabled (docs.aws.amazon.com/eks/latest/userguide/
    cni-network-policy.html), as for the GPU daemons."""
    workload_network_policy(
        f"{name}-cluster-autoscaler-network-policy",
        _metadata(labels),
        labels,
        [CLUSTER_AUTOSCALER_PORT],
        egress=[
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                ports=[
                    k8s.networking.v1.NetworkPolicyPortArgs(port=53, protocol=protocol)
                    for protocol in ("UDP", "TCP")
                ]
            ),
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                to=[
                    k8s.networking.v1.NetworkPolicyPeerArgs(
                        ip_block=k8s.networking.v1.IPBlockArgs(cidr=POD_IDENTITY_AGENT_CIDR)
                    )
                ],
                ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=80, protocol="TCP")],
            ),
            k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=443, protocol="TCP")]
            ),
        ],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )


def _deployment(
    name: str,
    args: TrainingClusterArgs,
    cluster: aws.eks.Cluster,
    labels: dict[str, str],
    provider: k8s.Provider,
    after: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> None:
    """One replica on the system nodes, discovering the node groups by the tags EKS puts on their Auto Scaling
    groups (k8s.io/cluster-autoscaler/enabled and k8s.io/cluster-autoscaler/<cluster>)."""
    health = k8s.core.v1.HTTPGetActionArgs(path="/health-check", port=CLUSTER_AUTOSCALER_PORT)
    region = cluster.arn.apply(lambda arn: arn.split(":")[3])
    k8s.apps.v1.Deployment(
        f"{name}-cluster-autoscaler",
        k8s.apps.v1.DeploymentInitArgs(
            metadata=_metadata(labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        labels=labels,
                        # Scale-down must not evict the autoscaler doing it (CA FAQ, "What types of pods can
                        # prevent CA from removing a node?").
                        annotations={"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
                    ),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=CLUSTER_AUTOSCALER_NAME,
                        # CA calls the Kubernetes API, so it needs its token; it is mounted explicitly below
                        # (a bound, expiring projected token) rather than by automount.
                        automount_service_account_token=False,
                        priority_class_name="system-cluster-critical",
                        node_selector={NODE_ROLE_LABEL: "system"},
                        tolerations=[k8s.core.v1.TolerationArgs(key="CriticalAddonsOnly", operator="Exists")],
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=CLUSTER_AUTOSCALER_USER,
                            run_as_group=CLUSTER_AUTOSCALER_USER,
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name=CLUSTER_AUTOSCALER_NAME,
                                image=cluster_autoscaler_image(args.version),
                                command=[
                                    "./cluster-autoscaler",
                                    "--cloud-provider=aws",
                                    "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,"
                                    f"k8s.io/cluster-autoscaler/{args.cluster_name}",
                                    "--expander=least-waste",
                                    f"--address=:{CLUSTER_AUTOSCALER_PORT}",
                                    "--stderrthreshold=info",
                                    "--v=2",
                                ],
                                env=[k8s.core.v1.EnvVarArgs(name="AWS_REGION", value=region)],
                                ports=[
                                    k8s.core.v1.ContainerPortArgs(
                                        name="http", container_port=CLUSTER_AUTOSCALER_PORT
                                    )
                                ],
                                security_context=k8s.core.v1.SecurityContextArgs(
                                    allow_privilege_escalation=False,
                                    read_only_root_filesystem=True,
                                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                                ),
                                # Upstream's chart probes /health-check the same way (kubernetes/autoscaler
                                # charts/cluster-autoscaler/templates/deployment.yaml).
                                liveness_probe=k8s.core.v1.ProbeArgs(
                                    http_get=health, initial_delay_seconds=30, period_seconds=10
                                ),
                                readiness_probe=k8s.core.v1.ProbeArgs(http_get=health, period_seconds=10),
                                # Upstream's example sizes it at 100m / 600Mi; memory grows with node count.
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "100m", "memory": "600Mi"},
                                    limits={"cpu": "500m", "memory": "600Mi"},
                                ),
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(
                                        name="kube-api-access",
                                        mount_path=_SERVICE_ACCOUNT_TOKEN_PATH,
                                        read_only=True,
                                    )
                                ],
                            )
                        ],
                        volumes=[_api_access_volume()],
                    ),
                ),
            ),
        ),
        pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=after),
    )


def _api_access_volume() -> k8s.core.v1.VolumeArgs:
    """What automount would mount (kubernetes.io/docs/concepts/security/service-accounts/#assign-to-pod): a bound
    token that expires within the hour, the cluster CA and the namespace."""
    return k8s.core.v1.VolumeArgs(
        name="kube-api-access",
        projected=k8s.core.v1.ProjectedVolumeSourceArgs(
            sources=[
                k8s.core.v1.VolumeProjectionArgs(
                    service_account_token=k8s.core.v1.ServiceAccountTokenProjectionArgs(
                        path="token", expiration_seconds=3607
                    )
                ),
                k8s.core.v1.VolumeProjectionArgs(
                    config_map=k8s.core.v1.ConfigMapProjectionArgs(
                        name="kube-root-ca.crt",
                        items=[k8s.core.v1.KeyToPathArgs(key="ca.crt", path="ca.crt")],
                    )
                ),
                k8s.core.v1.VolumeProjectionArgs(
                    downward_api=k8s.core.v1.DownwardAPIProjectionArgs(
                        items=[
                            k8s.core.v1.DownwardAPIVolumeFileArgs(
                                path="namespace",
                                field_ref=k8s.core.v1.ObjectFieldSelectorArgs(
                                    field_path="metadata.namespace"
                                ),
                            )
                        ]
                    )
                ),
            ]
        ),
    )
