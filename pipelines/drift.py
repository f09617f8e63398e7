"""Feature drift: baseline statistics, PSI and KS per feature, the drift report and its plot, drifted demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_BINS = 10
# Empty bins would make PSI infinite; a proportion this small stands in for "none seen".
PSI_EPSILON = 1e-4
# Family-wise false-alarm rate of the KS tests over all features of one report (Bonferroni-corrected per feature).
DEFAULT_KS_ALPHA = 0.05


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
        raise ValueError(
            f"expected and actual proportions differ in shape: {expected.shape} vs {actual.shape}"
        )
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
            "mean": float(values.mean()),
            "std": float(values.std()),
            "min": float(values.min()),
            "max": float(values.max()),
            "count": int(values.size),
        }
    return {"bins": bins, "features": statistics}


def psi_sampling_bias(bins: int, baseline_rows: int, current_rows: int) -> float:
    """Expected PSI between two samples of the SAME distribution: about (bins - 1) * (1/n + 1/m), since PSI is a
    symmetrised KL divergence whose chi-square approximation has bins - 1 degrees of freedom. On 86 current rows
    and 10 bins that alone is ~0.1, half the usual 0.2 threshold, and its spread reaches past the threshold."""
    return (bins - 1) * (1.0 / baseline_rows + 1.0 / current_rows)


def drift_report(
    baseline: dict[str, Any],
    reference: pd.DataFrame,
    current: pd.DataFrame,
    psi_threshold: float,
    ks_alpha: float = DEFAULT_KS_ALPHA,
) -> dict[str, Any]:
    """PSI (against the baseline's bins) and KS (against the reference sample) for each baseline feature.

    A feature has drifted only when its PSI exceeds `psi_threshold` (the shift is large enough to matter) AND the
    two-sample KS test rejects "same distribution" at `ks_alpha / features` (Bonferroni: the chance that any
    undrifted feature is flagged stays below `ks_alpha`). PSI alone is biased upwards and noisy on small
    samples, so an undrifted sample of a few dozen rows would otherwise cross the threshold by chance.
    """
    if not 0 < ks_alpha < 1:
        raise ValueError(f"ks_alpha must lie in (0, 1), got {ks_alpha}")
    features = list(baseline["features"])
    missing = [name for name in features if name not in current.columns]
    if missing:
        raise ValueError(f"the current data lacks baseline feature(s) {missing}")
    ks_alpha_per_feature = ks_alpha / len(features)
    per_feature = {}
    for name in features:
        stats = baseline["features"][name]
        values = current[name].to_numpy(dtype=np.float64)
        psi = population_stability_index(
            np.array(stats["proportions"]), bin_proportions(values, stats["edges"])
        )
        statistic, pvalue = ks_test(reference[name].to_numpy(dtype=np.float64), values)
        psi_exceeded, ks_rejected = psi > psi_threshold, pvalue < ks_alpha_per_feature
        per_feature[name] = {
            "psi": psi,
            "ks_statistic": statistic,
            "ks_pvalue": pvalue,
            "psi_exceeded": psi_exceeded,
            "ks_rejected": ks_rejected,
            "current_mean": float(values.mean()),
            "baseline_mean": stats["mean"],
            "drifted": psi_exceeded and ks_rejected,
        }
    worst = max(per_feature, key=lambda name: per_feature[name]["psi"])
    drifted = sorted(
        (name for name, item in per_feature.items() if item["drifted"]),
        key=lambda name: -per_feature[name]["psi"],
    )
    return {
        "psi_threshold": psi_threshold,
        "ks_alpha": ks_alpha,
        "ks_alpha_per_feature": ks_alpha_per_feature,
        "decision_rule": f"drifted when PSI > {psi_threshold} and KS p-value < {ks_alpha}/{len(features)}",
        "rows": int(len(current)),
        "reference_rows": int(len(reference)),
        "psi_sampling_bias": psi_sampling_bias(int(baseline["bins"]), len(reference), len(current)),
        "max_psi": per_feature[worst]["psi"],
        "max_psi_feature": worst,
        "psi_exceeded_features": sorted(name for name, item in per_feature.items() if item["psi_exceeded"]),
        "drifted_features": drifted,
        "drift_detected": bool(drifted),
        "features": per_feature,
    }


def plot_drift(report: dict[str, Any], path: str | Path) -> Path:
    """A PNG bar chart of PSI per feature (highest first) with the threshold line; drifted bars in red."""
    from matplotlib.figure import Figure

    items = sorted(report["features"].items(), key=lambda item: item[1]["psi"], reverse=True)
    names = [name for name, _ in items]
    values = [item["psi"] for _, item in items]
    figure = Figure(figsize=(10, max(4.0, 0.28 * len(names))), layout="constrained")
    axes = figure.add_subplot()
    # Red: drifted; orange: PSI over the threshold but within what sampling noise explains (KS not significant).
    colours = [
        "#c0392b" if item["drifted"] else "#e67e22" if item["psi_exceeded"] else "#2e86c1"
        for _, item in items
    ]
    axes.barh(names, values, color=colours)
    axes.axvline(
        report["psi_threshold"], color="black", linestyle="--", label=f"threshold {report['psi_threshold']}"
    )
    axes.invert_yaxis()
    axes.set_xlabel("population stability index")
    axes.set_title(
        f"Feature drift: {len(report['drifted_features'])} of {len(names)} features over the threshold "
        f"and significant by KS ({report['rows']} rows)"
    )
    axes.legend(loc="lower right")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def drifted_frame(
    frame: pd.DataFrame,
    features: list[str] | None = None,
    shift_in_std: float = 1.5,
    noise_in_std: float = 0.1,
    seed: int = 0,
) -> pd.DataFrame:
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
        frame[name] = (
            values + shift_in_std * std + generator.normal(0.0, noise_in_std * std, size=values.size)
        )
    return frame
