"""PSI: the drift measure of the propensity scores and their top features."""

from __future__ import annotations

import numpy as np

from orchestration.ml import drift


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 1, 20_000)
    assert drift.psi(ref, rng.normal(0, 1, 20_000)) < 0.01
    assert drift.psi(ref, rng.normal(1.0, 1, 20_000)) > 0.25
    small_shift = drift.psi(ref, rng.normal(0.2, 1, 20_000))
    assert 0.01 < small_shift < 0.1


def test_psi_report_flags_only_drifted_series():
    rng = np.random.default_rng(1)
    ref = {"score": rng.uniform(size=5000), "x": rng.poisson(3, 5000).astype(float)}
    cur = {"score": rng.uniform(size=5000), "x": rng.poisson(8, 5000).astype(float)}
    report = drift.psi_report(ref, cur, threshold=0.25)
    assert report["score"]["drifted"] is False
    assert report["x"]["drifted"] is True
