"""The SageMaker contract over real HTTP: formats, Accept, every bad input's 4xx, limits, /metrics, framing."""

from __future__ import annotations

import http.client
import io
import json
import re
import urllib.error
import urllib.request

import numpy as np
import pytest
from serving_http_client import MAX_PAYLOAD_BYTES, raw_exchange, request

from modelyard.model_code.serving import start_server

JSON_HEADERS = {"Content-Type": "application/json"}


def good_body(demo_model, rows=1) -> bytes:
    return json.dumps({"instances": demo_model.features[:rows].tolist()}).encode()


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_ping_is_200_once_every_worker_has_loaded(server):
    assert request(server, "GET", "/ping")[:1] == (200,)


def test_json_predictions_match_scikit_learn(server, demo_model):
    status, headers, body = request(server, "POST", "/invocations", good_body(demo_model, 5), JSON_HEADERS)
    assert status == 200 and headers["Content-Type"] == "application/json"
    predictions = json.loads(body)["predictions"]
    expected = demo_model.model.predict_proba(demo_model.features[:5])
    assert [p["label"] for p in predictions] == demo_model.model.predict(demo_model.features[:5]).tolist()
    np.testing.assert_allclose([p["probabilities"] for p in predictions], expected, atol=1e-5)


@pytest.mark.parametrize(
    "content_type, encode",
    [
        ("application/json", lambda rows: json.dumps(rows.tolist()).encode()),  # a bare list of rows
        ("text/csv", lambda rows: "\n".join(",".join(map(repr, row)) for row in rows.tolist()).encode()),
        ("application/x-npy", npy),
    ],
)
@pytest.mark.parametrize("accept", ["application/json", "text/csv", "application/x-npy"])
def test_every_content_type_and_accept_combination(server, demo_model, content_type, encode, accept):
    rows = demo_model.features[:3]
    status, headers, body = request(
        server, "POST", "/invocations", encode(rows), {"Content-Type": content_type, "Accept": accept}
    )
    assert status == 200 and headers["Content-Type"] == accept
    expected = demo_model.model.predict_proba(rows)
    if accept == "application/json":
        probabilities = [p["probabilities"] for p in json.loads(body)["predictions"]]
    elif accept == "text/csv":
        probabilities = [[float(v) for v in line.split(",")[1:]] for line in body.decode().splitlines()]
    else:
        probabilities = np.load(io.BytesIO(body), allow_pickle=False)["probabilities"]
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)


def row_with(demo_model, column, value):
    row = demo_model.features[0].tolist()
    row[column] = value
    return row


BAD_REQUESTS = {
    # name: (headers, body builder, status, error code, words naming the problem)
    "empty body": (JSON_HEADERS, lambda m: b"", 400, "empty_body", "empty"),
    "malformed JSON": (
        JSON_HEADERS,
        lambda m: b'{"instances": [[1,',
        400,
        "malformed_json",
        "not valid JSON",
    ),
    "malformed CSV": ({"Content-Type": "text/csv"}, lambda m: b"\xff\xfe1,2", 400, "malformed_csv", "UTF-8"),
    "ragged CSV": (
        {"Content-Type": "text/csv"},
        lambda m: b"1,2\n3",
        400,
        "wrong_feature_count",
        "row 0 has 2",
    ),
    "wrong feature count": (
        JSON_HEADERS,
        lambda m: json.dumps([m.features[0].tolist()[:29]]).encode(),
        400,
        "wrong_feature_count",
        "29 values; the model expects 30",
    ),
    "non-numeric JSON": (
        JSON_HEADERS,
        lambda m: json.dumps([row_with(m, 3, "big")]).encode(),
        400,
        "non_numeric_value",
        "row 0, column 3: 'big'",
    ),
    "non-numeric CSV": (
        {"Content-Type": "text/csv"},
        lambda m: ",".join(["1"] * 29 + ["abc"]).encode(),
        400,
        "non_numeric_value",
        "'abc'",
    ),
    "NaN in CSV": (
        {"Content-Type": "text/csv"},
        lambda m: ",".join(["1"] * 29 + ["NaN"]).encode(),
        400,
        "non_finite_value",
        "column 29",
    ),
    "NaN literal in JSON (json.dumps's default)": (
        JSON_HEADERS,
        lambda m: json.dumps([row_with(m, 4, float("nan"))]).encode(),
        400,
        "non_finite_value",
        "row 0, column 4: nan",
    ),
    "infinity in npy": (
        {"Content-Type": "application/x-npy"},
        lambda m: npy(np.full((1, 30), -np.inf)),
        400,
        "non_finite_value",
        "row 0, column 0",
    ),
    "beyond float32": (
        JSON_HEADERS,
        lambda m: json.dumps([row_with(m, 7, 1e39)]).encode(),
        400,
        "non_finite_value",
        "column 7",
    ),
    "malformed npy": (
        {"Content-Type": "application/x-npy"},
        lambda m: b"\x93NUMPY garbage",
        400,
        "malformed_npy",
        ".npy",
    ),
    "unsupported content type": (
        {"Content-Type": "application/xml"},
        lambda m: b"<rows/>",
        415,
        "unsupported_media_type",
        "application/xml",
    ),
    "unsupported accept": (
        {"Content-Type": "application/json", "Accept": "image/png"},
        lambda m: good_body(m),
        406,
        "not_acceptable",
        "image/png",
    ),
    "payload over the limit": (
        JSON_HEADERS,
        lambda m: b" " * (MAX_PAYLOAD_BYTES + 1),
        413,
        "payload_too_large",
        f"{MAX_PAYLOAD_BYTES}-byte limit",
    ),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_bad_input_gets_its_4xx_naming_the_problem_and_the_next_request_succeeds(server, demo_model, name):
    headers, build, status, code, words = BAD_REQUESTS[name]
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("POST", "/invocations", body=build(demo_model), headers=headers)
        response = connection.getresponse()
        document = json.loads(response.read())
        assert response.status == status
        assert response.getheader("Content-Type") == "application/json"
        assert document["error"] == code and words in document["message"], document
        # Same connection when the server kept it open (all but 413), a new one otherwise.
        connection.request("POST", "/invocations", body=good_body(demo_model), headers=JSON_HEADERS)
        follow_up = connection.getresponse()
        assert follow_up.status == 200 and "predictions" in json.loads(follow_up.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def default_limit_server(demo_model, tmp_path_factory):
    """One worker with the default 6 MiB payload limit (SageMaker's)."""
    log = tmp_path_factory.mktemp("default-limit-server") / "server.log"
    with start_server(demo_model.directory, port=0, workers=1, log_path=log) as running:
        yield running


MIB = 1024 * 1024


@pytest.mark.parametrize("size", [7 * MIB, 6 * MIB + 1], ids=["7MiB", "6MiB+1"])
def test_stdlib_clients_read_the_413_of_a_body_over_the_default_limit(default_limit_server, size):
    # The server answers as soon as it has read Content-Length, while the client is still sending: closing
    # then (RST) made http.client and urllib fail on BrokenPipe/ConnectionReset before reading the 413.
    server, body = default_limit_server, b" " * size
    for _ in range(3):
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)  # keep-alive
        try:
            connection.request("POST", "/invocations", body=body, headers=JSON_HEADERS)
            response = connection.getresponse()
            document = json.loads(response.read())
        finally:
            connection.close()
        assert response.status == 413 and response.getheader("Connection") == "close"
        assert document == {
            "error": "payload_too_large",
            "message": f"request body of {size} bytes exceeds the {6 * MIB}-byte limit",
        }
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(
                urllib.request.Request(f"{server.url}/invocations", data=body, headers=JSON_HEADERS),
                timeout=10,
            )
        assert raised.value.code == 413 and json.loads(raised.value.read())["error"] == "payload_too_large"


def test_chunked_bodies_count_against_the_limit_too(server):
    chunk = b" " * 50_000
    payload = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 5 + b"0\r\n\r\n"
    )
    received = raw_exchange(server, payload)
    assert received.startswith(b"HTTP/1.1 413 ") and b"payload_too_large" in received


def test_chunked_good_body_is_served(server, demo_model):
    body = good_body(demo_model)
    payload = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n"
        % (10, body[:10], len(body) - 10, body[10:])
    )
    assert raw_exchange(server, payload).startswith(b"HTTP/1.1 200 OK")


def test_expect_100_continue_is_answered_before_the_body(server, demo_model):
    import socket

    body = good_body(demo_model)
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert sock.recv(100).startswith(b"HTTP/1.1 200 OK")


def test_pipelined_requests_are_answered_in_order(server, demo_model):
    body = good_body(demo_model)
    invoke = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    ping = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
    missing = b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    received = raw_exchange(server, invoke + ping + invoke + missing)
    statuses = re.findall(rb"HTTP/1.1 (\d{3}) ", received)
    assert statuses == [b"200", b"200", b"200", b"404"]
    assert received.index(b"predictions") < received.index(b'"ready"')


def test_malformed_http_is_400_and_the_connection_closed(server):
    received = raw_exchange(server, b"POST /invocations HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 400 ") and b"malformed_http" in received
    assert b"Connection: close" in received


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("GET", "/invocations", 405, "method_not_allowed"),
        ("POST", "/ping", 405, "method_not_allowed"),
        ("GET", "/predict", 404, "not_found"),
    ],
)
def test_wrong_route_or_method(server, method, path, status, code):
    got, _, body = request(server, method, path)
    assert got == status and json.loads(body)["error"] == code


def test_metrics_are_prometheus_text_with_counts_latency_batches_and_errors(server, demo_model):
    request(server, "POST", "/invocations", good_body(demo_model), JSON_HEADERS)
    request(server, "POST", "/invocations", b"{", JSON_HEADERS)
    status, headers, body = request(server, "GET", "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    assert samples['modelyard_requests_total{route="/invocations",status="200"}'] >= 1
    assert samples['modelyard_requests_total{route="/invocations",status="400"}'] >= 1
    assert samples['modelyard_request_errors_total{code="malformed_json"}'] >= 1
    assert (
        samples['modelyard_request_duration_seconds_bucket{le="+Inf"}']
        == samples["modelyard_request_duration_seconds_count"]
        >= 2
    )
    assert samples["modelyard_batch_rows_count"] >= 1 and samples["modelyard_batch_rows_sum"] >= 1
    assert (
        samples['modelyard_worker_model_state{worker="0"}']
        == samples['modelyard_worker_model_state{worker="1"}']
        == 1
    )
    assert "# TYPE modelyard_request_duration_seconds histogram" in text


def test_oversized_headers_are_refused_before_they_fill_memory(server):
    received = raw_exchange(
        server, b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 70_000 + b"\r\n\r\n"
    )
    assert received.startswith(b"HTTP/1.1 400 ") and b"request headers exceed 65536 bytes" in received
