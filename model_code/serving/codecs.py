"""Request bodies (JSON, CSV, .npy) into a validated float32 matrix, and model outputs back into bodies."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import orjson

from .errors import ErrorCode, RequestError
from .media_types import CSV, JSON, NPY

_NUMBER_TYPES = frozenset((int, float))  # bool is its own type, so JSON true/false is rejected too


def decode_rows(body: bytes, media_type: str, n_features: int | None) -> np.ndarray:
    """Parse a request body into a C-contiguous float32 (rows, features) array, or raise RequestError."""
    if not body:
        raise RequestError(ErrorCode.EMPTY_BODY, "request body is empty; send at least one row")
    if media_type == JSON:
        rows = _json_rows(body)
        array = _rows_to_array(rows, n_features)
    elif media_type == CSV:
        array = _csv_to_array(body, n_features)
    elif media_type == NPY:
        array = _npy_to_array(body, n_features)
    else:
        raise ValueError(f"no decoder for media type {media_type!r}")
    _check_finite(array)
    return array


def encode_outputs(outputs: list[np.ndarray], names: list[str], media_type: str) -> bytes:
    """Serialise one request's slice of the model outputs: one record per row, one field per output."""
    if media_type == JSON:
        # orjson writes numpy rows natively (float32 at float32 precision) but not numpy scalars such as
        # int64 labels, so 1-D outputs (and object arrays of strings) become Python values first.
        columns = [
            output if output.ndim > 1 and output.dtype != object else output.tolist() for output in outputs
        ]
        rows = [dict(zip(names, values)) for values in zip(*columns)]
        return orjson.dumps({"predictions": rows}, option=orjson.OPT_SERIALIZE_NUMPY)
    if media_type == CSV:
        return _outputs_to_csv(outputs)
    if media_type == NPY:
        return _outputs_to_npy(outputs, names)
    raise ValueError(f"no encoder for media type {media_type!r}")


def _json_rows(body: bytes) -> list:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        document = _json_with_non_finite_literals(body, error)
    if type(document) is dict:
        if "instances" not in document:
            raise RequestError(
                ErrorCode.INVALID_SHAPE,
                'JSON object has no "instances" key; send {"instances": [[...], ...]} or a list of rows',
            )
        document = document["instances"]
    if type(document) is not list:
        raise RequestError(
            ErrorCode.INVALID_SHAPE, f"instances must be a list of rows, got {type(document).__name__}"
        )
    return document


def _json_with_non_finite_literals(body: bytes, orjson_error: orjson.JSONDecodeError) -> object:
    """The document of a body orjson refused, if NaN/Infinity/-Infinity literals (what Python's json.dumps
    writes by default) were its only fault: they become floats that _check_finite rejects by row and column."""
    malformed = RequestError(ErrorCode.MALFORMED_JSON, f"body is not valid JSON: {orjson_error}")
    literals = []

    def non_finite(literal: str) -> float:
        literals.append(literal)
        return float(literal)

    try:
        # Decoded here, as orjson does, so that only the literals differ between the two parsers.
        document = json.loads(body.decode("utf-8"), parse_constant=non_finite)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise malformed from None
    if not literals:
        raise malformed
    return document


def _rows_to_array(rows: list, n_features: int | None) -> np.ndarray:
    if not rows:
        raise RequestError(ErrorCode.INVALID_SHAPE, "no rows: the list of instances is empty")
    width = n_features if n_features is not None else _row_width(rows[0], 0)
    for index, row in enumerate(rows):
        if _row_width(row, index) != width:
            raise _feature_count_error(index, len(row), width)
        if not set(map(type, row)) <= _NUMBER_TYPES:
            column, value = next((c, v) for c, v in enumerate(row) if type(v) not in _NUMBER_TYPES)
            raise RequestError(
                ErrorCode.NON_NUMERIC_VALUE, f"row {index}, column {column}: {value!r} is not a number"
            )
    return np.array(rows, dtype=np.float32)


def _row_width(row: object, index: int) -> int:
    if type(row) is not list:
        hint = "; wrap a single row in another list: [[...]]" if type(row) in _NUMBER_TYPES else ""
        raise RequestError(
            ErrorCode.INVALID_SHAPE, f"row {index} is a {type(row).__name__}, not a list of numbers{hint}"
        )
    return len(row)


def _csv_to_array(body: bytes, n_features: int | None) -> np.ndarray:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(ErrorCode.MALFORMED_CSV, f"CSV body is not UTF-8: {error}") from None
    rows = [line.split(",") for line in text.splitlines() if line.strip()]
    if not rows:
        raise RequestError(ErrorCode.INVALID_SHAPE, "no rows: the CSV body has only blank lines")
    width = n_features if n_features is not None else len(rows[0])
    for index, row in enumerate(rows):
        if len(row) != width:
            raise _feature_count_error(index, len(row), width)
    try:
        return np.array(rows, dtype=np.float32)
    except ValueError as error:
        raise RequestError(ErrorCode.NON_NUMERIC_VALUE, _non_numeric_cell(rows) or str(error)) from None


def _non_numeric_cell(rows: list[list[str]]) -> str | None:
    for index, row in enumerate(rows):
        for column, cell in enumerate(row):
            try:
                float(cell)
            except ValueError:
                return f"row {index}, column {column}: {cell!r} is not a number"
    return None


def _npy_to_array(body: bytes, n_features: int | None) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except Exception as error:  # any failure to parse client bytes is the client's error, never a 500
        raise RequestError(ErrorCode.MALFORMED_NPY, f"body is not a valid .npy array: {error}") from None
    if not isinstance(array, np.ndarray):
        raise RequestError(ErrorCode.MALFORMED_NPY, "body is an .npz archive; send a single .npy array")
    if array.dtype.kind not in "iuf":
        raise RequestError(ErrorCode.NON_NUMERIC_VALUE, f"array dtype {array.dtype} is not numeric")
    if array.ndim != 2 or array.shape[0] == 0:
        raise RequestError(
            ErrorCode.INVALID_SHAPE, f"array must be 2-D with at least one row, got shape {array.shape}"
        )
    if n_features is not None and array.shape[1] != n_features:
        raise _feature_count_error(None, array.shape[1], n_features)
    return np.ascontiguousarray(array, dtype=np.float32)


def _feature_count_error(index: int | None, got: int, expected: int) -> RequestError:
    where = "rows have" if index is None else f"row {index} has"
    return RequestError(
        ErrorCode.WRONG_FEATURE_COUNT, f"{where} {got} values; the model expects {expected} features"
    )


def _check_finite(array: np.ndarray) -> None:
    if not np.isfinite(array).all():
        row, column = (int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise RequestError(
            ErrorCode.NON_FINITE_VALUE,
            f"row {row}, column {column}: {array[row, column]} is not a finite float32 "
            "(NaN, infinity, or beyond ±3.4e38)",
        )


def _outputs_to_csv(outputs: list[np.ndarray]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # csv stringifies numpy scalars with str(), which prints float32 at its own shortest precision.
    for values in zip(*outputs):
        writer.writerow([cell for value in values for cell in np.atleast_1d(value)])
    return buffer.getvalue().encode()


def _outputs_to_npy(outputs: list[np.ndarray], names: list[str]) -> bytes:
    # Object arrays (string labels) cannot travel without pickle; fixed-width unicode can.
    columns = [output.astype(str) if output.dtype == object else output for output in outputs]
    record = np.dtype([(name, column.dtype, column.shape[1:]) for name, column in zip(names, columns)])
    table = np.empty(len(columns[0]), dtype=record)
    for name, column in zip(names, columns):
        table[name] = column
    buffer = io.BytesIO()
    np.save(buffer, table, allow_pickle=False)
    return buffer.getvalue()
