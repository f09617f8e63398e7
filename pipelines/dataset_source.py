"""Where a labelled dataset comes from: the bundled demo set, a local CSV/Parquet file, or an s3:// object or prefix."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from modelyard.catalog.datasets import BUNDLED_DEMO_SOURCE
from modelyard.catalog.errors import InputError
from modelyard.pipelines.aws_clients import AwsClients
from modelyard.pipelines.definition.training_job_runner import TrainingJobError, download_prefix

if TYPE_CHECKING:  # pandas loads with read_dataset (see there)
    import pandas as pd


class DatasetSourceError(InputError, ValueError):
    """The source names nothing readable; the message names it."""


def describe_source(source: str | Path | None) -> str:
    """How reports name the source."""
    if source is None or str(source) == BUNDLED_DEMO_SOURCE:
        return "modelyard.model_code.datasets.load_demo_frame()"
    return str(source)


def read_dataset(clients: AwsClients, source: str | Path | None, option: str = "--source") -> pd.DataFrame:
    """The frame of `source`: None or BUNDLED_DEMO_SOURCE (the demo set), a local CSV/Parquet file, or an s3://
    URI naming one CSV/Parquet object or a prefix whose files share their columns (read in name order).
    Errors name `source` as the command-line `option` that gave it."""
    # Imported here: it loads pandas (~0.4 s), and the step runtime every CLI command loads imports this module
    # for DatasetSourceError alone.
    from modelyard.model_code.datasets import load_demo_frame, read_channel

    if source is None or str(source) == BUNDLED_DEMO_SOURCE:
        return load_demo_frame()
    if isinstance(source, str) and source.startswith("s3://"):
        with tempfile.TemporaryDirectory(prefix="modelyard-source-") as scratch:
            try:
                download_prefix(clients.s3, source, Path(scratch))
            except TrainingJobError:
                raise DatasetSourceError(f"{option} {source}: no objects under that S3 URI") from None
            return read_channel(scratch)
    if not Path(source).is_file():
        raise DatasetSourceError(f"{option} {source} is not a file, an s3:// URI or {BUNDLED_DEMO_SOURCE!r}")
    return read_channel(source)
