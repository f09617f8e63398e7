"""Tabular data for training and evaluation: the bundled demo set, channel folders, features and label."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from modelyard.catalog.errors import InputError

TARGET_COLUMN = "target"
DATA_SUFFIXES = (".csv", ".parquet")


class DatasetError(InputError, ValueError):
    """A channel or frame that cannot be trained on; the message names the path or column."""


def load_demo_frame() -> pd.DataFrame:
    """scikit-learn's bundled breast cancer set (569 rows, 30 numeric features, binary `target`)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.copy()
    # Spaces in column names would leak into CSV headers, ONNX metadata and serving payloads.
    frame.columns = [str(name).replace(" ", "_") for name in frame.columns]
    return frame


def split_frame(
    frame: pd.DataFrame, validation_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """Stratified train/validation/test split, reproducible for a given seed."""
    from sklearn.model_selection import train_test_split

    if (
        not 0 < validation_fraction < 1
        or not 0 < test_fraction < 1
        or validation_fraction + test_fraction >= 1
    ):
        raise DatasetError(
            f"validation_fraction={validation_fraction} and test_fraction={test_fraction} must be "
            "in (0, 1) and sum to less than 1"
        )
    labels = feature_matrix_and_labels(frame)[2]
    rest, test = train_test_split(frame, test_size=test_fraction, random_state=seed, stratify=labels)
    train, validation = train_test_split(
        rest,
        test_size=validation_fraction / (1 - test_fraction),
        random_state=seed,
        stratify=rest[TARGET_COLUMN],
    )
    return {
        name: part.reset_index(drop=True)
        for name, part in (("train", train), ("validation", validation), ("test", test))
    }


def write_channels(parts: dict[str, pd.DataFrame], root: str | Path) -> dict[str, Path]:
    """Write each frame as <root>/<name>/<name>.csv (a SageMaker channel folder); returns the folders."""
    folders = {}
    for name, frame in parts.items():
        folder = Path(root) / name
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_csv(folder / f"{name}.csv", index=False)
        folders[name] = folder
    return folders


def channel_files(channel: str | Path) -> list[Path]:
    """A channel's data files: the path itself if a file, else its CSV/Parquet files sorted by name."""
    path = Path(channel)
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise DatasetError(f"channel {path} holds no data files (expected *.csv or *.parquet)")
    else:
        raise DatasetError(f"channel {path} does not exist")
    unsupported = [p.name for p in files if p.suffix.lower() not in DATA_SUFFIXES]
    if unsupported:
        raise DatasetError(f"channel {path}: unsupported file(s) {unsupported}; expected *.csv or *.parquet")
    return files


def read_channel(channel: str | Path) -> pd.DataFrame:
    """All files of a channel concatenated in name order; they must share one set of columns."""
    frames = []
    for file in channel_files(channel):
        frame = pd.read_parquet(file) if file.suffix.lower() == ".parquet" else pd.read_csv(file)
        if frames and list(frame.columns) != list(frames[0].columns):
            raise DatasetError(
                f"{file}: columns {list(frame.columns)} differ from the channel's first file's "
                f"columns {list(frames[0].columns)}"
            )
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    if frame.empty:
        raise DatasetError(f"channel {channel} holds no rows")
    return frame


def channel_sha256(channel: str | Path) -> str:
    """sha256 of a one-file channel's bytes (what `sha256sum` prints); for several files, of their
    `sha256sum`-style manifest ("<sha256>  <name>" lines in name order)."""
    digests = [(hashlib.sha256(file.read_bytes()).hexdigest(), file.name) for file in channel_files(channel)]
    if len(digests) == 1:
        return digests[0][0]
    manifest = "".join(f"{digest}  {name}\n" for digest, name in digests)
    return hashlib.sha256(manifest.encode()).hexdigest()


def feature_matrix_and_labels(
    frame: pd.DataFrame, feature_names: list[str] | None = None
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(float64 features, their names, int64 labels) from a frame with a `target` column.

    With feature_names given, those columns are taken in that order (extra columns are ignored);
    otherwise every column but `target`, in frame order.
    """
    if TARGET_COLUMN not in frame.columns:
        raise DatasetError(f"label column {TARGET_COLUMN!r} is missing; columns are {list(frame.columns)}")
    labels = frame[TARGET_COLUMN]
    if labels.isna().any():
        raise DatasetError(f"column {TARGET_COLUMN!r} has {int(labels.isna().sum())} missing value(s)")
    if not pd.api.types.is_integer_dtype(labels):
        if pd.api.types.is_float_dtype(labels) and (labels == labels.round()).all():
            labels = labels.astype("int64")
        else:
            raise DatasetError(
                f"column {TARGET_COLUMN!r} must hold integer class labels; found dtype {labels.dtype}"
            )
    if feature_names is None:
        feature_names = [str(name) for name in frame.columns if name != TARGET_COLUMN]
    missing = [name for name in feature_names if name not in frame.columns]
    if missing:
        raise DatasetError(f"feature column(s) {missing} are missing; columns are {list(frame.columns)}")
    if not feature_names:
        raise DatasetError("the frame has no feature columns besides 'target'")
    features = frame[feature_names]
    non_numeric = [
        name
        for name in feature_names
        if not pd.api.types.is_numeric_dtype(features[name]) or pd.api.types.is_bool_dtype(features[name])
    ]
    if non_numeric:
        raise DatasetError(f"feature column(s) {non_numeric} are not numeric")
    with_missing = [name for name in feature_names if features[name].isna().any()]
    if with_missing:
        raise DatasetError(f"feature column(s) {with_missing} have missing values")
    return features.to_numpy(dtype=np.float64), list(feature_names), labels.to_numpy(dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class TrainingData:
    """The train and validation channels, read and checked before any fitting."""

    train_channel: Path
    validation_channel: Path
    train_frame: pd.DataFrame
    validation_frame: pd.DataFrame
    feature_names: list[str]
    classes: list[int]
    """Sorted classes of the train labels; probability column i is classes[i]."""
    train_features: np.ndarray
    train_labels: np.ndarray
    validation_features: np.ndarray
    validation_labels: np.ndarray


def load_training_data(train_channel: str | Path, validation_channel: str | Path) -> TrainingData:
    """Read both channels; validation features are taken by the train channel's names. Checks that the
    train labels hold two or more classes and the validation labels two or more of those."""
    train_channel, validation_channel = Path(train_channel), Path(validation_channel)
    train_frame, validation_frame = read_channel(train_channel), read_channel(validation_channel)
    train_features, feature_names, train_labels = feature_matrix_and_labels(train_frame)
    validation_features, _, validation_labels = feature_matrix_and_labels(validation_frame, feature_names)
    classes = np.unique(train_labels).tolist()
    if len(classes) < 2:
        raise DatasetError(
            f"the train channel's {TARGET_COLUMN!r} holds a single class {classes}; need two or more"
        )
    unknown = sorted(set(np.unique(validation_labels).tolist()) - set(classes))
    if unknown:
        raise DatasetError(
            f"the validation channel's {TARGET_COLUMN!r} holds class(es) {unknown} absent from "
            f"the train channel (classes {classes})"
        )
    if len(np.unique(validation_labels)) < 2:
        raise DatasetError(
            f"the validation channel's {TARGET_COLUMN!r} holds a single class; metrics need two"
        )
    return TrainingData(
        train_channel=train_channel,
        validation_channel=validation_channel,
        train_frame=train_frame,
        validation_frame=validation_frame,
        feature_names=feature_names,
        classes=classes,
        train_features=train_features,
        train_labels=train_labels,
        validation_features=validation_features,
        validation_labels=validation_labels,
    )
