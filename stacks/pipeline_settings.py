"""The pipeline's settings for a stack: gate thresholds and instance types from its config, names from its outputs."""

from __future__ import annotations

from modelyard.catalog.outputs import StackOutputs
from modelyard.stacks.config import StackConfig
from modelyard.workflow.settings import PipelineSettings


def pipeline_settings(config: StackConfig, outputs: StackOutputs, **overrides) -> PipelineSettings:
    """Settings from a stack's config (gate, instance types) and outputs (pipeline name); multi-instance
    training selects the PyTorch entry point, the only one that runs data-parallel."""
    values = {
        "pipeline_name": outputs.pipeline_name,
        "framework": "torch" if config.training.sagemaker_instance_count > 1 else "sklearn",
        "min_accuracy": config.pipeline.min_accuracy,
        "min_auc": config.pipeline.min_auc,
        "max_regression": config.pipeline.max_regression,
        "drift_psi_threshold": config.pipeline.drift_psi_threshold,
        "training_instance_type": config.training.sagemaker_instance_type,
        "training_instance_count": config.training.sagemaker_instance_count,
        "processing_instance_type": config.pipeline.processing_instance_type,
        "data_capture_percent": config.inference.data_capture_percent,
    }
    values.update(overrides)
    return PipelineSettings.model_validate(values)
