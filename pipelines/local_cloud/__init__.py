"""The embedded local cloud: moto on 127.0.0.1 with real endpoint hosting, seeded from stack outputs, and MLflow."""

from modelyard.pipelines.local_cloud.lifecycle import (
    LocalCloudError,
    LocalCloudState,
    LocalCloudStatus,
    down,
    status,
    up,
)

__all__ = ["LocalCloudError", "LocalCloudState", "LocalCloudStatus", "down", "status", "up"]
