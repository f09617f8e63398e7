"""What an image reference pinned by digest looks like: shared by the config, the images component and the policy pack."""

from __future__ import annotations

import re

# An image in an ECR repository, pinned by digest (the OCI `name@sha256:<hex>` form). Lambda's CreateFunction
# takes only ECR images (ImageUri: "URI of a container image in the Amazon ECR registry", AWS Lambda API
# reference, FunctionCode), and a digest cannot be moved to other content the way a tag can.
ECR_DIGEST_REF = re.compile(
    r"^(?P<repository>\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[a-z0-9][a-z0-9._/-]*)"
    r"@sha256:[0-9a-f]{64}$"
)
DIGEST_REF_FORM = "<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>"


def is_digest_ref(value: str) -> bool:
    """Whether `value` is an ECR image reference pinned by digest."""
    return bool(ECR_DIGEST_REF.match(value))
