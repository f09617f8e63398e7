"""A boto3 session for the SDK whose every client goes to the stack's AWS, the local cloud or LocalStack by URL."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from modelyard.pipelines.aws_clients import EMULATOR_CREDENTIALS, resolve_endpoint_url


class EndpointBotoSession(boto3.Session):
    """Sends every client it creates to one endpoint URL.

    The SDK creates its own clients from the session it is given (`session.client("sagemaker", region, config=...)`
    in sagemaker-core's SageMakerClient), so the override has to live in the session, not in a client.
    """

    def __init__(self, endpoint_url: str, **options: Any):
        super().__init__(**options)
        self.endpoint_url = endpoint_url

    def client(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("endpoint_url"):
            kwargs["endpoint_url"] = self.endpoint_url
            # Emulators on an IP address cannot serve virtual-hosted bucket names.
            path_style = Config(s3={"addressing_style": "path"})
            kwargs["config"] = kwargs["config"].merge(path_style) if kwargs.get("config") else path_style
        return super().client(*args, **kwargs)


def platform_boto_session(region: str, endpoint_url: str | None = None) -> boto3.Session:
    """A session in `region`; with an endpoint (explicit, else AWS_ENDPOINT_URL / LOCALSTACK_ENDPOINT) every client
    goes there, signed with the emulator's placeholder keys when no credentials are configured."""
    endpoint_url = resolve_endpoint_url(endpoint_url)
    if endpoint_url is None:
        return boto3.Session(region_name=region)
    session = EndpointBotoSession(endpoint_url, region_name=region)
    if session.get_credentials() is None:
        session = EndpointBotoSession(
            endpoint_url,
            region_name=region,
            aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
    return session
