"""The local cloud's patch of moto's SageMaker handlers: UpdateEndpoint, real hosting, and InvokeEndpoint routing.

moto records endpoints but serves nothing and lacks UpdateEndpoint. Inside the local cloud's server process only,
this patch (1) adds UpdateEndpoint with SageMaker's semantics: the endpoint is `Updating` while the new config's
model starts, switches to the new config when that model answers /ping, and otherwise stays on the previous
config, back `InService` with a FailureReason; (2) makes CreateEndpoint start the model (`Creating` ->
`InService` or `Failed`); (3) stops the model on DeleteEndpoint; (4) forwards InvokeEndpoint to the model's server
and writes SageMaker-format data capture records to S3 when the endpoint config enables capture; (5) lets
endpoint configs use the current GPU instance types (g5, g6, g6e, p4d, p5, inf2) that moto's fixed list lacks;
(6) answers DescribeEndpoint's DataCaptureConfig as AWS does, a DataCaptureConfigSummary (EnableCapture,
CaptureStatus, CurrentSamplingPercentage, DestinationS3Uri, KmsKeyId: all required in botocore's sagemaker
service-2.json), where moto echoes the endpoint config's DataCaptureConfig (the SageMaker SDK rejects that).
"""

from __future__ import annotations

import base64
import json
import random
import threading
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.models import FakeEndpointConfig
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from modelyard.pipelines.local_cloud.endpoint_hosting import EndpointHosting, HostingError
from modelyard.pipelines.local_cloud.service_quotas_stub import GPU_INSTANCE_TYPES
from modelyard.pipelines.s3_objects import split_s3_uri

INVOKE_TIMEOUT_SECONDS = 60
_installed: dict[str, Any] = {}


def install(hosting: EndpointHosting) -> None:
    """Patch moto's SageMaker and SageMaker Runtime handlers in this process to use `hosting`."""
    if _installed:
        _installed["hosting"] = hosting
        return
    _installed.update(
        hosting=hosting,
        create_endpoint=SageMakerResponse.create_endpoint,
        delete_endpoint=SageMakerResponse.delete_endpoint,
        validate_instance_type=FakeEndpointConfig.validate_instance_type,
    )
    FakeEndpointConfig.validate_instance_type = _validate_instance_type
    SageMakerResponse.create_endpoint = _create_endpoint
    SageMakerResponse.update_endpoint = _update_endpoint
    SageMakerResponse.delete_endpoint = _delete_endpoint
    SageMakerResponse.describe_endpoint = _describe_endpoint
    SageMakerRuntimeResponse.invoke_endpoint = _invoke_endpoint


def _validate_instance_type(self: FakeEndpointConfig, instance_type: str) -> None:
    if instance_type not in GPU_INSTANCE_TYPES:
        _installed["validate_instance_type"](self, instance_type)


def _hosting() -> EndpointHosting:
    return _installed["hosting"]


def _model_data_url(backend: Any, config: dict[str, Any]) -> str:
    variant = config["ProductionVariants"][0]
    model = backend.describe_model(variant["ModelName"])
    url = (model.primary_container or {}).get("ModelDataUrl")
    if not url:
        raise HostingError(f"model {variant['ModelName']!r} has no PrimaryContainer.ModelDataUrl")
    return url


def _switch_config(endpoint: Any, config_name: str, config: dict[str, Any]) -> None:
    endpoint.endpoint_config_name = config_name
    endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
    endpoint.data_capture_config = config.get("DataCaptureConfig")


def _create_endpoint(self: SageMakerResponse) -> Any:
    result = _installed["create_endpoint"](self)
    endpoint = self.sagemaker_backend.endpoints[self._get_param("EndpointName")]
    config = self.sagemaker_backend.describe_endpoint_config(endpoint.endpoint_config_name)
    endpoint.endpoint_status = "Creating"
    backend = self.sagemaker_backend

    def host() -> None:
        try:
            hosted = _hosting().start(
                endpoint.endpoint_name, endpoint.endpoint_config_name, _model_data_url(backend, config)
            )
        except HostingError as error:
            endpoint.endpoint_status, endpoint.failure_reason = "Failed", str(error)
        else:
            _hosting().promote(hosted)
            endpoint.endpoint_status, endpoint.failure_reason = "InService", None
        endpoint.last_modified_time = utcnow()

    threading.Thread(target=host, name=f"create-{endpoint.endpoint_name}", daemon=True).start()
    return result


def _update_endpoint(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    endpoint_name = self._get_param("EndpointName")
    config_name = self._get_param("EndpointConfigName")
    backend.describe_endpoint(endpoint_name)  # raises SageMaker's ValidationError for an unknown endpoint
    config = backend.describe_endpoint_config(config_name)
    endpoint = backend.endpoints[endpoint_name]
    if endpoint.endpoint_status != "InService":
        from moto.sagemaker.exceptions import ValidationError

        raise ValidationError(
            message=f"Cannot update in-progress endpoint {endpoint.arn!r} "
            f"(status {endpoint.endpoint_status})."
        )
    endpoint.endpoint_status = "Updating"
    endpoint.last_modified_time = utcnow()

    def host() -> None:
        try:
            hosted = _hosting().start(endpoint_name, config_name, _model_data_url(backend, config))
        except HostingError as error:
            # SageMaker keeps serving the previous config when an update fails.
            endpoint.failure_reason = f"Update to {config_name} failed: {error}"
        else:
            _hosting().promote(hosted)
            _switch_config(endpoint, config_name, config)
            endpoint.failure_reason = None
        endpoint.endpoint_status = "InService"
        endpoint.last_modified_time = utcnow()

    threading.Thread(target=host, name=f"update-{endpoint_name}", daemon=True).start()
    return ActionResult({"EndpointArn": endpoint.arn})


def _delete_endpoint(self: SageMakerResponse) -> Any:
    result = _installed["delete_endpoint"](self)
    _hosting().retire(self._get_param("EndpointName"))
    return result


def _describe_endpoint(self: SageMakerResponse) -> ActionResult:
    description = dict(self.sagemaker_backend.describe_endpoint(self._get_param("EndpointName")))
    if description.get("DataCaptureConfig"):
        description["DataCaptureConfig"] = capture_summary(description["DataCaptureConfig"])
    return ActionResult(description)


def capture_summary(capture: dict[str, Any]) -> dict[str, Any]:
    """DescribeEndpoint's DataCaptureConfigSummary of an endpoint config's DataCaptureConfig
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfigSummary.html)."""
    enabled = bool(capture.get("EnableCapture", True))
    summary = {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": capture["InitialSamplingPercentage"],
        "DestinationS3Uri": capture["DestinationS3Uri"],
    }
    if capture.get("KmsKeyId"):
        summary["KmsKeyId"] = capture["KmsKeyId"]
    return summary


def _invoke_endpoint(self: SageMakerRuntimeResponse) -> tuple[int, dict[str, str], bytes | str]:
    from moto.sagemaker.models import sagemaker_backends

    endpoint_name = self.path.split("/")[2]
    backend = sagemaker_backends[self.current_account][self.region]
    endpoint = backend.endpoints.get(endpoint_name)
    url = _hosting().url_for(endpoint_name)
    if endpoint is None or url is None:
        return _error(
            400, "ValidationError", f"Endpoint {endpoint_name} of account {self.current_account} not found."
        )
    payload = self.body.encode() if isinstance(self.body, str) else self.body
    content_type = self.headers.get("Content-Type", "application/json")
    accept = self.headers.get("Accept", "application/json")
    request = urllib.request.Request(
        f"{url}/invocations",
        data=payload,
        method="POST",
        headers={"Content-Type": content_type, "Accept": accept},
    )
    try:
        with urllib.request.urlopen(request, timeout=INVOKE_TIMEOUT_SECONDS) as response:
            body, answered_type = response.read(), response.headers.get("Content-Type", accept)
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        return _error(
            424,
            "ModelError",
            f'Received client error ({error.code}) from primary with message "{detail}".',
            OriginalStatusCode=error.code,
            OriginalMessage=detail,
        )
    except (urllib.error.URLError, OSError) as error:
        return _error(
            424, "ModelError", f"The model server of endpoint {endpoint_name} did not answer: {error}"
        )
    variant = endpoint.production_variants[0]["VariantName"]
    _capture(endpoint, variant, payload, content_type, body, answered_type)
    return 200, {"Content-Type": answered_type, "x-Amzn-Invoked-Production-Variant": variant}, body


def _error(status: int, code: str, message: str, **extra: Any) -> tuple[int, dict[str, str], str]:
    return (
        status,
        {"x-amzn-ErrorType": code, "Content-Type": "application/json"},
        json.dumps({"message": message, **extra}),
    )


def _capture_payload(data: bytes, content_type: str) -> dict[str, str]:
    if "json" in content_type or "csv" in content_type:
        return {
            "observedContentType": content_type,
            "mode": "INPUT",
            "data": data.decode(),
            "encoding": "JSON" if "json" in content_type else "CSV",
        }
    return {
        "observedContentType": content_type,
        "mode": "INPUT",
        "data": base64.b64encode(data).decode(),
        "encoding": "BASE64",
    }


def _capture(
    endpoint: Any,
    variant: str,
    request_body: bytes,
    request_type: str,
    response_body: bytes,
    response_type: str,
) -> None:
    """One JSON Lines object per captured request, at SageMaker's key layout
    `<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<id>.jsonl`."""
    capture = endpoint.data_capture_config or {}
    if not capture.get("EnableCapture"):
        return
    if random.uniform(0, 100) >= float(capture.get("InitialSamplingPercentage", 0)):
        return
    now = datetime.now(timezone.utc)
    record = {
        "captureData": {
            "endpointInput": _capture_payload(request_body, request_type),
            "endpointOutput": {**_capture_payload(response_body, response_type), "mode": "OUTPUT"},
        },
        "eventMetadata": {"eventId": str(uuid.uuid4()), "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0",
    }
    bucket, prefix = split_s3_uri(capture["DestinationS3Uri"].rstrip("/") + "/")
    key = f"{prefix}{endpoint.endpoint_name}/{variant}/{now:%Y/%m/%d/%H}/{now:%M-%S-%f}-{uuid.uuid4().hex[:8]}.jsonl"
    _hosting().write_object(bucket, key, (json.dumps(record) + "\n").encode())
