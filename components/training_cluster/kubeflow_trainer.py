"""Kubeflow Trainer, installed from its Helm chart with JobSet and the torch-distributed runtime."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from modelyard.components.training_cluster.args import TrainingClusterArgs

KUBEFLOW_TRAINER_CHART = "oci://ghcr.io/kubeflow/charts/kubeflow-trainer"
KUBEFLOW_TRAINER_NAMESPACE = "kubeflow-system"


def create_kubeflow_trainer(
    name: str, args: TrainingClusterArgs, provider: k8s.Provider, parent: pulumi.Resource
) -> k8s.helm.v3.Release:
    """The kubeflow-trainer release at `args.kubeflow_trainer_version`; atomic: Helm undoes a failed install/upgrade."""
    return k8s.helm.v3.Release(
        f"{name}-kubeflow-trainer",
        k8s.helm.v3.ReleaseArgs(
            name="kubeflow-trainer",
            chart=KUBEFLOW_TRAINER_CHART,
            version=args.kubeflow_trainer_version,
            namespace=KUBEFLOW_TRAINER_NAMESPACE,
            create_namespace=True,
            values={
                "jobset": {"install": True},
                "runtimes": {"torchDistributed": {"enabled": True}},
            },
            atomic=True,
            timeout=900,
        ),
        pulumi.ResourceOptions(parent=parent, provider=provider),
    )
