"""Checks a dataset must pass before it is split and versioned: schema, missing values, ranges, class balance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.model_code.datasets import TARGET_COLUMN

MIN_ROWS = 50
# A stratified three-way split needs a handful of rows of every class in each part.
MIN_ROWS_PER_CLASS = 10


def validate_frame(frame: pd.DataFrame, expectations: dict[str, Any] | None = None) -> list[str]:
    """Every problem found, one readable line each (empty when the frame is usable).

    expectations (optional): {"required_columns": [...], "columns": {"name": {"min": x, "max": y}}}.
    """
    expectations = expectations or {}
    failures: list[str] = []
    columns = [str(name) for name in frame.columns]
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    if duplicated:
        failures.append(f"schema: duplicated column name(s) {duplicated}")
    if TARGET_COLUMN not in columns:
        failures.append(f"schema: label column {TARGET_COLUMN!r} is missing (columns: {columns})")
    for name in expectations.get("required_columns", []):
        if name not in columns:
            failures.append(f"schema: required column {name!r} is missing")
    features = [name for name in columns if name != TARGET_COLUMN]
    if not features:
        failures.append("schema: no feature columns besides the label")
    if len(frame) < MIN_ROWS:
        failures.append(f"rows: {len(frame)} rows, need at least {MIN_ROWS}")

    for name in columns:
        if columns.count(name) > 1:
            continue
        values = frame[name]
        missing = int(values.isna().sum())
        if missing:
            failures.append(f"missing values: column {name!r} has {missing} of {len(frame)} missing")
        if name == TARGET_COLUMN:
            failures += _label_problems(values.dropna())
            continue
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            sample = values.dropna().astype(str).head(3).tolist()
            failures.append(f"schema: feature {name!r} is not numeric (dtype {values.dtype}, e.g. {sample})")
            continue
        infinite = int(np.isinf(values.to_numpy(dtype=np.float64)).sum())
        if infinite:
            failures.append(f"range: feature {name!r} has {infinite} infinite value(s)")
        bounds = expectations.get("columns", {}).get(name, {})
        if "min" in bounds and (below := int((values < bounds["min"]).sum())):
            failures.append(
                f"range: feature {name!r} has {below} value(s) below the expected minimum {bounds['min']} "
                f"(smallest {values.min()})"
            )
        if "max" in bounds and (above := int((values > bounds["max"]).sum())):
            failures.append(
                f"range: feature {name!r} has {above} value(s) above the expected maximum {bounds['max']} "
                f"(largest {values.max()})"
            )
    return failures


def _label_problems(labels: pd.Series) -> list[str]:
    if not pd.api.types.is_numeric_dtype(labels) or pd.api.types.is_bool_dtype(labels):
        return [f"schema: label {TARGET_COLUMN!r} must hold integer classes (dtype {labels.dtype})"]
    if not (labels == labels.round()).all():
        return [
            f"range: label {TARGET_COLUMN!r} holds non-integer value(s) {sorted(set(labels[labels != labels.round()]))[:5]}"
        ]
    counts = labels.astype("int64").value_counts().sort_index()
    if len(counts) < 2:
        return [
            f"range: label {TARGET_COLUMN!r} holds a single class {counts.index.tolist()}; need two or more"
        ]
    scarce = {int(label): int(count) for label, count in counts.items() if count < MIN_ROWS_PER_CLASS}
    if scarce:
        return [f"balance: class(es) {scarce} have fewer than {MIN_ROWS_PER_CLASS} rows each"]
    return []
