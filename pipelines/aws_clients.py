"""boto3 clients for one stack's region, pointed at real AWS, the embedded local cloud or LocalStack by URL alone."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

# Checked in this order when no endpoint is passed explicitly.
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "LOCALSTACK_ENDPOINT")
# Emulators accept any key; real AWS never sees these because they are only used with an endpoint override.
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def resolve_endpoint_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The endpoint override: the explicit value, else AWS_ENDPOINT_URL, else LOCALSTACK_ENDPOINT, else None (AWS)."""
    if explicit:
        return explicit.rstrip("/")
    environ = os.environ if environ is None else environ
    for variable in ENDPOINT_VARIABLES:
        if environ.get(variable):
            return environ[variable].rstrip("/")
    return None


def endpoint_environment(
    endpoint_url: str, region: str, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables a step process needs to send its AWS calls to `endpoint_url`: the URL, the region, and the
    emulator's placeholder credentials when none are configured."""
    environ = os.environ if environ is None else environ
    environment = {"AWS_ENDPOINT_URL": endpoint_url, "AWS_DEFAULT_REGION": region}
    if not environ.get("AWS_ACCESS_KEY_ID"):
        environment.update(EMULATOR_CREDENTIALS)
    return environment


class AwsClients:
    """Cached boto3 clients of one region; every client goes to `endpoint_url` when one is set."""

    def __init__(self, region: str, endpoint_url: str | None = None, session: boto3.Session | None = None):
        self.region = region
        self.endpoint_url = endpoint_url
        if session is None:
            # boto3, s3transfer and botocore's client machinery (0.1 s) load with the first clients, not with this
            # module: every CLI command imports it, `modelyard plan` included, which never calls AWS.
            import boto3

            session = boto3.Session(region_name=region)
        self._session = session
        self._clients: dict[str, Any] = {}
        self._credentials: dict[str, str] = {}
        if endpoint_url and self._session.get_credentials() is None:
            # An emulator with no credentials configured: sign with placeholders rather than fail.
            self._credentials = {
                "aws_access_key_id": EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            }

    @classmethod
    def for_stack(cls, outputs: Any, endpoint_url: str | None = None) -> AwsClients:
        """Clients in the stack outputs' region; the endpoint comes from `resolve_endpoint_url`."""
        return cls(outputs.region, resolve_endpoint_url(endpoint_url))

    @property
    def is_emulated(self) -> bool:
        """True when an endpoint override is set: an emulator records jobs but runs no containers."""
        return self.endpoint_url is not None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            options: dict[str, Any] = {"region_name": self.region, **self._credentials}
            if self.endpoint_url:
                options["endpoint_url"] = self.endpoint_url
                # Loaded with the first clients, as boto3 is (see __init__).
                from botocore.config import Config

                # Emulators on an IP address cannot serve virtual-hosted bucket names.
                options["config"] = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3})
            self._clients[service] = self._session.client(service, **options)
        return self._clients[service]

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")

    @property
    def sagemaker_runtime(self) -> Any:
        return self.client("sagemaker-runtime")

    @property
    def cloudwatch(self) -> Any:
        return self.client("cloudwatch")

    @property
    def service_quotas(self) -> Any:
        return self.client("service-quotas")
