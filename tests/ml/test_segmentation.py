"""Segmentation: preprocessing, k selection, stable ids across runs, readable names, persona recovery."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.ml import features as F
from orchestration.ml import segmentation as sg
from orchestration.ml import synthetic


@pytest.fixture(scope="module")
def frame():
    con = duckdb.connect()
    wh = synthetic.build(con, n_customers=1200, days=400, seed=5)
    out = F.compute_features(con, wh.end, wh.tables)
    con.close()
    return out


def test_preprocessor_caps_outliers_and_one_hot_encodes(frame):
    f = frame.copy()
    f.loc[0, "web_touches_365d"] = 1e9
    pre = sg.build_preprocessor().fit(f)
    X = pre.transform(f)
    stages = f["stage"].nunique()
    assert X.shape == (len(f), len(sg.SEGMENT_NUMERIC) + stages)
    col = sg.SEGMENT_NUMERIC.index("web_touches_365d")
    assert X[0, col] <= np.quantile(X[:, col], 0.995) + 1e-9  # capped, not a 1e9 outlier
    onehot = X[:, len(sg.SEGMENT_NUMERIC):]
    assert set(np.unique(onehot)) <= {0.0, sg.CATEGORICAL_WEIGHT}
    assert np.allclose(onehot.sum(axis=1), sg.CATEGORICAL_WEIGHT)


def test_not_yet_values_are_imputed_and_an_all_missing_column_keeps_its_place(frame):
    f = frame.copy()
    ticket = sg.SEGMENT_NUMERIC.index("avg_ticket")
    buyers = f["avg_ticket"] > 0
    assert buyers.any() and (~buyers).any()
    X = sg.build_preprocessor().fit(f).transform(f)
    # "no purchase yet" sits at the buyers' median ticket (one value, mid-way), not at a far-away 0
    imputed, bought = X[~buyers.to_numpy(), ticket], X[buyers.to_numpy(), ticket]
    assert np.allclose(imputed, imputed[0])
    assert np.quantile(bought, 0.25) <= imputed[0] <= np.quantile(bought, 0.75)
    # a young warehouse where nobody bought yet: same columns, and segmentation still runs
    young = f.assign(avg_ticket=0.0, multi_asset_share=-1.0)
    Xy = sg.build_preprocessor().fit(young).transform(young)
    assert Xy.shape == X.shape and np.isfinite(Xy).all()
    assert sg.segment(young, (2, 4), evaluate_alternative_models=False).k >= 2


def test_choose_k_finds_well_separated_blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])
    X = np.vstack([c + rng.normal(0, 0.5, (200, 2)) for c in centers])
    k, scores = sg.choose_k(X, (2, 7), 5000, 0)
    assert k == 4
    assert [s["k"] for s in scores] == list(range(2, 8))
    assert all(s["inertia"] > 0 for s in scores)


def test_match_centroids_undoes_a_permutation_and_gives_new_ids_to_new_clusters():
    prev = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]])
    cur = np.array([[10.1, 0.1], [0.1, -0.1], [5.2, 4.9], [20.0, 20.0]])
    assert sg.match_centroids(prev, cur) == {0: 2, 1: 0, 2: 1, 3: 3}


def test_segment_ids_are_stable_across_runs(frame, tmp_path):
    first = sg.segment(frame, (4, 4), seed=1, evaluate_alternative_models=False)
    sg.save_state(tmp_path, first)
    # another seed relabels K-Means' clusters; matching must map them back to the same ids
    second = sg.segment(frame, (4, 4), seed=99, previous=sg.load_state(tmp_path),
                        evaluate_alternative_models=False)
    assert second.matched_previous
    agreement = (first.labels == second.labels).mean()
    assert agreement > 0.9
    unmatched = sg.segment(frame, (4, 4), seed=99, evaluate_alternative_models=False)
    assert (first.labels == unmatched.labels).mean() < agreement  # without matching, ids would move


def test_metadata_names_and_persona_recovery(frame):
    result = sg.segment(frame, (3, 6), seed=0)
    meta = result.metadata()
    assert 3 <= meta["k"] <= 6
    assert {"silhouette", "davies_bouldin", "inertia", "k_scores"} <= set(meta)
    assert {"gaussian_mixture", "dbscan"} <= set(meta["alternatives"])
    assert "bic" in meta["alternatives"]["gaussian_mixture"]
    names = result.profiles["segment_name"]
    assert names.is_unique and names.str.contains("engagement").all()
    assert result.profiles["customers"].sum() == len(frame)
    # the synthetic personas have distinct channel habits: segments must find them
    ari = sg.persona_agreement(result.labels, frame["persona"])
    assert ari > 0.25, ari


def test_persona_agreement_is_one_for_identical_partitions():
    personas = pd.Series(["a", "a", "b", "b", "c"])
    assert sg.persona_agreement(np.array([2, 2, 0, 0, 1]), personas) == pytest.approx(1.0)
