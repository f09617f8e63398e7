"""PSI, KS and the drift report: properties of the arithmetic (hypothesis) and the report's verdicts."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from modelyard.pipelines.drift import (
    PSI_EPSILON,
    baseline_statistics,
    bin_proportions,
    drift_report,
    drifted_frame,
    plot_drift,
    population_stability_index,
    quantile_edges,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
samples = arrays(np.float64, st.integers(1, 300), elements=finite)


def proportions(size: int):
    return (
        arrays(np.float64, size, elements=st.floats(0, 1))
        .filter(lambda a: a.sum() > 0)
        .map(lambda a: a / a.sum())
    )


@given(st.integers(2, 12).flatmap(lambda n: st.tuples(proportions(n), proportions(n))))
def test_psi_is_non_negative_and_symmetric(pair):
    expected, actual = pair
    psi = population_stability_index(expected, actual)
    assert psi >= 0
    assert psi == pytest.approx(population_stability_index(actual, expected), rel=1e-9, abs=1e-12)


@given(st.integers(2, 12).flatmap(proportions))
def test_psi_of_a_distribution_with_itself_is_zero(expected):
    assert population_stability_index(expected, expected) == pytest.approx(0.0, abs=1e-12)


@given(samples, st.integers(2, 20))
def test_bin_proportions_sum_to_one_over_len_edges_plus_one_bins(values, bins):
    edges = quantile_edges(values, bins)
    shares = bin_proportions(values, edges)
    assert len(shares) == len(edges) + 1 <= bins
    assert shares.sum() == pytest.approx(1.0)
    assert edges == sorted(edges)


@settings(max_examples=30)
@given(arrays(np.float64, st.integers(200, 400), elements=st.floats(-100, 100)), st.floats(0.5, 5.0))
def test_shifting_a_sample_by_more_than_its_spread_raises_psi(values, shift_in_std):
    spread = values.std()
    if spread == 0:
        return
    edges = quantile_edges(values)
    baseline = bin_proportions(values, edges)
    same = population_stability_index(baseline, bin_proportions(values, edges))
    moved = population_stability_index(baseline, bin_proportions(values + shift_in_std * spread * 4, edges))
    assert moved > same


def test_an_empty_bin_is_floored_not_infinite():
    assert np.isfinite(population_stability_index(np.array([0.5, 0.5]), np.array([1.0, 0.0])))
    assert population_stability_index(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(
        (1.0 - 0.5) * np.log(1.0 / 0.5) + (PSI_EPSILON - 0.5) * np.log(PSI_EPSILON / 0.5)
    )


def test_report_flags_only_the_shifted_features_and_plots(tmp_path):
    generator = np.random.default_rng(0)
    reference = pd.DataFrame(generator.normal(size=(2000, 3)), columns=["a", "b", "c"])
    current = drifted_frame(
        pd.DataFrame(generator.normal(size=(2000, 3)), columns=["a", "b", "c"]),
        features=["b"],
        shift_in_std=1.0,
    )
    baseline = baseline_statistics(reference, ["a", "b", "c"])
    report = drift_report(baseline, reference, current, psi_threshold=0.2)
    assert report["drifted_features"] == ["b"] and report["max_psi_feature"] == "b"
    assert report["features"]["b"]["ks_pvalue"] < 1e-6 < report["features"]["a"]["ks_pvalue"]
    assert plot_drift(report, tmp_path / "drift.png").read_bytes()[:4] == b"\x89PNG"


def test_report_names_missing_features():
    frame = pd.DataFrame({"a": np.arange(100.0)})
    with pytest.raises(ValueError, match=r"lacks baseline feature\(s\) \['b'\]"):
        drift_report(baseline_statistics(frame.assign(b=1.0), ["a", "b"]), frame.assign(b=1.0), frame, 0.2)


@pytest.fixture(scope="module")
def demo_splits():
    """The bundled dataset split as ingest splits it (seed 0), and the baseline ingest writes from the train split."""
    from modelyard.model_code.datasets import load_demo_frame, split_frame

    splits = split_frame(load_demo_frame(), 0.15, 0.15, 0)
    features = [name for name in splits["train"].columns if name != "target"]
    return splits, baseline_statistics(splits["train"], features)


def test_the_undrifted_test_split_is_not_drift_although_its_psi_crosses_the_threshold(demo_splits):
    splits, baseline = demo_splits
    report = drift_report(baseline, splits["train"], splits["test"], psi_threshold=0.2)
    assert report["drift_detected"] is False and report["drifted_features"] == []
    # What the rule guards against: on 86 rows PSI alone crosses 0.2 by chance (its bias alone is ~0.13).
    assert report["psi_exceeded_features"] and report["max_psi"] > 0.2
    assert report["psi_sampling_bias"] == pytest.approx(
        9 * (1 / len(splits["train"]) + 1 / len(splits["test"]))
    )
    for item in report["features"].values():
        assert set(item) >= {"psi", "ks_pvalue", "ks_statistic", "psi_exceeded", "ks_rejected", "drifted"}
        assert item["drifted"] == (item["psi_exceeded"] and item["ks_rejected"])
    assert report["ks_alpha_per_feature"] == pytest.approx(0.05 / 30)


def test_random_resamples_of_the_training_data_rarely_flag_drift(demo_splits):
    """The family-wise false-alarm rate is at most alpha = 0.05: of 20 bootstrap samples of test-split size, more
    than 2 flagged would be very unlikely (binomial tail < 8%) if the rule held its rate; PSI alone flags most."""
    splits, baseline = demo_splits
    reports = [
        drift_report(
            baseline,
            splits["train"],
            splits["train"].sample(86, replace=True, random_state=seed),
            psi_threshold=0.2,
        )
        for seed in range(20)
    ]
    assert sum(report["drift_detected"] for report in reports) <= 2
    assert sum(bool(report["psi_exceeded_features"]) for report in reports) >= 10


def test_drifted_data_is_flagged_on_small_and_large_samples(demo_splits):
    splits, baseline = demo_splits
    for current in (
        drifted_frame(splits["test"]),
        drifted_frame(splits["validation"].sample(50, random_state=0)),
    ):
        report = drift_report(baseline, splits["train"], current, psi_threshold=0.2)
        shifted = [name for name in current.columns if name != "target"][:10]
        assert report["drift_detected"] is True
        assert set(report["drifted_features"]) == set(shifted)


def test_a_large_psi_without_a_significant_ks_test_is_not_drift():
    generator = np.random.default_rng(1)
    reference = pd.DataFrame({"a": generator.normal(size=2000)})
    baseline = baseline_statistics(reference, ["a"])
    # Five rows cannot show anything significant, whatever their PSI.
    current = pd.DataFrame({"a": np.sort(generator.normal(size=5))})
    report = drift_report(baseline, reference, current, psi_threshold=0.01)
    assert report["features"]["a"]["psi_exceeded"] is True
    assert report["features"]["a"]["ks_rejected"] is False and report["drift_detected"] is False


def test_ks_alpha_out_of_range_is_rejected():
    frame = pd.DataFrame({"a": np.arange(100.0)})
    with pytest.raises(ValueError, match=r"ks_alpha must lie in \(0, 1\), got 1.5"):
        drift_report(baseline_statistics(frame, ["a"]), frame, frame, 0.2, ks_alpha=1.5)
