"""The SageMaker container contract: GET /ping, POST /invocations, plus GET /metrics, over any transport."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import orjson

from .backend import Backend
from .batching import MicroBatcher
from .codecs import decode_rows, encode_outputs
from .errors import ErrorCode, RequestError
from .media_types import request_media_type, response_media_type
from .metrics import FAILED, LOADING, READY, MetricsBoard, WorkerMetrics

log = logging.getLogger("modelyard.serving")

ROUTE_INVOCATIONS, ROUTE_PING, ROUTE_METRICS, ROUTE_OTHER = range(4)  # indexes into metrics.ROUTES
JSON_TYPE = b"application/json"
METRICS_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
_PING_OK = orjson.dumps({"status": "ready"})

# respond(route index, HTTP status, Content-Type, body); may be called after handle() has returned.
Respond = Callable[[int, int, bytes, bytes], None]


class InferenceApp:
    """Routes one parsed request to its answer; the model runs through a MicroBatcher once loaded."""

    def __init__(self, board: MetricsBoard, metrics: WorkerMetrics) -> None:
        self._board = board
        self._metrics = metrics
        self._batcher: MicroBatcher | None = None
        self._n_features: int | None = None
        self._output_names: list[str] = []
        self._load_error: str | None = None
        metrics.set_state(LOADING)

    def model_loaded(self, backend: Backend, batcher: MicroBatcher) -> None:
        """Start answering /invocations with this backend."""
        self._n_features = backend.n_features
        self._output_names = backend.output_names
        self._batcher = batcher
        self._metrics.set_state(READY)

    def model_failed(self, reason: str) -> None:
        """Keep answering 503 with `reason`, so the orchestrator sees an unhealthy container."""
        self._load_error = reason
        self._metrics.set_state(FAILED)

    def handle(
        self,
        method: bytes,
        path: bytes,
        content_type: bytes | None,
        accept: bytes | None,
        body: bytes,
        respond: Respond,
    ) -> None:
        """Answer one request through `respond` (now, or after its micro-batch has run)."""
        try:
            if path == b"/invocations":
                if method != b"POST":
                    raise _method_not_allowed(method, path, "POST")
                self._invoke(content_type, accept, body, respond)
            elif path == b"/ping":
                if method != b"GET":
                    raise _method_not_allowed(method, path, "GET")
                self._ping(respond)
            elif path == b"/metrics":
                if method != b"GET":
                    raise _method_not_allowed(method, path, "GET")
                respond(ROUTE_METRICS, 200, METRICS_TYPE, self._board.render())
            else:
                raise RequestError(
                    ErrorCode.NOT_FOUND,
                    f"no route {path.decode('latin-1')!r}; the server answers /ping, /invocations and /metrics",
                )
        except RequestError as error:
            self.reject(route_of(path), error, respond)
        except Exception:  # a bug must cost one 500, never the worker
            log.exception("request failed", extra={"path": path.decode("latin-1")})
            self.reject(
                route_of(path), RequestError(ErrorCode.INTERNAL_ERROR, "internal server error"), respond
            )

    def reject(self, route: int, error: RequestError, respond: Respond) -> None:
        """Answer with the JSON error document and count it."""
        self._metrics.observe_error(error.code)
        respond(route, error.code.status, JSON_TYPE, error.body())

    def _ping(self, respond: Respond) -> None:
        if self._board.all_ready():
            respond(ROUTE_PING, 200, JSON_TYPE, _PING_OK)
        elif self._load_error is not None:
            raise RequestError(ErrorCode.MODEL_NOT_READY, f"model failed to load: {self._load_error}")
        else:
            raise RequestError(ErrorCode.MODEL_NOT_READY, "model is still loading in at least one worker")

    def _invoke(
        self, content_type: bytes | None, accept: bytes | None, body: bytes, respond: Respond
    ) -> None:
        batcher = self._batcher
        if batcher is None:
            reason = f"failed to load: {self._load_error}" if self._load_error else "is still loading"
            raise RequestError(ErrorCode.MODEL_NOT_READY, f"model {reason}")
        # Negotiate both ends before any work, so a 406/415 costs nothing.
        request_type = request_media_type(content_type)
        response_type = response_media_type(accept)
        rows = decode_rows(body, request_type, self._n_features)
        names = self._output_names
        encoded_type = response_type.encode()

        def done(outputs: list[np.ndarray] | None, error: BaseException | None) -> None:
            if error is None:
                try:
                    payload = encode_outputs(outputs, names, response_type)
                except Exception:  # a bug must cost one 500, never the worker
                    log.exception("encoding the response failed")
                else:
                    respond(ROUTE_INVOCATIONS, 200, encoded_type, payload)
                    return
            self.reject(
                ROUTE_INVOCATIONS, RequestError(ErrorCode.INTERNAL_ERROR, "model call failed"), respond
            )

        batcher.submit(rows, done)


def route_of(path: bytes) -> int:
    """The metrics route index of a request path (unknown paths share one, bounding label cardinality)."""
    return {b"/invocations": ROUTE_INVOCATIONS, b"/ping": ROUTE_PING, b"/metrics": ROUTE_METRICS}.get(
        path, ROUTE_OTHER
    )


def _method_not_allowed(method: bytes, path: bytes, allowed: str) -> RequestError:
    return RequestError(
        ErrorCode.METHOD_NOT_ALLOWED,
        f"{method.decode('latin-1')} is not allowed on {path.decode('latin-1')}; use {allowed}",
    )
