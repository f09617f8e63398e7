"""Every error the server answers with: an HTTP status, a stable code and a message naming the problem."""

from __future__ import annotations

import enum

import orjson

from modelyard.catalog.errors import ModelyardError


class ErrorCode(enum.Enum):
    """A stable, machine-readable error code and the HTTP status it is answered with."""

    EMPTY_BODY = ("empty_body", 400)
    MALFORMED_HTTP = ("malformed_http", 400)
    MALFORMED_JSON = ("malformed_json", 400)
    MALFORMED_CSV = ("malformed_csv", 400)
    MALFORMED_NPY = ("malformed_npy", 400)
    INVALID_SHAPE = ("invalid_shape", 400)
    WRONG_FEATURE_COUNT = ("wrong_feature_count", 400)
    NON_NUMERIC_VALUE = ("non_numeric_value", 400)
    NON_FINITE_VALUE = ("non_finite_value", 400)
    NOT_FOUND = ("not_found", 404)
    METHOD_NOT_ALLOWED = ("method_not_allowed", 405)
    NOT_ACCEPTABLE = ("not_acceptable", 406)
    REQUEST_TIMEOUT = ("request_timeout", 408)
    PAYLOAD_TOO_LARGE = ("payload_too_large", 413)
    UNSUPPORTED_MEDIA_TYPE = ("unsupported_media_type", 415)
    INTERNAL_ERROR = ("internal_error", 500)
    MODEL_NOT_READY = ("model_not_ready", 503)

    def __init__(self, code: str, status: int) -> None:
        self.code = code
        self.status = status


class RequestError(ModelyardError):
    """Raised anywhere while answering a request; becomes a JSON error response with `code.status`."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> bytes:
        """The JSON error document: {"error": <code>, "message": <what was wrong>}."""
        return orjson.dumps({"error": self.code.code, "message": self.message})
