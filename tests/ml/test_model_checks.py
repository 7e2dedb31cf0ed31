"""The model checks' verdicts, from the run report alone (the checks never open the warehouse)."""

from __future__ import annotations

import pytest

from orchestration.ml import assets as A


def _model(auc: float, floor: float = 0.6, drift: dict | None = None) -> dict:
    return {"holdout_roc_auc": auc, "auc_floor": floor,
            "drift": drift if drift is not None else {"score": {"psi": 0.01, "drifted": False}}}


def _run(models: dict, expected=("conversion", "churn")) -> dict:
    return {"expected_models": list(expected), "as_of": "2026-10-31", "models": models}


@pytest.mark.parametrize(("run", "passed", "says"), [
    (None, False, "no propensity run found"),
    (_run({"conversion": _model(0.71), "churn": _model(0.66)}), True, "conversion 0.710 >= 0.6"),
    (_run({"conversion": _model(0.71), "churn": {"skipped": "history too short", "auc_floor": 0.6}}),
     False, "churn: missing (history too short)"),
    (_run({"conversion": _model(0.71)}), False, "churn: missing (not run)"),
    (_run({"conversion": _model(0.55), "churn": _model(0.66)}), False,
     "conversion: holdout ROC AUC 0.550 below the floor 0.6"),
    (_run({"conversion": _model(float("nan")), "churn": _model(0.66)}), False, "conversion: holdout ROC AUC nan"),
    (_run({"churn": _model(0.84, floor=0.8)}, expected=("churn",)), True, "churn 0.840 >= 0.8"),
])
def test_auc_verdict(run, passed, says):
    verdict = A.auc_verdict(run)
    assert verdict.passed is passed
    assert says in verdict.description


def test_drift_verdict_names_the_drifted_series_and_is_quiet_without_a_model():
    drifted = {"score": {"psi": 0.4, "drifted": True}, "tenure_days": {"psi": 0.05, "drifted": False}}
    verdict = A.drift_verdict(_run({"conversion": _model(0.7, drift=drifted), "churn": _model(0.7)}))
    assert not verdict.passed and verdict.description == "drifted: conversion: score"
    assert verdict.metadata["max_psi"]["conversion"] == pytest.approx(0.4)
    assert A.drift_verdict(_run({"conversion": _model(0.7), "churn": _model(0.7)})).passed
    quiet = A.drift_verdict(_run({"churn": {"skipped": "no data", "auc_floor": 0.6}}))
    assert quiet.passed and "nothing to compare" in quiet.description
    assert A.drift_verdict(None).passed


def test_checks_report_their_reason_as_metadata():
    result = A._check_result(A.auc_verdict(_run({"conversion": _model(0.5)}, expected=("conversion",))))
    assert result.passed is False
    assert "below the floor" in result.description
    assert result.metadata["reason"].value == result.description
