"""Feature drift: baseline statistics, PSI and KS per feature, the drift report and its plot, drifted demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_BINS = 10
# Empty bins would make PSI infinite; a proportion this small stands in for "none seen".
PSI_EPSILON = 1e-4


def quantile_edges(values: np.ndarray, bins: int = DEFAULT_BINS) -> list[float]:
    """Inner bin edges at the baseline's quantiles (duplicates dropped, so constant features get one bin)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("cannot compute bin edges of an empty sample")
    inner = np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])
    return [float(edge) for edge in np.unique(inner)]


def bin_proportions(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Share of values in each of the len(edges)+1 bins (-inf, e1], (e1, e2], ..., (ek, inf)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("cannot compute bin proportions of an empty sample")
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
    return counts / values.size


def population_stability_index(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI = sum((actual - expected) * ln(actual / expected)) over bins; 0 for identical distributions, symmetric,
    never negative. Proportions are floored at PSI_EPSILON."""
    expected = np.clip(np.asarray(expected, dtype=np.float64), PSI_EPSILON, None)
    actual = np.clip(np.asarray(actual, dtype=np.float64), PSI_EPSILON, None)
    if expected.shape != actual.shape:
        raise ValueError(f"expected and actual proportions differ in shape: {expected.shape} vs {actual.shape}")
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def ks_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """(statistic, p-value) of the two-sample Kolmogorov-Smirnov test."""
    from scipy.stats import ks_2samp

    result = ks_2samp(np.asarray(reference, dtype=np.float64), np.asarray(current, dtype=np.float64))
    return float(result.statistic), float(result.pvalue)


def baseline_statistics(frame: pd.DataFrame, features: list[str], bins: int = DEFAULT_BINS) -> dict[str, Any]:
    """Per feature: quantile bin edges and their proportions (for PSI), and summary statistics."""
    statistics = {}
    for name in features:
        values = frame[name].to_numpy(dtype=np.float64)
        edges = quantile_edges(values, bins)
        statistics[name] = {
            "edges": edges,
            "proportions": bin_proportions(values, edges).tolist(),
            "mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "max": float(values.max()), "count": int(values.size),
        }
    return {"bins": bins, "features": statistics}


def drift_report(baseline: dict[str, Any], reference: pd.DataFrame, current: pd.DataFrame,
                 psi_threshold: float) -> dict[str, Any]:
    """PSI (against the baseline's bins) and KS (against the reference sample) for each baseline feature."""
    features = list(baseline["features"])
    missing = [name for name in features if name not in current.columns]
    if missing:
        raise ValueError(f"the current data lacks baseline feature(s) {missing}")
    per_feature = {}
    for name in features:
        stats = baseline["features"][name]
        values = current[name].to_numpy(dtype=np.float64)
        psi = population_stability_index(np.array(stats["proportions"]), bin_proportions(values, stats["edges"]))
        statistic, pvalue = ks_test(reference[name].to_numpy(dtype=np.float64), values)
        per_feature[name] = {"psi": psi, "ks_statistic": statistic, "ks_pvalue": pvalue,
                             "current_mean": float(values.mean()), "baseline_mean": stats["mean"],
                             "drifted": psi > psi_threshold}
    worst = max(per_feature, key=lambda name: per_feature[name]["psi"])
    drifted = sorted((name for name, item in per_feature.items() if item["drifted"]),
                     key=lambda name: -per_feature[name]["psi"])
    return {
        "psi_threshold": psi_threshold, "rows": int(len(current)),
        "max_psi": per_feature[worst]["psi"], "max_psi_feature": worst,
        "drifted_features": drifted, "drift_detected": bool(drifted), "features": per_feature,
    }


def plot_drift(report: dict[str, Any], path: str | Path) -> Path:
    """A PNG bar chart of PSI per feature (highest first) with the threshold line; drifted bars in red."""
    from matplotlib.figure import Figure

    items = sorted(report["features"].items(), key=lambda item: item[1]["psi"], reverse=True)
    names = [name for name, _ in items]
    values = [item["psi"] for _, item in items]
    figure = Figure(figsize=(10, max(4.0, 0.28 * len(names))), layout="constrained")
    axes = figure.add_subplot()
    axes.barh(names, values, color=["#c0392b" if item["drifted"] else "#2e86c1" for _, item in items])
    axes.axvline(report["psi_threshold"], color="black", linestyle="--", label=f"threshold {report['psi_threshold']}")
    axes.invert_yaxis()
    axes.set_xlabel("population stability index")
    axes.set_title(f"Feature drift: {len(report['drifted_features'])} of {len(names)} features over the threshold "
                   f"({report['rows']} rows)")
    axes.legend(loc="lower right")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def drifted_frame(frame: pd.DataFrame, features: list[str] | None = None, shift_in_std: float = 1.5,
                  noise_in_std: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """A copy of `frame` whose `features` (default: the first third of the non-target columns) are shifted by
    `shift_in_std` standard deviations with a little Gaussian noise: production data that drifted."""
    frame = frame.copy()
    if features is None:
        candidates = [name for name in frame.columns if name != "target"]
        features = candidates[: max(1, len(candidates) // 3)]
    unknown = [name for name in features if name not in frame.columns]
    if unknown:
        raise ValueError(f"cannot drift unknown column(s) {unknown}")
    generator = np.random.default_rng(seed)
    for name in features:
        values = frame[name].to_numpy(dtype=np.float64)
        std = values.std() or 1.0
        frame[name] = values + shift_in_std * std + generator.normal(0.0, noise_in_std * std, size=values.size)
    return frame
