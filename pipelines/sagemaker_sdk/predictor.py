"""An invoker for the stack's endpoint: the SDK's Endpoint resource, rows in as CSV, predictions back as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.catalog.outputs import StackOutputs
from modelyard.model_code.serving.media_types import CSV, JSON
from modelyard.pipelines.sagemaker_sdk.boto_session import platform_boto_session


@dataclass(frozen=True)
class EndpointPredictor:
    """`predict(rows)` on the stack's endpoint through `sagemaker.core.resources.Endpoint.invoke`."""

    endpoint: Any
    """The SDK's Endpoint resource, with the serializer for `content_type` and a JSON deserializer."""
    content_type: str = CSV
    """What the request carries: text/csv (rows of numbers) or application/json (a list of rows). Default CSV."""
    accept: str = JSON
    """What the server answers: {"predictions": [{<output>: value, ...}, ...]}. Default JSON."""

    def predict(self, rows: Any) -> Any:
        """The server's answer for `rows` (one row, or a list of rows, of feature values)."""
        response = self.endpoint.invoke(body=rows, content_type=self.content_type, accept=self.accept)
        return response.body


def platform_predictor(
    outputs: StackOutputs, endpoint_url: str | None = None, content_type: str = CSV
) -> EndpointPredictor:
    """The predictor of the stack's endpoint (`endpoint_name` output), in its region, through `endpoint_url` (or
    AWS_ENDPOINT_URL / LOCALSTACK_ENDPOINT) when set. Raises ValueError for a content type the server does not
    take; the SDK raises ResourceNotFound when the endpoint does not exist yet."""
    from sagemaker.core.deserializers import JSONDeserializer
    from sagemaker.core.resources import Endpoint
    from sagemaker.core.serializers import CSVSerializer, JSONSerializer

    serializers = {CSV: CSVSerializer, JSON: JSONSerializer}
    if content_type not in serializers:
        raise ValueError(f"content_type {content_type!r} is not one of {sorted(serializers)}")
    endpoint = Endpoint.get(
        endpoint_name=outputs.endpoint_name,
        session=platform_boto_session(outputs.region, endpoint_url),
        region=outputs.region,
    )
    endpoint.serializer = serializers[content_type]()
    endpoint.deserializer = JSONDeserializer()
    return EndpointPredictor(endpoint, content_type, JSON)
