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
