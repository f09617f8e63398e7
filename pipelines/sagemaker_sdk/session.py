"""A SageMaker SDK session for one stack: its region, the artifact bucket as default bucket, telemetry off."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelyard.catalog.outputs import StackOutputs
from modelyard.pipelines.sagemaker_sdk.boto_session import platform_boto_session
from modelyard.pipelines.sagemaker_sdk.sdk_config import sdk_config

if TYPE_CHECKING:
    from sagemaker.core.helper.session_helper import Session

# Under the artifact bucket, next to training/ (job outputs) and pipelines/: what notebooks upload.
NOTEBOOK_PREFIX = "notebooks"


def platform_session(
    outputs: StackOutputs, endpoint_url: str | None = None, prefix: str = NOTEBOOK_PREFIX
) -> Session:
    """`sagemaker.core.helper.session_helper.Session` in the stack's region whose default bucket is the stack's
    artifact bucket (encrypted with the stack's data key, versioned, private) under `prefix`, so the SDK never
    creates its own `sagemaker-<region>-<account>` bucket. With an endpoint (explicit, else AWS_ENDPOINT_URL /
    LOCALSTACK_ENDPOINT) every SDK call goes there, as the pipelines' do."""
    from sagemaker.core.helper.session_helper import Session

    return Session(
        boto_session=platform_boto_session(outputs.region, endpoint_url),
        default_bucket=outputs.artifact_bucket,
        default_bucket_prefix=prefix,
        sagemaker_config=sdk_config(),
    )
