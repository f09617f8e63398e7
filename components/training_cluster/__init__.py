"""The GPU training cluster component, built from one module per part:

args (TrainingClusterArgs, NodeGroupSpec and their validation; autoscaler_images pins the Cluster Autoscaler
release per Kubernetes minor) -> control_plane (cluster, its role, logs, secrets encryption, add-ons, admin access)
-> node_groups (node role, launch templates, managed node groups) -> kubernetes_access (kubeconfig, provider) ->
gpu_daemons (device plugin, DCGM exporter, their NetworkPolicies) -> cluster_autoscaler (Pod Identity role, RBAC,
Deployment, NetworkPolicy) -> training_identity (namespace, service account, Pod Identity role) ->
kubeflow_trainer (Helm release); component (TrainingCluster) calls them in that order.
"""

from modelyard.components.training_cluster.args import NodeGroupSpec, TrainingClusterArgs
from modelyard.components.training_cluster.component import TYPE_TOKEN, TrainingCluster
from modelyard.components.training_cluster.control_plane import (
    CLUSTER_ADMIN_POLICY_ARN,
    CLUSTER_POLICY_ARNS,
    CONTROL_PLANE_LOG_TYPES,
    EARLY_ADDONS,
    LATE_ADDONS,
)
from modelyard.components.training_cluster.gpu_daemons import (
    DCGM_COUNTERS_FILE,
    DCGM_DEVICE_COUNTERS,
    DCGM_EXPORTER_IMAGE,
    DCGM_EXPORTER_PORT,
    DEVICE_PLUGIN_IMAGE,
)
from modelyard.components.training_cluster.kubeflow_trainer import (
    KUBEFLOW_TRAINER_CHART,
    KUBEFLOW_TRAINER_NAMESPACE,
)
from modelyard.components.training_cluster.node_groups import (
    GPU_NODE_LABEL,
    GPU_TAINT_KEY,
    NODE_POLICY_ARNS,
    NODE_ROLE_LABEL,
)

__all__ = [
    "CLUSTER_ADMIN_POLICY_ARN",
    "CLUSTER_POLICY_ARNS",
    "CONTROL_PLANE_LOG_TYPES",
    "DCGM_COUNTERS_FILE",
    "DCGM_DEVICE_COUNTERS",
    "DCGM_EXPORTER_IMAGE",
    "DCGM_EXPORTER_PORT",
    "DEVICE_PLUGIN_IMAGE",
    "EARLY_ADDONS",
    "GPU_NODE_LABEL",
    "GPU_TAINT_KEY",
    "KUBEFLOW_TRAINER_CHART",
    "KUBEFLOW_TRAINER_NAMESPACE",
    "LATE_ADDONS",
    "NODE_POLICY_ARNS",
    "NODE_ROLE_LABEL",
    "TYPE_TOKEN",
    "NodeGroupSpec",
    "TrainingCluster",
    "TrainingClusterArgs",
]
