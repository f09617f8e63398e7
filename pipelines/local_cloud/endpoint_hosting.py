"""Serves each local SageMaker endpoint with the real inference server, on the model artifact its config names."""

from __future__ import annotations

import io
import shutil
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

from modelyard.catalog.errors import ModelyardError
from modelyard.model_code.serving.process import ServerProcess, ServerStartError, start_server
from modelyard.pipelines.s3_objects import S3UriError, split_s3_uri

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


class HostingError(ModelyardError):
    """A model could not be served: missing artifact, an unreadable archive, or a server that never got healthy."""


@dataclass
class HostedModel:
    """One running inference server: the endpoint config it serves and where it listens."""

    endpoint_name: str
    config_name: str
    url: str
    model_dir: Path
    server: ServerProcess


class EndpointHosting:
    """At most one live server per endpoint; a new config's server must pass /ping before it replaces the old one."""

    def __init__(
        self,
        work_dir: Path,
        s3_endpoint_url: str,
        region: str,
        health_timeout_seconds: float = READY_TIMEOUT_SECONDS,
    ):
        self.work_dir = Path(work_dir)
        self.health_timeout_seconds = health_timeout_seconds
        self._s3 = boto3.client(
            "s3",
            endpoint_url=s3_endpoint_url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(s3={"addressing_style": "path"}),
        )
        self._live: dict[str, HostedModel] = {}
        self._lock = threading.Lock()

    def url_for(self, endpoint_name: str) -> str | None:
        hosted = self._live.get(endpoint_name)
        return hosted.url if hosted else None

    def start(self, endpoint_name: str, config_name: str, model_data_url: str) -> HostedModel:
        """Download and unpack the artifact, start its server on a free loopback port, wait for /ping to answer 200.

        The returned model is not live yet: `promote` makes it serve the endpoint, `discard` drops it.
        """
        model_dir = self.work_dir / endpoint_name / config_name / "model"
        shutil.rmtree(model_dir, ignore_errors=True)
        model_dir.mkdir(parents=True)
        self._unpack(model_data_url, model_dir)
        try:
            # The container's server, as is, on a free loopback port with one worker.
            server = start_server(
                model_dir,
                port=0,
                workers=1,
                extra_args=["--shutdown-timeout", "2"],
                log_path=model_dir.parent / "server.log",
                ready_timeout=self.health_timeout_seconds,
            )
        except (ServerStartError, OSError) as error:
            raise HostingError(
                f"the inference server for {model_data_url} did not become healthy: {error}"
            ) from None
        return HostedModel(endpoint_name, config_name, server.url, model_dir, server)

    def promote(self, hosted: HostedModel) -> None:
        """Make `hosted` serve its endpoint and stop the server it replaces."""
        with self._lock:
            previous = self._live.get(hosted.endpoint_name)
            self._live[hosted.endpoint_name] = hosted
        if previous is not None and previous is not hosted:
            previous.server.stop(STOP_TIMEOUT_SECONDS)

    def discard(self, hosted: HostedModel) -> None:
        hosted.server.stop(STOP_TIMEOUT_SECONDS)

    def retire(self, endpoint_name: str) -> None:
        """Stop serving an endpoint (it was deleted)."""
        with self._lock:
            hosted = self._live.pop(endpoint_name, None)
        if hosted is not None:
            hosted.server.stop(STOP_TIMEOUT_SECONDS)

    def stop_all(self) -> None:
        with self._lock:
            hosted_models = list(self._live.values())
            self._live.clear()
        for hosted in hosted_models:
            hosted.server.stop(STOP_TIMEOUT_SECONDS)

    def write_object(self, bucket: str, key: str, body: bytes) -> None:
        """Write to the local cloud's S3 (data capture records)."""
        self._s3.put_object(Bucket=bucket, Key=key, Body=body)

    def _unpack(self, model_data_url: str, model_dir: Path) -> None:
        try:
            bucket, key = split_s3_uri(model_data_url)
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except (S3UriError, self._s3.exceptions.ClientError) as error:
            raise HostingError(f"cannot read model artifact {model_data_url}: {error}") from None
        try:
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
                archive.extractall(model_dir, filter="data")
        except (tarfile.TarError, OSError) as error:
            raise HostingError(
                f"model artifact {model_data_url} is not a readable .tar.gz: {error}"
            ) from None
