"""The GPU training cluster component and its args (builders live in this package's modules)."""

from modelyard.components.training_cluster.component import NodeGroupSpec, TrainingCluster, TrainingClusterArgs

__all__ = ["NodeGroupSpec", "TrainingCluster", "TrainingClusterArgs"]
