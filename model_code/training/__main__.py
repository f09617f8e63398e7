"""Container entry point: runs the trainer named by $MODELYARD_TRAINER (sklearn or torch)."""

from __future__ import annotations

import importlib
import os
import sys

from modelyard.catalog.errors import ExitCode

TRAINER_MODULES = {
    "sklearn": "modelyard.model_code.training.train_sklearn",
    "torch": "modelyard.model_code.training.train_torch",
}


def main(argv: list[str] | None = None) -> int:
    """SageMaker runs `<image> train`; the trainer strips that argument and reads the rest as CLI flags."""
    name = os.environ.get("MODELYARD_TRAINER", "sklearn")
    if name not in TRAINER_MODULES:
        print(
            f"MODELYARD_TRAINER={name!r} is not a trainer; choose one of {sorted(TRAINER_MODULES)}",
            file=sys.stderr,
        )
        return ExitCode.BAD_INPUT
    return importlib.import_module(TRAINER_MODULES[name]).main(argv)


if __name__ == "__main__":
    sys.exit(main())
