"""Soak: 64 concurrent keep-alive clients mixing good and bad requests for ~12 s against two workers on
127.0.0.1. Zero 5xx, zero dropped connections, every bad request answered with its 4xx, RSS growth < 10 %."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path

import numpy as np
import pytest
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier

from modelyard.model_code.serving import start_server

pytestmark = pytest.mark.slow

CONNECTIONS = 64
WARM_UP_S = 3.0  # RSS baseline is taken after this, once allocator pools and caches have filled
SOAK_S = 10.0
MAX_PAYLOAD_BYTES = 100_000


def soak_requests(row: list[float]) -> list[tuple[bytes, int]]:
    """(raw HTTP request, expected status) pairs; the client cycles through them (good ones weighted x4)."""

    def post(body: bytes, content_type: bytes = b"application/json", extra: bytes = b"") -> bytes:
        return (
            b"POST /invocations HTTP/1.1\r\nHost: soak\r\nContent-Type: %s\r\n%sContent-Length: %d\r\n\r\n%s"
            % (content_type, extra, len(body), body)
        )

    good = json.dumps({"instances": [row]}).encode()
    csv_row = ",".join(map(repr, row)).encode()
    return [
        (post(good), 200),
        (post(csv_row, b"text/csv", b"Accept: text/csv\r\n"), 200),
        (post(good), 200),
        (post(json.dumps({"instances": [row] * 8}).encode()), 200),
        (post(b'{"instances": [[1,2'), 400),  # malformed JSON
        (post(json.dumps([row[:29]]).encode()), 400),  # wrong feature count
        (post(csv_row[: csv_row.rindex(b",")] + b",NaN", b"text/csv"), 400),  # NaN
        (post(json.dumps([row[:29] + ["x"]]).encode()), 400),  # non-numeric
        (post(b""), 400),  # empty body
        (post(good, b"application/xml"), 415),
        (post(good, b"application/json", b"Accept: image/png\r\n"), 406),
        (b"GET /nowhere HTTP/1.1\r\nHost: soak\r\n\r\n", 404),
        (b"GET /ping HTTP/1.1\r\nHost: soak\r\n\r\n", 200),
        (post(b" " * (MAX_PAYLOAD_BYTES + 1)), 413),  # the server closes after this one; we reconnect
    ]


class Tally:
    def __init__(self):
        self.by_status: dict[int, int] = {}
        self.mismatches: list[str] = []
        self.dropped = 0
        self.responses = 0


async def client(host: str, port: int, requests: list, deadline: float, tally: Tally, offset: int) -> None:
    cycle = itertools.islice(itertools.cycle(requests), offset, None)
    reader = writer = None
    while time.monotonic() < deadline:
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
        payload, expected = next(cycle)
        writer.write(payload)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            tally.dropped += 1  # the server closed a connection it had not announced closing
            writer.close()
            writer = None
            continue
        status = int(head.split(b" ", 2)[1])
        length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
        body = await reader.readexactly(length)
        tally.responses += 1
        tally.by_status[status] = tally.by_status.get(status, 0) + 1
        if status != expected or (status >= 400 and b'"error"' not in body):
            tally.mismatches.append(f"{payload[:60]!r} -> {status} {body[:120]!r} (expected {expected})")
        if b"connection: close" in head.lower():
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def worker_rss_kib(supervisor_pid: int) -> list[int]:
    sizes = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == supervisor_pid:
                    status = (entry / "status").read_text()
                    sizes.append(
                        next(
                            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
                        )
                    )
            except (OSError, IndexError, StopIteration):
                continue
    return sizes


async def soak(host: str, port: int, requests: list, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(client(host, port, requests, deadline, tally, i) for i in range(CONNECTIONS)))
    return tally


@pytest.mark.timeout(60)
def test_soak_mixed_good_and_bad_requests(tmp_path):
    features, target = load_breast_cancer(return_X_y=True)
    features = features.astype(np.float32)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0).fit(features, target)
    (tmp_path / "model.onnx").write_bytes(
        to_onnx(model, features[:1], options={"zipmap": False}).SerializeToString()
    )
    requests = soak_requests(features[0].tolist())

    with start_server(
        tmp_path,
        port=0,
        workers=2,
        log_path=tmp_path / "server.log",
        extra_args=["--max-payload-bytes", str(MAX_PAYLOAD_BYTES)],
    ) as server:
        warm_up = asyncio.run(soak(server.host, server.port, requests, WARM_UP_S))
        rss_before = worker_rss_kib(server.process.pid)
        tally = asyncio.run(soak(server.host, server.port, requests, SOAK_S))
        rss_after = worker_rss_kib(server.process.pid)

    for run in (warm_up, tally):
        assert run.mismatches == []
        assert run.dropped == 0
        assert not any(status >= 500 for status in run.by_status)
    assert all(tally.by_status.get(status, 0) > 0 for status in (200, 400, 404, 406, 413, 415))
    assert tally.responses > 5_000  # the mix really ran
    assert len(rss_before) == len(rss_after) == 2
    assert sum(rss_after) < 1.10 * sum(rss_before), (rss_before, rss_after)
