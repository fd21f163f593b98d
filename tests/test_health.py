"""Collapse flags shared by the harness and the trainer (methods/health.py)."""
import numpy as np

from bench.diagnostics import job_flags
from bench.metrics import evaluate
from methods import Prediction
from methods.health import auroc_interval, collapse_flags

TRUTH = np.triu(np.ones((6, 6), dtype=int), 1) * (np.arange(6)[:, None] % 2 == 0)


def test_a_collapsed_prediction_trips_empty_constant_and_chance():
    f = collapse_flags(TRUTH, np.zeros((6, 6)), 0)
    assert f["empty_output"] and f["constant_scores"] and f["chance_auroc"] and not f["full_output"]


def test_a_perfect_prediction_trips_none():
    f = collapse_flags(TRUTH, TRUTH.astype(float), int(TRUTH.sum()))
    assert not (f["empty_output"] or f["constant_scores"] or f["chance_auroc"] or f["full_output"])
    assert f["auroc_ci_low"] == f["auroc_ci_high"] == 1.0 == auroc_interval(TRUTH, TRUTH)[0]


def test_the_harness_flags_a_job_by_the_same_rule():
    pred = Prediction(np.zeros((6, 6)), np.zeros((6, 6), dtype=int))
    flags = job_flags(TRUTH, pred, evaluate(TRUTH, pred))
    assert {k: v for k, v in flags.items() if k in collapse_flags(TRUTH, pred.scores, 0)} == \
        collapse_flags(TRUTH, pred.scores, 0)
    assert flags["no_better_than_empty"]


def test_full_output_is_every_pair_adjacent_from_three_variables_on():
    T3 = np.triu(np.ones((3, 3), dtype=int), 1)
    S3 = np.random.default_rng(0).random((3, 3))
    assert collapse_flags(T3, S3, 3)["full_output"] and not collapse_flags(T3, S3, 2)["full_output"]
    T4 = np.triu(np.ones((4, 4), dtype=int), 1)
    S4 = np.random.default_rng(1).random((4, 4))
    assert collapse_flags(T4, S4, 6)["full_output"] and not collapse_flags(T4, S4, 5)["full_output"]
    two = np.array([[0, 1], [0, 0]])
    assert not collapse_flags(two, np.array([[0, 0.9], [0.1, 0]]), 1)["full_output"]  # d = 2: one edge is all


def test_empty_output_needs_a_true_edge():
    one = np.zeros((3, 3), dtype=int)
    one[0, 1] = 1
    assert collapse_flags(one, np.zeros((3, 3)), 0)["empty_output"]
    assert not collapse_flags(np.zeros((3, 3), dtype=int), np.zeros((3, 3)), 0)["empty_output"]


def test_no_interval_without_both_an_edge_and_a_non_edge():
    S = np.random.default_rng(2).random((3, 3))
    for T in (np.zeros((3, 3), dtype=int), 1 - np.eye(3, dtype=int)):
        lo, hi = auroc_interval(T, S)
        assert np.isnan(lo) and np.isnan(hi)
        assert not collapse_flags(T, S, 1)["chance_auroc"]
