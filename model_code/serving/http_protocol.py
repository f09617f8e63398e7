"""HTTP/1.1 framing on asyncio + httptools: keep-alive, pipelining order, size limits, timeouts, draining."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from time import perf_counter

import httptools

from .app import InferenceApp, route_of
from .errors import ErrorCode, RequestError
from .metrics import WorkerMetrics

log = logging.getLogger("modelyard.serving")

MAX_HEADER_BYTES = 64 * 1024  # llhttp sets no limit of its own; this bounds memory per connection
_REASONS = {
    200: b"OK",
    400: b"Bad Request",
    404: b"Not Found",
    405: b"Method Not Allowed",
    406: b"Not Acceptable",
    408: b"Request Timeout",
    413: b"Payload Too Large",
    415: b"Unsupported Media Type",
    500: b"Internal Server Error",
    503: b"Service Unavailable",
}
_HEADS = {
    status: b"HTTP/1.1 %d %s\r\nContent-Type: " % (status, reason) for status, reason in _REASONS.items()
}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_LARGE_BODY = 64 * 1024  # above this, write head and body separately instead of copying them together
# Lingering close, as nginx's (https://nginx.org/en/docs/http/ngx_http_core_module.html#lingering_close): once
# the server has said its last word it sends FIN and reads and drops what the client still sends, because
# closing with unread input makes the kernel send RST, which can discard the response before the client has
# read it (a 413 sent while the client still uploads the body). nginx's defaults bound the wait.
LINGERING_TIMEOUT_S = 5.0  # most time between two reads from the client (nginx's lingering_timeout)
LINGERING_TIME_S = 30.0  # most time in all (nginx's lingering_time)


class _Exchange:
    """One request awaiting its response; responses leave in request order even when answered out of order."""

    __slots__ = ("_connection", "started", "keep_alive", "response")

    def __init__(self, connection: HttpConnection, started: float, keep_alive: bool) -> None:
        self._connection = connection
        self.started = started
        self.keep_alive = keep_alive
        self.response: tuple[int, int, bytes, bytes] | None = None

    def respond(self, route: int, status: int, content_type: bytes, body: bytes) -> None:
        self.response = (route, status, content_type, body)
        self._connection.flush_responses()


class HttpConnection(asyncio.Protocol):
    """One client connection; requests are parsed by httptools and answered by the InferenceApp."""

    def __init__(
        self,
        app: InferenceApp,
        metrics: WorkerMetrics,
        connections: set[HttpConnection],
        max_payload_bytes: int,
        access_log: bool,
    ) -> None:
        self._app = app
        self._metrics = metrics
        self._connections = connections
        self._max_payload = max_payload_bytes
        self._access_log = access_log
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._exchanges: deque[_Exchange] = deque()
        self._open = True  # False once no further request will be taken (client close, error, shutdown)
        self._last_request_next = False  # draining while idle: the next request to begin is the last taken
        self._closed = False
        self._lingering_since: float | None = None  # when our FIN went out (lingering close)
        self.last_activity = perf_counter()
        self.message_started: float | None = None  # set while a request is being received
        self._reset_message()

    # --- asyncio.Protocol -------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._closed = True
        self._exchanges.clear()

    def data_received(self, data: bytes) -> None:
        self.last_activity = perf_counter()
        if self._closed:
            return  # lingering close: what the client still sends is read and dropped
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._open = False  # protocol switching is not offered: answer what was asked, then close
        except httptools.HttpParserError as error:
            if self._open:
                self._fail(RequestError(ErrorCode.MALFORMED_HTTP, f"malformed HTTP request: {error}"))
        self.flush_responses()

    def pause_writing(self) -> None:
        # A client that sends faster than it reads would otherwise grow our write buffer without bound.
        self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._transport.resume_reading()

    # --- httptools callbacks ----------------------------------------------------------------------
    def _reset_message(self) -> None:
        self._url = b""
        self._content_type: bytes | None = None
        self._accept: bytes | None = None
        self._expect_continue = False
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_bytes = 0
        self._ignored = not self._open  # requests arriving after the connection stopped taking them

    def on_message_begin(self) -> None:
        self._reset_message()
        if self._last_request_next:
            self._open = False  # this request is taken and answered with Connection: close
        if not self._ignored:
            self.message_started = perf_counter()

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._header_bytes += len(url)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._reject_large_headers()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._reject_large_headers()
        name = name.lower()
        if name == b"content-type":
            self._content_type = value
        elif name == b"accept":
            self._accept = value
        elif name == b"content-length":
            if not self._ignored and value.strip().isdigit() and int(value) > self._max_payload:
                self._reject_oversized(int(value))
        elif name == b"expect":
            self._expect_continue = value.strip().lower() == b"100-continue"

    def on_headers_complete(self) -> None:
        if self._expect_continue and not self._ignored:
            self._transport.write(_CONTINUE)

    def on_body(self, chunk: bytes) -> None:
        if self._ignored:
            return
        self._body_bytes += len(chunk)
        if self._body_bytes > self._max_payload:  # chunked bodies announce no length up front
            self._reject_oversized(self._body_bytes)
        else:
            self._body.append(chunk)

    def on_message_complete(self) -> None:
        if self._ignored:
            return
        started, self.message_started = self.message_started, None
        exchange = _Exchange(self, started, self._parser.should_keep_alive())
        self._exchanges.append(exchange)
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        path = self._url.split(b"?", 1)[0]
        self._app.handle(
            self._parser.get_method(), path, self._content_type, self._accept, body, exchange.respond
        )

    # --- responses and lifecycle ------------------------------------------------------------------
    def flush_responses(self) -> None:
        """Write every finished response at the head of the queue; close once the connection is done."""
        exchanges = self._exchanges
        while exchanges and exchanges[0].response is not None:
            exchange = exchanges.popleft()
            route, status, content_type, body = exchange.response
            last = not exchange.keep_alive or (
                not self._open and not exchanges and self.message_started is None
            )
            head = b"%s%s\r\nContent-Length: %d\r\n%s\r\n" % (
                _HEADS[status],
                content_type,
                len(body),
                b"Connection: close\r\n" if last else b"",
            )
            if len(body) > _LARGE_BODY:
                self._transport.writelines((head, body))
            else:
                self._transport.write(head + body)
            finished = perf_counter()
            self._metrics.observe_request(route, status, finished - exchange.started)
            self.last_activity = finished
            if self._access_log:
                log.info(
                    "request", extra={"status": status, "ms": round((finished - exchange.started) * 1e3, 3)}
                )
            if last:
                self._open = False
                exchanges.clear()
                break
        if not self._open and not exchanges and self.message_started is None:
            self._close_after_last_response()

    def drain(self) -> None:
        """Graceful shutdown: answer what has begun, the last response with Connection: close, take nothing after.

        An idle connection still takes one more request, answered with Connection: close: a keep-alive client
        may have sent it while the server decided to stop. The worker closes connections that stay idle."""
        if self._exchanges or self.message_started is not None:
            self._open = False
        else:
            self._last_request_next = True

    def _close_idle(self) -> None:
        """Close a connection with nothing in flight at once: no response is left to protect by lingering."""
        self._open = False
        if not self._closed:
            self._closed = True
            self._transport.close()

    def enforce_timeouts(self, now: float, request_timeout_s: float, keep_alive_timeout_s: float) -> None:
        """408 a request slower to arrive than request_timeout_s, close a connection idle for longer than
        keep_alive_timeout_s, and end a lingering close that has outlasted its bounds (a shorter keep-alive,
        as while draining, also shortens the wait for a quiet client)."""
        if self._lingering_since is not None:
            if (
                now - self.last_activity > min(LINGERING_TIMEOUT_S, keep_alive_timeout_s)
                or now - self._lingering_since > LINGERING_TIME_S
            ):
                self._transport.close()
        elif self.message_started is not None and now - self.message_started > request_timeout_s:
            self._time_out()
        elif self._idle_for(now) > keep_alive_timeout_s:
            self._close_idle()

    def _idle_for(self, now: float) -> float:
        """Seconds since the last byte in or out, or 0 while a request is in flight."""
        if self._exchanges or self.message_started is not None:
            return 0.0
        return now - self.last_activity

    def _time_out(self) -> None:
        """The request took longer than the request timeout to arrive: answer 408 and close."""
        self._fail(RequestError(ErrorCode.REQUEST_TIMEOUT, "request not fully received in time"))
        self.flush_responses()

    def _close_after_last_response(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._transport.can_write_eof():
            self._transport.close()  # asyncio transports still flush what is buffered before closing
            return
        # Lingering close (see LINGERING_TIMEOUT_S): FIN once the response is flushed, then read until the
        # client closes (the transport then closes itself) or enforce_timeouts() gives up.
        self._transport.write_eof()
        self._transport.resume_reading()  # in case a slow reader had paused it: input is dropped now
        self._lingering_since = perf_counter()

    def _fail(self, error: RequestError) -> None:
        exchange = _Exchange(self, self.message_started or perf_counter(), keep_alive=False)
        self.message_started = None
        self._ignored = True
        self._open = False
        self._exchanges.append(exchange)
        self._app.reject(route_of(self._url.split(b"?", 1)[0]), error, exchange.respond)

    def _reject_oversized(self, size: int) -> None:
        self._fail(
            RequestError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"request body of {size} bytes exceeds the {self._max_payload}-byte limit",
            )
        )

    def _reject_large_headers(self) -> None:
        if not self._ignored:
            self._fail(
                RequestError(ErrorCode.MALFORMED_HTTP, f"request headers exceed {MAX_HEADER_BYTES} bytes")
            )
