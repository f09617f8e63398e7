"""Plain HTTP helpers the serving tests share: one request on a fresh connection, or raw bytes."""

from __future__ import annotations

import http.client
import socket

MAX_PAYLOAD_BYTES = 200_000  # the test server's limit: small, so the size-limit tests send little


def request(server, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    """One request on a fresh connection: (status, headers, body bytes)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw_exchange(server, payload: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (or goes quiet), return everything received."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(payload)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
        return received
