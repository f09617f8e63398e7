"""Request decoding with validation, response encoding, and content negotiation, in-process."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from modelyard.model_code.serving.codecs import decode_rows, encode_outputs
from modelyard.model_code.serving.errors import ErrorCode, RequestError
from modelyard.model_code.serving.media_types import CSV, JSON, NPY, request_media_type, response_media_type

ROW = [float(v) for v in range(1, 31)]


@pytest.fixture(autouse=True)
def float32_overflow_is_quiet_as_in_a_worker():
    with np.errstate(over="ignore"):
        yield


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "body, media",
    [
        (json.dumps({"instances": [ROW, ROW]}).encode(), JSON),
        (json.dumps([ROW, ROW]).encode(), JSON),
        (("\n".join([",".join(map(str, ROW))] * 2) + "\n").encode(), CSV),
        ((",".join(map(str, ROW)) + "\r\n\r\n" + ",".join(map(str, ROW))).encode(), CSV),
        (npy(np.array([ROW, ROW], dtype=np.float64)), NPY),
        (npy(np.array([ROW, ROW], dtype=np.int32)), NPY),
    ],
)
def test_every_format_decodes_to_the_same_float32_matrix(body, media):
    rows = decode_rows(body, media, 30)
    assert rows.dtype == np.float32 and rows.flags.c_contiguous
    np.testing.assert_array_equal(rows, np.array([ROW, ROW], dtype=np.float32))


BAD_INPUTS = [
    # (body, media, error code, words the message must contain)
    (b"", JSON, ErrorCode.EMPTY_BODY, "empty"),
    (b'{"instances": [[1, 2,', JSON, ErrorCode.MALFORMED_JSON, "not valid JSON"),
    (b'{"rows": [[1]]}', JSON, ErrorCode.INVALID_SHAPE, '"instances"'),
    (b'{"instances": []}', JSON, ErrorCode.INVALID_SHAPE, "empty"),
    (b'{"instances": 5}', JSON, ErrorCode.INVALID_SHAPE, "list of rows"),
    (json.dumps({"instances": ROW}).encode(), JSON, ErrorCode.INVALID_SHAPE, "[[...]]"),
    (
        json.dumps({"instances": [ROW, ROW[:29]]}).encode(),
        JSON,
        ErrorCode.WRONG_FEATURE_COUNT,
        "row 1 has 29",
    ),
    (
        json.dumps({"instances": [ROW[:5] + ["abc"] + ROW[6:]]}).encode(),
        JSON,
        ErrorCode.NON_NUMERIC_VALUE,
        "row 0, column 5: 'abc'",
    ),
    (json.dumps({"instances": [[True] + ROW[1:]]}).encode(), JSON, ErrorCode.NON_NUMERIC_VALUE, "True"),
    (json.dumps({"instances": [[None] + ROW[1:]]}).encode(), JSON, ErrorCode.NON_NUMERIC_VALUE, "None"),
    # json.dumps writes NaN and ±Infinity literals by default: they are non-finite values, not bad JSON.
    (
        json.dumps({"instances": [ROW[:3] + [float("nan")] + ROW[4:]]}).encode(),
        JSON,
        ErrorCode.NON_FINITE_VALUE,
        "row 0, column 3: nan",
    ),
    (
        json.dumps([ROW, ROW[:29] + [float("inf")]]).encode(),
        JSON,
        ErrorCode.NON_FINITE_VALUE,
        "row 1, column 29: inf",
    ),
    (
        json.dumps([[-float("inf")] + ROW[1:]]).encode(),
        JSON,
        ErrorCode.NON_FINITE_VALUE,
        "row 0, column 0: -inf",
    ),
    (b'{"instances": [[NaN]', JSON, ErrorCode.MALFORMED_JSON, "not valid JSON"),
    (b'[["\\ud800"]]', JSON, ErrorCode.MALFORMED_JSON, "not valid JSON"),  # Python's json alone accepts it
    ('[[1.0, "é"]]'.encode("utf-16"), JSON, ErrorCode.MALFORMED_JSON, "not valid JSON"),
    (
        json.dumps({"instances": [[1e39] + ROW[1:]]}).encode(),
        JSON,
        ErrorCode.NON_FINITE_VALUE,
        "row 0, column 0",
    ),
    (b"1,2,3", CSV, ErrorCode.WRONG_FEATURE_COUNT, "row 0 has 3"),
    ((",".join(map(str, ROW[:29])) + ",x").encode(), CSV, ErrorCode.NON_NUMERIC_VALUE, "column 29: 'x'"),
    ((",".join(map(str, ROW[:29])) + ",").encode(), CSV, ErrorCode.NON_NUMERIC_VALUE, "column 29: ''"),
    ((",".join(map(str, ROW[:29])) + ",nan").encode(), CSV, ErrorCode.NON_FINITE_VALUE, "column 29"),
    ((",".join(map(str, ROW[:29])) + ",inf").encode(), CSV, ErrorCode.NON_FINITE_VALUE, "column 29"),
    (b"\n \n", CSV, ErrorCode.INVALID_SHAPE, "blank"),
    (b"\xff\xfe1,2", CSV, ErrorCode.MALFORMED_CSV, "UTF-8"),
    (b"not an npy file", NPY, ErrorCode.MALFORMED_NPY, ".npy"),
    (npy(np.array(ROW)), NPY, ErrorCode.INVALID_SHAPE, "2-D"),
    (npy(np.zeros((2, 29))), NPY, ErrorCode.WRONG_FEATURE_COUNT, "29 values"),
    (npy(np.array([["a"] * 30])), NPY, ErrorCode.NON_NUMERIC_VALUE, "<U1"),
    (npy(np.full((1, 30), np.inf)), NPY, ErrorCode.NON_FINITE_VALUE, "row 0, column 0"),
    (npy(np.array([[object()] * 30], dtype=object))[:40], NPY, ErrorCode.MALFORMED_NPY, ".npy"),
]


@pytest.mark.parametrize(
    "body, media, code, words", BAD_INPUTS, ids=[f"{c.code}-{i}" for i, (_, _, c, _) in enumerate(BAD_INPUTS)]
)
def test_bad_input_raises_a_request_error_naming_the_problem(body, media, code, words):
    with pytest.raises(RequestError) as raised:
        decode_rows(body, media, 30)
    assert raised.value.code is code
    assert words in raised.value.message
    document = json.loads(raised.value.body())
    assert document == {"error": code.code, "message": raised.value.message}


def test_pickled_object_arrays_are_refused_without_unpickling():
    with pytest.raises(RequestError) as raised:
        decode_rows(npy(np.array([[object()] * 30], dtype=object)), NPY, 30)
    assert raised.value.code is ErrorCode.MALFORMED_NPY and "pickle" in raised.value.message


def test_a_dynamic_feature_count_still_requires_rectangular_rows():
    assert decode_rows(b"[[1, 2], [3, 4]]", JSON, None).shape == (2, 2)
    with pytest.raises(RequestError) as raised:
        decode_rows(b"[[1, 2], [3]]", JSON, None)
    assert raised.value.code is ErrorCode.WRONG_FEATURE_COUNT


OUTPUTS = [np.array([0, 1], dtype=np.int64), np.array([[0.75, 0.25], [0.125, 0.875]], dtype=np.float32)]
NAMES = ["label", "probabilities"]


def test_json_response_has_one_record_per_row_with_every_output():
    assert json.loads(encode_outputs(OUTPUTS, NAMES, JSON)) == {
        "predictions": [
            {"label": 0, "probabilities": [0.75, 0.25]},
            {"label": 1, "probabilities": [0.125, 0.875]},
        ]
    }


def test_csv_response_is_label_then_probabilities_per_line():
    assert encode_outputs(OUTPUTS, NAMES, CSV) == b"0,0.75,0.25\n1,0.125,0.875\n"


def test_npy_response_is_a_structured_array_loadable_without_pickle():
    table = np.load(io.BytesIO(encode_outputs(OUTPUTS, NAMES, NPY)), allow_pickle=False)
    assert table.dtype.names == ("label", "probabilities")
    np.testing.assert_array_equal(table["label"], OUTPUTS[0])
    np.testing.assert_array_equal(table["probabilities"], OUTPUTS[1])


def test_string_labels_survive_every_format():
    outputs = [np.array(["benign", 'say "hi", ok'], dtype=object), OUTPUTS[1]]
    assert json.loads(encode_outputs(outputs, NAMES, JSON))["predictions"][1]["label"] == 'say "hi", ok'
    assert encode_outputs(outputs, NAMES, CSV).splitlines()[1] == b'"say ""hi"", ok",0.125,0.875'
    assert np.load(io.BytesIO(encode_outputs(outputs, NAMES, NPY)))["label"][0] == "benign"


@pytest.mark.parametrize(
    "header, media",
    [
        (None, JSON),
        (b"application/json", JSON),
        (b"application/json; charset=utf-8", JSON),
        (b"TEXT/CSV", CSV),
        (b"application/x-npy", NPY),
    ],
)
def test_content_type_selects_the_decoder(header, media):
    assert request_media_type(header) == media


def test_unsupported_content_type_is_415_naming_it():
    with pytest.raises(RequestError) as raised:
        request_media_type(b"application/xml")
    assert raised.value.code.status == 415 and "'application/xml'" in raised.value.message


@pytest.mark.parametrize(
    "header, media",
    [
        (None, JSON),
        (b"*/*", JSON),
        (b"text/csv", CSV),
        (b"application/x-npy", NPY),
        (b"text/html, text/csv;q=0.5, application/json;q=0.9", JSON),
        (b"text/*", CSV),
        (b"application/json;q=0, text/csv", CSV),
        (b"image/png, */*;q=0.1", JSON),
    ],
)
def test_accept_picks_the_preferred_supported_type(header, media):
    assert response_media_type(header) == media


def test_unsupported_accept_is_406_naming_it():
    with pytest.raises(RequestError) as raised:
        response_media_type(b"image/png")
    assert raised.value.code.status == 406 and "'image/png'" in raised.value.message
