"""The dependence-blindness probe (bench/probe.py)."""
import numpy as np

from bench.probe import BLIND_THRESHOLD, dependence_probe, shuffle_columns
from datasets.generator import SCMSpec, generate
from methods import Method, Prediction, get_method


def _obs(interventions=False):
    spec = SCMSpec(d=8, n=400, expected_degree=2.5, mechanism="linear", scaling="zscore",
                   intervention_share=0.3 if interventions else 0.0, n_targets=3 if interventions else None)
    return generate(spec, 11).observations()


class VarianceScores(Method):
    """Scores from marginals only: a function of column variances and skewness."""

    def fit(self, obs):
        X = np.asarray(obs.X)
        v = X.var(axis=0) + np.abs(((X - X.mean(0)) ** 3).mean(0))
        S = np.add.outer(v, 2 * v)
        np.fill_diagonal(S, 0.0)
        return Prediction(S, np.zeros(S.shape, dtype=np.int8), False, {})


def test_shuffle_keeps_marginals_and_mask_alignment():
    obs = _obs(interventions=True)
    sh = shuffle_columns(obs, seed=3)
    for j in range(obs.d):
        assert np.array_equal(np.sort(obs.X[:, j]), np.sort(sh.X[:, j]))
        # each value travels with its own mask entry
        assert sorted(zip(obs.X[:, j], obs.interventions[:, j])) == sorted(zip(sh.X[:, j], sh.interventions[:, j]))
    assert abs(np.corrcoef(sh.X, rowvar=False)[~np.eye(obs.d, dtype=bool)]).max() < 0.25


def test_abs_corr_is_not_blind():
    r = dependence_probe(get_method("abs-corr"), _obs())
    assert not r["probe_blind"] and r["probe_score_change"] > 5 * BLIND_THRESHOLD


def test_empty_is_blind_without_division_by_zero():
    r = dependence_probe(get_method("empty"), _obs())
    assert r["probe_blind"] and r["probe_score_change"] == 0.0
    assert np.isfinite(r["probe_rank_change"])


def test_marginal_function_is_blind():
    r = dependence_probe(VarianceScores(), _obs(interventions=True))
    assert r["probe_blind"] and r["probe_score_change"] < 1e-9


class RowOrderSensitive(Method):
    """Depends on row order and marginals only (first rows of each column): the control absorbs it."""

    def fit(self, obs):
        X = np.asarray(obs.X)
        v = X[:5].sum(axis=0)
        S = np.add.outer(v, v)
        np.fill_diagonal(S, 0.0)
        return Prediction(S, np.zeros(S.shape, dtype=np.int8), False, {})


def test_control_permutation_keeps_dependence_and_is_zero_for_set_methods():
    r = dependence_probe(get_method("abs-corr"), _obs())
    assert r["probe_control_change"] < 1e-9
    assert abs(r["probe_excess_change"] - r["probe_score_change"]) < 1e-9
    r = dependence_probe(RowOrderSensitive(), _obs())
    assert r["probe_score_change"] > 0 and r["probe_control_change"] > 0


def test_large_data_are_probed_on_a_seeded_sub_table():
    from bench.probe import MAX_ROWS, MAX_VARIABLES, sub_table

    obs = generate(SCMSpec(d=40, n=1200, expected_degree=2.0, scaling="zscore"), 5).observations()
    small = sub_table(obs, seed=1)
    assert small.X.shape == (MAX_ROWS, MAX_VARIABLES)
    assert np.array_equal(small.X, sub_table(obs, seed=1).X) and not np.array_equal(small.X, sub_table(obs, 2).X)
    probe = dependence_probe(get_method("abs-corr"), obs, seed=1)
    assert (probe["probe_rows"], probe["probe_variables"]) == (MAX_ROWS, MAX_VARIABLES) and not probe["probe_blind"]
