"""Modelyard's Pulumi ComponentResources, importable by any Pulumi program."""

# ruff: noqa: F401 - this module only re-exports: `from modelyard.components import ArtifactStore`.
from modelyard.components.account import AccountSingletons, AccountSingletonsArgs
from modelyard.components.iam import PlatformRoles, PlatformRolesArgs, RoleNetwork
from modelyard.components.images import ContainerImages, ContainerImagesArgs
from modelyard.components.inference import InferenceEndpoint, InferenceEndpointArgs, ScaleSchedule
from modelyard.components.keys import EncryptionKey, EncryptionKeyArgs
from modelyard.components.monitoring import Monitoring, MonitoringArgs
from modelyard.components.network import Network, NetworkArgs
from modelyard.components.registry import ModelRegistry, ModelRegistryArgs
from modelyard.components.storage import ArtifactStore, ArtifactStoreArgs
from modelyard.components.training_cluster import NodeGroupSpec, TrainingCluster, TrainingClusterArgs
from modelyard.components.training_pipeline import TrainingPipeline, TrainingPipelineArgs
from modelyard.components.validation import ComponentArgsError
