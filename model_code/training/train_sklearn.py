"""Training entry point: scikit-learn GradientBoostingClassifier on tabular channels (SageMaker contract)."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from modelyard.model_code.datasets import load_training_data
from modelyard.model_code.training.artifacts import TrainedClassifier, write_model_dir
from modelyard.model_code.training.contract import hyperparameter, parse_hyperparameters, run_entry_point
from modelyard.model_code.training.onnx_export import export_sklearn_onnx

NATIVE_FILE = "model.joblib"
HISTORY_FILE = "training_history.json"


@dataclasses.dataclass(frozen=True)
class GradientBoostingHyperparameters:
    """Hyperparameters of the scikit-learn gradient boosting trainer."""

    n_estimators: int = hyperparameter(100, minimum=1)
    """Boosting stages (trees); default 100."""
    max_depth: int = hyperparameter(3, minimum=1)
    """Depth of each tree; default 3."""
    learning_rate: float = hyperparameter(0.1, above=0.0)
    """Shrinkage applied to each tree's contribution; default 0.1."""
    subsample: float = hyperparameter(1.0, above=0.0, maximum=1.0)
    """Fraction of rows each tree sees (below 1 is stochastic gradient boosting); default 1.0."""
    min_samples_leaf: int = hyperparameter(1, minimum=1)
    """Fewest training rows in a leaf; default 1."""
    random_state: int = hyperparameter(0, minimum=0)
    """Seed for row subsampling and feature permutation; default 0."""


def train(
    train_dir: str | Path,
    validation_dir: str | Path,
    model_dir: str | Path,
    output_data_dir: str | Path,
    hyperparameters: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Fit on the train channel, write the model dir, return validation metrics of model.onnx.

    Hyperparameter values may be strings (as SageMaker passes them) or native values.
    """
    import joblib
    from sklearn.ensemble import GradientBoostingClassifier

    params = parse_hyperparameters(GradientBoostingHyperparameters, hyperparameters or {})
    data = load_training_data(train_dir, validation_dir)

    started = time.perf_counter()
    model = GradientBoostingClassifier(**dataclasses.asdict(params)).fit(
        data.train_features, data.train_labels
    )
    seconds = time.perf_counter() - started

    classifier = TrainedClassifier(
        name="gradient-boosting",
        framework="scikit-learn",
        save_native=lambda folder: Path(joblib.dump(model, folder / NATIVE_FILE)[0]),
        export_onnx=lambda path: export_sklearn_onnx(model, data.feature_names, path),
        predict_native=lambda features: (model.predict(features), model.predict_proba(features)),
        distributions=("skl2onnx", "joblib"),
    )
    metrics = write_model_dir(
        classifier,
        data,
        Path(model_dir),
        hyperparameters=dataclasses.asdict(params),
        training={
            "estimator": "sklearn.ensemble.GradientBoostingClassifier",
            "fit_seconds": round(seconds, 3),
        },
    )
    output_data_dir = Path(output_data_dir)
    output_data_dir.mkdir(parents=True, exist_ok=True)
    # train_score_ is the in-sample loss after each stage: the learning curve of the fit.
    (output_data_dir / HISTORY_FILE).write_text(
        json.dumps({"train_loss": model.train_score_.tolist()}) + "\n"
    )
    print(json.dumps({"validation": metrics}), flush=True)
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Run under the SageMaker training contract (env vars or CLI flags); returns the exit code."""
    return run_entry_point(train, GradientBoostingHyperparameters, argv)


if __name__ == "__main__":
    sys.exit(main())
