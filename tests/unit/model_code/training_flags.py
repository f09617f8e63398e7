"""The trainers' command-line flags for explicit paths (instead of SageMaker's SM_* variables), shared by the tests."""

from pathlib import Path


def explicit_paths(train: Path, validation: Path, root: Path, output: str = "out") -> list[str]:
    """--train/--validation from the channels, --model-dir root/model, --output-data-dir root/<output>."""
    return [
        "--train",
        str(train),
        "--validation",
        str(validation),
        "--model-dir",
        str(root / "model"),
        "--output-data-dir",
        str(root / output),
    ]
