"""The standard error of a ROC AUC (Hanley and McNeil, 1982) against a bootstrap of the same hold-out."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from orchestration.ml import evaluation as ev


def test_hanley_mcneil_matches_the_bootstrap():
    rng = np.random.default_rng(3)
    y = rng.random(800) < 0.2
    p = 1 / (1 + np.exp(-np.where(y, rng.normal(0.8, 1, 800), rng.normal(0, 1, 800))))  # scores in (0, 1)
    auc = roc_auc_score(y, p)
    se = ev.roc_auc_se(auc, int(y.sum()), int((~y).sum()))
    boot = []
    for _ in range(400):
        i = rng.integers(0, len(y), len(y))
        if y[i].any() and not y[i].all():
            boot.append(roc_auc_score(y[i], p[i]))
    assert abs(se - np.std(boot)) < 0.25 * np.std(boot)  # within a quarter of the bootstrap's spread
    assert np.isnan(ev.roc_auc_se(0.7, 0, 10)) and ev.evaluate(y, p)["roc_auc_se"] == se
