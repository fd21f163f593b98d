import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from bench.diagnostics import auroc_interval, failure_flags, job_flags
from bench.metrics import evaluate
from methods import Prediction


def _case(seed=0, d=15):
    rng = np.random.default_rng(seed)
    T = np.triu(rng.random((d, d)) < 0.3, 1).astype(int)
    S = T + rng.normal(0, 0.8, (d, d))
    return T, S


def test_interval_brackets_the_point_estimate():
    T, S = _case()
    off = ~np.eye(len(T), dtype=bool)
    auc = roc_auc_score(T[off], S[off])
    lo, hi = auroc_interval(T, S)
    assert lo < auc < hi and hi - lo < 0.3


def test_interval_with_ties_and_perfect_scores():
    T, _ = _case(1)
    lo, hi = auroc_interval(T, T.astype(float))  # perfect separation
    assert lo == hi == 1.0
    lo, hi = auroc_interval(T, np.ones_like(T, dtype=float))  # all tied: exactly chance
    assert lo == hi == 0.5


@pytest.mark.parametrize("case", ["plain", "ties", "one edge", "two non-edges"])
def test_interval_equals_scikit_learn_on_each_resample(case):
    """The vectorised bootstrap is the plain one: the same resamples of pairs (in score order),
    each scored by scikit-learn, give the same percentile interval; a resample with one positive or one
    negative pair is scored, one with none is dropped."""
    from bench.diagnostics import BOOTSTRAP, CI

    T, S = _case(3, d=9)
    if case == "ties":
        S = np.round(S, 0)  # a handful of tied score levels, positives among them
    elif case == "one edge":  # 1 positive in 12 pairs: many resamples hold exactly one, or none
        T, S = np.zeros((4, 4), int), np.random.default_rng(4).random((4, 4))
        T[0, 1] = 1
    elif case == "two non-edges":  # 2 negatives in 20 pairs: many resamples hold exactly one
        T, S = 1 - np.eye(5, dtype=int), np.random.default_rng(0).random((5, 5))
        T[2, 3] = T[3, 4] = 0
    off = ~np.eye(len(T), dtype=bool)
    y, s = T[off] != 0, S[off]
    order = np.argsort(s, kind="stable")
    y, s = y[order], s[order]
    rng = np.random.default_rng(0)
    aucs = []
    for _ in range(BOOTSTRAP):
        idx = rng.integers(0, len(s), len(s))
        if 0 < y[idx].sum() < len(idx):
            aucs.append(roc_auc_score(y[idx], s[idx]))
    expected = np.percentile(aucs, [100 * (1 - CI) / 2, 100 * (1 + CI) / 2])
    np.testing.assert_allclose(auroc_interval(T, S), expected, rtol=0, atol=1e-12)


def test_flags_of_a_collapsed_prediction():
    T, _ = _case(2)
    d = len(T)
    p = Prediction(np.zeros((d, d)), np.zeros((d, d), int))
    f = job_flags(T, p, evaluate(T, p))
    assert f["empty_output"] and f["constant_scores"] and f["chance_auroc"] and f["no_better_than_empty"]
    assert not f["full_output"]


def test_flags_of_a_good_prediction():
    T, S = _case(3)
    p = Prediction(S, T)
    f = job_flags(T, p, evaluate(T, p))
    assert not any(f[k] for k in ("empty_output", "constant_scores", "chance_auroc", "no_better_than_empty"))


def test_a_directed_cycle_is_a_flag_not_a_failure():
    T = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    cyclic = Prediction.from_graph(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]]), cpdag=True)
    acyclic = Prediction.from_graph(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]), cpdag=True)
    assert job_flags(T, cyclic, evaluate(T, cyclic))["cyclic_output"] is True
    assert job_flags(T, acyclic, evaluate(T, acyclic))["cyclic_output"] is False
    assert "cyclic_output" not in failure_flags("invalid", "graph has a directed cycle")


def test_a_failed_job_is_flagged_by_its_status_only():
    for status in ("timeout", "error", "invalid"):
        assert failure_flags(status, "why") == {k: k == status for k in ("timeout", "error", "invalid")}
    assert failure_flags("ok", None) == {"timeout": False, "error": False, "invalid": False}


def test_no_better_than_empty_needs_a_true_edge():
    """SHD >= the number of true edges: what the empty graph scores; a truth without edges flags nobody."""
    one = np.array([[0, 1], [0, 0]])
    miss = Prediction.from_graph(one.T)  # the one edge reversed: SHD 1 = n_true
    assert job_flags(one, miss, evaluate(one, miss))["no_better_than_empty"] is True
    hit = Prediction.from_graph(one)
    assert job_flags(one, hit, evaluate(one, hit))["no_better_than_empty"] is False
    none = np.zeros((2, 2), int)
    assert job_flags(none, miss, evaluate(none, miss))["no_better_than_empty"] is False  # SHD 1 >= 0 edges
