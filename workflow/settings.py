"""The knobs the pipeline definition is compiled with: gate thresholds, instance types and counts, image tag."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from modelyard import __version__
from modelyard.catalog.datasets import BUNDLED_DEMO_SOURCE

# SageMaker step and pipeline names.
_NAME = r"^[A-Za-z0-9](-*[A-Za-z0-9]){0,255}$"


class PipelineSettings(BaseModel):
    """What a compiled definition bakes in as parameter defaults and fixed choices (everything else comes from
    the stack outputs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pipeline_name: str = Field(pattern=_NAME)
    """SageMaker Pipeline name (the stack output `pipeline_name`)."""
    image_tag: str = Field(__version__, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
    """Tag of the training image every step runs. Default: the package version."""
    framework: Literal["sklearn", "torch"] = "sklearn"
    """Training entry point: scikit-learn, or the PyTorch MLP (needed for multi-instance DDP). Default sklearn."""
    hyperparameters: dict[str, str] = {}
    """Hyperparameters of the training job (SageMaker passes them as strings). Default: the entry point's."""
    min_accuracy: float = Field(0.90, ge=0, le=1)
    """Gate: minimum test accuracy (parameter MinAccuracy). Default 0.90."""
    min_auc: float = Field(0.90, ge=0, le=1)
    """Gate: minimum test ROC AUC (parameter MinAuc). Default 0.90."""
    max_regression: float = Field(0.01, ge=0, le=1)
    """Gate: largest drop versus the champion (parameter MaxRegression). Default 0.01."""
    drift_psi_threshold: float = Field(0.2, gt=0)
    """Monitor: PSI above which a feature has drifted (parameter DriftPsiThreshold). Default 0.2."""
    training_instance_type: str = "ml.g5.xlarge"
    """Training instance type (parameter TrainingInstanceType). Default ml.g5.xlarge."""
    training_instance_count: int = Field(1, ge=1)
    """Training instances (parameter TrainingInstanceCount); >1 is multi-instance DDP. Default 1."""
    processing_instance_type: str = "ml.m5.large"
    """Instance type of the processing steps (parameter ProcessingInstanceType). Default ml.m5.large."""
    input_data_uri: str = Field(BUNDLED_DEMO_SOURCE, min_length=1, max_length=1024)
    """Dataset the ingest step reads (parameter InputDataUri): an s3:// CSV/Parquet object or prefix, e.g. newly
    landed data a retrain should learn from. Default: the bundled demo dataset."""
    split_seed: int = Field(0, ge=0)
    """Seed of ingest's train/validation/test split (parameter SplitSeed). Default 0."""
    data_capture_percent: int = Field(20, ge=0, le=100)
    """Share of endpoint requests the deploy step captures for drift monitoring. Default 20."""
    max_training_seconds: int = Field(4 * 3600, ge=60)
    """Training job stopping condition. Default 4 hours."""
    max_processing_seconds: int = Field(3600, ge=60)
    """Processing job stopping condition. Default 1 hour."""

    @field_validator("training_instance_type", "processing_instance_type")
    @classmethod
    def _sagemaker_instance_type(cls, value: str) -> str:
        if not re.fullmatch(r"ml\.[a-z0-9\-]+\.[a-z0-9]+", value):
            raise ValueError(f"{value!r} is not a SageMaker instance type (ml.<family>.<size>)")
        return value

    @model_validator(mode="after")
    def _multi_instance_needs_torch(self) -> PipelineSettings:
        if self.training_instance_count > 1 and self.framework != "torch":
            raise ValueError(
                f"training_instance_count={self.training_instance_count} needs framework 'torch' "
                f"(the scikit-learn entry point trains on one instance)"
            )
        return self
