"""TrainingCluster: private encrypted EKS, hardened GPU node groups, GPU plumbing, Kubeflow Trainer, SageMaker settings."""

from __future__ import annotations

import json
import re

import pulumi
import pytest
from pydantic import ValidationError

from modelyard.components.training_cluster import NodeGroupSpec, TrainingCluster, TrainingClusterArgs
from modelyard.components.training_cluster.autoscaler_images import (
    CLUSTER_AUTOSCALER_RELEASES,
    CLUSTER_AUTOSCALER_REPOSITORY,
)
from modelyard.components.validation import ComponentArgsError
from modelyard.policies.wildcard_resource_exceptions import exception_for
from modelyard.stacks.config import TrainingConfig

KEY = "arn:aws:kms:us-east-1:123456789012:key/0b0c0d0e-1111-2222-3333-444455556666"
SAGEMAKER_ROLE = "arn:aws:iam::123456789012:role/sagemaker-training"
CI_ROLE = "arn:aws:iam::123456789012:role/ci"


def cluster_args(tags, **overrides) -> TrainingClusterArgs:
    values = {
        "cluster_name": "unit-gpu",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "kms_key_arn": KEY,
        "artifact_bucket_name": "unit-artifacts",
        "data_bucket_name": "unit-data",
        "sagemaker_training_role_arn": SAGEMAKER_ROLE,
        "sagemaker_security_group_ids": ["sg-training"],
        "gpu_node_groups": [
            NodeGroupSpec(name="gpu-spot", instance_types=["g5.xlarge", "g6.xlarge"], max_size=2, spot=True)
        ],
        "tags": tags,
    }
    values.update(overrides)
    return TrainingClusterArgs(**values)


@pytest.fixture
def default_run(program, tags):
    def build():
        cluster = TrainingCluster("train", cluster_args(tags, admin_principal_arns=[CI_ROLE]))
        pulumi.export("kubeconfig", pulumi.Output.unsecret(cluster.kubeconfig))
        pulumi.export("kubeconfig_is_secret", pulumi.Output.is_secret(cluster.kubeconfig))
        pulumi.export("output_path", cluster.training_output_path)
        pulumi.export("sagemaker_role", cluster.sagemaker_role_arn)
        pulumi.export("sagemaker_subnets", cluster.sagemaker_subnet_ids)
        pulumi.export("sagemaker_security_groups", cluster.sagemaker_security_group_ids)
        pulumi.export("inter_container", cluster.inter_container_traffic_encryption)
        pulumi.export("namespace", cluster.training_namespace)
        pulumi.export("service_account", cluster.training_service_account)
        pulumi.export("cluster_name", cluster.cluster_name)

    run = program(build)
    assert run.error is None, run.error
    return run


def test_every_child_is_parented_and_named_after_the_component(default_run):
    component = default_run.one("modelyard:training:TrainingCluster")
    children = default_run.children_of(component)
    assert len(children) == len(default_run.resources) - 1
    assert all(child.name.startswith("train-") for child in children)


def test_cluster_is_private_encrypted_logged_and_api_authenticated(default_run, tags):
    cluster = default_run.one("aws:eks/cluster:Cluster")
    inputs = cluster.inputs
    assert inputs["name"] == "unit-gpu"
    assert inputs["version"] == "1.35"
    assert inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in inputs["vpcConfig"]
    assert inputs["encryptionConfig"] == {"resources": ["secrets"], "provider": {"keyArn": KEY}}
    assert inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert inputs["accessConfig"]["authenticationMode"] == "API"
    assert inputs["tags"] == tags

    log_group = default_run.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["name"] == "/aws/eks/unit-gpu/cluster"
    assert log_group.inputs["kmsKeyId"] == KEY
    assert log_group.inputs["retentionInDays"] == 365
    assert log_group.urn in cluster.dependencies


def test_addons_and_their_order(default_run):
    addons = {addon.inputs["addonName"]: addon for addon in default_run.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"}
    system_nodes = default_run.named("train-system-nodes")
    assert system_nodes.urn in addons["coredns"].dependencies
    assert addons["vpc-cni"].urn in system_nodes.dependencies


def test_roles_use_only_narrow_aws_managed_policies(default_run):
    attached = {
        a.inputs["policyArn"]
        for a in default_run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    }
    assert not any("FullAccess" in arn for arn in attached)
    trusts = {
        role.name: default_run.statements(role, "assumeRolePolicy")[0]["Principal"]
        for role in default_run.of_type("aws:iam/role:Role")
    }
    assert trusts == {
        "train-cluster-role": {"Service": "eks.amazonaws.com"},
        "train-node-role": {"Service": "ec2.amazonaws.com"},
        "train-training-job-role": {"Service": "pods.eks.amazonaws.com"},
        "train-cluster-autoscaler-role": {"Service": "pods.eks.amazonaws.com"},
    }
    # The autoscaler's Describe calls authorize only on "*" (test_cluster_autoscaler_role_is_scoped_to_this_cluster).
    for policy in default_run.of_type("aws:iam/rolePolicy:RolePolicy"):
        if policy.name == "train-cluster-autoscaler-access":
            continue
        for statement in default_run.statements(policy):
            assert all("*" not in action for action in statement["Action"]), statement
            assert all(resource != "*" for resource in statement["Resource"]), statement


def test_launch_templates_require_imdsv2_encrypt_gp3_and_give_no_public_ip(default_run, tags):
    templates = default_run.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert {t.name for t in templates} == {"train-system-launch-template", "train-gpu-spot-launch-template"}
    for template in templates:
        inputs = template.inputs
        assert inputs["metadataOptions"]["httpTokens"] == "required"
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        [volume] = inputs["blockDeviceMappings"]
        assert volume["ebs"]["volumeType"] == "gp3"
        assert volume["ebs"]["encrypted"] == "true"
        assert volume["ebs"]["kmsKeyId"] == KEY
        [interface] = inputs["networkInterfaces"]
        assert interface["associatePublicIpAddress"] == "false"
        assert {spec["resourceType"] for spec in inputs["tagSpecifications"]} == {
            "instance",
            "volume",
            "network-interface",
        }
        assert inputs["tags"] == tags


def test_gpu_node_group_is_tainted_labelled_nvidia_and_spot(default_run):
    gpu = default_run.named("train-gpu-spot-nodes").inputs
    assert gpu["nodeGroupName"] == "unit-gpu-gpu-spot"
    assert gpu["amiType"] == "AL2023_x86_64_NVIDIA"
    assert gpu["capacityType"] == "SPOT"
    assert gpu["instanceTypes"] == ["g5.xlarge", "g6.xlarge"]
    assert gpu["scalingConfig"] == {"minSize": 0, "maxSize": 2, "desiredSize": 0}
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert gpu["labels"]["nvidia.com/gpu.present"] == "true"
    assert gpu["launchTemplate"]["id"] == default_run.named("train-gpu-spot-launch-template").id

    system = default_run.named("train-system-nodes").inputs
    assert system["amiType"] == "AL2023_x86_64_STANDARD"
    assert system["capacityType"] == "ON_DEMAND"
    assert "taints" not in system
    assert system["scalingConfig"] == {"minSize": 1, "maxSize": 2, "desiredSize": 1}


def test_gpu_daemon_sets_tolerate_the_taint_and_select_gpu_nodes(default_run):
    provider = default_run.one("pulumi:providers:kubernetes")
    daemon_sets = {d.name: d for d in default_run.of_type("kubernetes:apps/v1:DaemonSet")}
    assert set(daemon_sets) == {"train-device-plugin", "train-dcgm-exporter"}
    for daemon_set in daemon_sets.values():
        assert daemon_set.provider.startswith(provider.urn)
        pod = daemon_set.inputs["spec"]["template"]["spec"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
        assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}


def test_gpu_daemon_sets_are_hardened_as_checkov_asks(default_run):
    """CKV_K8S_43 (image by digest), CKV_K8S_38 (no service-account token), CKV_K8S_31 (seccomp RuntimeDefault)."""
    for daemon_set in default_run.of_type("kubernetes:apps/v1:DaemonSet"):
        pod = daemon_set.inputs["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            assert re.fullmatch(r"nvcr\.io/nvidia/[a-z0-9/-]+@sha256:[0-9a-f]{64}", container["image"]), (
                container["image"]
            )
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert set(container["resources"]["limits"]) == {"cpu", "memory"}
            assert "add" not in container["securityContext"]["capabilities"]  # no SYS_ADMIN (CKV_K8S_39)


def test_gpu_daemons_get_network_policies_and_dcgm_device_counters_only(default_run):
    policies = {
        policy.inputs["metadata"]["name"]: policy.inputs["spec"]
        for policy in default_run.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert set(policies) == {"nvidia-device-plugin", "dcgm-exporter", "cluster-autoscaler"}
    assert (
        policies["nvidia-device-plugin"]["ingress"] == [] and policies["nvidia-device-plugin"]["egress"] == []
    )
    assert policies["dcgm-exporter"]["ingress"] == [{"ports": [{"port": 9400, "protocol": "TCP"}]}]
    counters = default_run.one("kubernetes:core/v1:ConfigMap").inputs["data"]["device-counters.csv"]
    fields = [line.split(",")[0] for line in counters.splitlines()]
    assert "DCGM_FI_DEV_GPU_UTIL" in fields and not any(field.startswith("DCGM_FI_PROF_") for field in fields)
    exporter = next(
        d for d in default_run.of_type("kubernetes:apps/v1:DaemonSet") if d.name == "train-dcgm-exporter"
    )
    container = exporter.inputs["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["-f", "/etc/dcgm-exporter/modelyard/device-counters.csv"]
    service = default_run.one("kubernetes:core/v1:Service").inputs
    assert service["spec"]["ports"][0]["port"] == 9400
    assert service["metadata"]["annotations"]["prometheus.io/scrape"] == "true"


def test_training_identity_uses_pod_identity(default_run):
    namespace = default_run.one("kubernetes:core/v1:Namespace").inputs["metadata"]
    account = default_run.named("train-training-service-account").inputs["metadata"]
    association = default_run.named("train-training-pod-identity").inputs
    role = default_run.named("train-training-job-role")
    assert namespace["name"] == "training"
    assert account == {"name": "training-job", "namespace": "training"}
    assert association["namespace"] == "training"
    assert association["serviceAccount"] == "training-job"
    assert association["roleArn"].endswith(role.id)
    actions = {
        a for s in default_run.statements(default_run.named("train-training-job-access")) for a in s["Action"]
    }
    assert actions == {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey"}


def test_kubeflow_trainer_release_is_pinned_with_torch_distributed(default_run):
    release = default_run.one("kubernetes:helm.sh/v3:Release").inputs
    assert release["chart"] == "oci://ghcr.io/kubeflow/charts/kubeflow-trainer"
    assert release["version"] == "2.3.0"
    assert release["namespace"] == "kubeflow-system"
    assert release["values"]["runtimes"]["torchDistributed"]["enabled"] is True


def test_admin_principals_get_access_entries(default_run):
    entry = default_run.one("aws:eks/accessEntry:AccessEntry").inputs
    association = default_run.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").inputs
    assert entry["principalArn"] == CI_ROLE
    assert association["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert association["accessScope"] == {"type": "cluster"}


def test_outputs_carry_sagemaker_settings_and_an_exec_kubeconfig(default_run):
    outputs = default_run.outputs
    assert outputs["output_path"] == "s3://unit-artifacts/training/"
    assert outputs["sagemaker_role"] == SAGEMAKER_ROLE
    assert outputs["sagemaker_subnets"] == ["subnet-a", "subnet-b"]
    assert outputs["sagemaker_security_groups"] == ["sg-training"]
    assert outputs["inter_container"] is True
    assert (outputs["namespace"], outputs["service_account"]) == ("training", "training-job")
    assert outputs["kubeconfig_is_secret"] is True
    kubeconfig = json.loads(outputs["kubeconfig"])
    assert kubeconfig["current-context"] == "unit-gpu"
    assert kubeconfig["clusters"][0]["cluster"]["server"].startswith("https://")
    exec_ = kubeconfig["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", "unit-gpu", "--region", "us-east-1"]


def test_public_endpoint_takes_the_allow_list_and_given_job_role_is_used(program, tags):
    job_role = "arn:aws:iam::123456789012:role/existing-training-pods"
    run = program(
        lambda: TrainingCluster(
            "train",
            cluster_args(
                tags,
                public_endpoint=True,
                public_access_cidrs=["203.0.113.0/24"],
                training_job_role_arn=job_role,
                kubeflow_trainer=False,
            ),
        )
    )
    assert run.error is None, run.error
    vpc = run.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert run.named("train-training-pod-identity").inputs["roleArn"] == job_role
    assert "train-training-job-role" not in {r.name for r in run.resources}
    assert run.of_type("kubernetes:helm.sh/v3:Release") == []


def test_invalid_args_fail_with_every_problem_before_anything_is_created(program, tags):
    args = cluster_args(
        tags={"project": "modelyard"},
        cluster_name="bad name!",
        subnet_ids=["subnet-a"],
        public_endpoint=True,
        gpu_node_groups=[
            NodeGroupSpec(name="gpu", instance_types=["m5.large"], min_size=3, max_size=2, desired_size=0),
            NodeGroupSpec(name="gpu", instance_types=["p5.48xlarge"]),
        ],
        log_retention_days=10,
        kubeflow_trainer_version="latest",
    )
    run = program(lambda: TrainingCluster("train", args))
    assert isinstance(run.error, ComponentArgsError)
    message = str(run.error)
    for expected in (
        "tags: missing required tag 'owner'",
        "cluster_name: 'bad name!'",
        "subnet_ids: EKS needs subnets in at least two availability zones",
        "public_access_cidrs: a public endpoint needs a non-empty CIDR allow-list",
        "gpu_node_groups[0].instance_types[0]: 'm5.large' is not in the GPU families",
        "gpu_node_groups[0]: sizes must satisfy min_size <= desired_size <= max_size (got 3, 0, 2)",
        "gpu_node_groups: node group name 'gpu' is used more than once",
        "log_retention_days: 10 is not a CloudWatch retention period",
        "kubeflow_trainer_version: 'latest'",
    ):
        assert expected in message, f"{expected!r} not in {message}"
    assert run.resources == []


def test_world_open_cidr_and_missing_gpu_groups_are_rejected(tags):
    problems = cluster_args(
        tags, public_endpoint=True, public_access_cidrs=["0.0.0.0/0"], gpu_node_groups=[]
    ).problems()
    assert "public_access_cidrs[0]: '0.0.0.0/0' opens the API endpoint to the world" in problems
    assert "gpu_node_groups: at least one GPU node group is required" in problems


def test_cluster_autoscaler_runs_the_release_pinned_for_the_cluster_minor(default_run, program, tags):
    def image(run):
        deployment = run.one("kubernetes:apps/v1:Deployment", "train-cluster-autoscaler").inputs
        return deployment["spec"]["template"]["spec"]["containers"][0]["image"]

    assert image(default_run) == (
        "registry.k8s.io/autoscaling/cluster-autoscaler"
        "@sha256:aac369dc283927a623deb1af54696efcc722ae79255aa07788422e495bab887d"
    )
    older = program(lambda: TrainingCluster("train", cluster_args(tags, version="1.34")))
    assert older.error is None, older.error
    assert image(older) == f"{CLUSTER_AUTOSCALER_REPOSITORY}@{CLUSTER_AUTOSCALER_RELEASES['1.34'][1]}"
    assert all(
        re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for _, digest in CLUSTER_AUTOSCALER_RELEASES.values()
    )


def test_a_minor_without_a_pinned_autoscaler_is_a_config_error_naming_the_field(tags):
    problems = cluster_args(tags, version="1.36").problems()
    assert any(p.startswith("version: '1.36' has no Cluster Autoscaler image pinned") for p in problems), (
        problems
    )
    with pytest.raises(ValidationError) as raised:
        TrainingConfig.model_validate({"eksVersion": "1.36"})
    (error,) = raised.value.errors()
    assert error["loc"] == ("eksVersion",)
    assert "'1.36' has no Cluster Autoscaler image pinned" in error["msg"]
    assert "1.33, 1.34, 1.35" in error["msg"]


def test_cluster_autoscaler_discovers_this_clusters_groups_from_the_system_nodes_hardened(default_run):
    deployment = default_run.one("kubernetes:apps/v1:Deployment", "train-cluster-autoscaler").inputs
    assert deployment["metadata"]["namespace"] == "kube-system"
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "cluster-autoscaler"
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["nodeSelector"] == {"modelyard.io/node-role": "system"}
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    (container,) = pod["containers"]
    assert "--cloud-provider=aws" in container["command"]
    assert (
        "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/unit-gpu"
        in container["command"]
    )
    assert container["env"] == [{"name": "AWS_REGION", "value": "us-east-1"}]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health-check", "port": 8085}
    assert (
        set(container["resources"]["requests"]) == set(container["resources"]["limits"]) == {"cpu", "memory"}
    )
    # It calls the Kubernetes API, so its token is mounted, explicitly: a bound projected token, not automount.
    assert pod["automountServiceAccountToken"] is False
    (mount,) = container["volumeMounts"]
    assert mount == {
        "name": "kube-api-access",
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        "readOnly": True,
    }
    (volume,) = pod["volumes"]
    sources = volume["projected"]["sources"]
    assert sources[0]["serviceAccountToken"]["expirationSeconds"] <= 3607
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"


def test_cluster_autoscaler_role_is_scoped_to_this_cluster(default_run):
    association = default_run.named("train-cluster-autoscaler-pod-identity").inputs
    role = default_run.named("train-cluster-autoscaler-role")
    assert (association["namespace"], association["serviceAccount"]) == ("kube-system", "cluster-autoscaler")
    assert association["roleArn"].endswith(role.id)
    statements = {
        s["Sid"]: s for s in default_run.statements(default_run.named("train-cluster-autoscaler-access"))
    }
    assert set(statements) == {
        "DescribeScalingGroups",
        "DescribeInstanceTypes",
        "DescribeNodeGroups",
        "ScaleThisClustersGroups",
    }
    for sid in ("DescribeScalingGroups", "DescribeInstanceTypes"):
        assert statements[sid]["Resource"] == ["*"]
        assert all(exception_for(action) for action in statements[sid]["Action"]), statements[sid]
    assert statements["DescribeNodeGroups"]["Resource"] == [
        "arn:aws:eks:us-east-1:123456789012:nodegroup/unit-gpu/unit-gpu-system/*",
        "arn:aws:eks:us-east-1:123456789012:nodegroup/unit-gpu/unit-gpu-gpu-spot/*",
    ]
    scale = statements["ScaleThisClustersGroups"]
    assert sorted(scale["Action"]) == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    assert scale["Resource"] == [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*"
    ]
    assert scale["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/unit-gpu": "owned"}
    }


def test_cluster_autoscaler_rbac_is_upstreams_least_privilege(default_run):
    cluster_rules = default_run.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").inputs["rules"]
    role = default_run.one("kubernetes:rbac.authorization.k8s.io/v1:Role").inputs
    assert role["metadata"]["namespace"] == "kube-system"
    for rule in [*cluster_rules, *role["rules"]]:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"]), rule
        assert "secrets" not in rule["resources"], rule
        # Every write beyond events, evictions, node taints and Job patches names the objects it may touch.
        writes = set(rule["verbs"]) & {"update", "delete"}
        if writes and rule["resources"] not in (["nodes"], ["pods/status"]):
            assert rule.get("resourceNames"), rule
    (status_rule,) = [r for r in role["rules"] if r.get("resourceNames")]
    assert status_rule["resourceNames"] == [
        "cluster-autoscaler-status",
        "cluster-autoscaler-priority-expander",
    ]
    subject = [{"kind": "ServiceAccount", "name": "cluster-autoscaler", "namespace": "kube-system"}]
    cluster_binding = default_run.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").inputs
    binding = default_run.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs
    assert cluster_binding["subjects"] == binding["subjects"] == subject
    assert (cluster_binding["roleRef"]["kind"], binding["roleRef"]["kind"]) == ("ClusterRole", "Role")
    account = default_run.named("train-cluster-autoscaler-service-account").inputs
    assert account["automountServiceAccountToken"] is False


def test_cluster_autoscaler_network_policy_admits_only_its_port_and_the_apis(default_run):
    policy = default_run.one(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy", "train-cluster-autoscaler-network-policy"
    ).inputs["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [{"ports": [{"port": 8085, "protocol": "TCP"}]}]
    egress = {
        (port["port"], port["protocol"], tuple(peer["ipBlock"]["cidr"] for peer in rule.get("to", [])))
        for rule in policy["egress"]
        for port in rule["ports"]
    }
    assert egress == {(53, "UDP", ()), (53, "TCP", ()), (80, "TCP", ("169.254.170.23/32",)), (443, "TCP", ())}
