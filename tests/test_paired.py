"""Paired comparisons over datasets: the record (ties named), the interval, Wilcoxon, the rank test."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon

from bench.leaderboard import leaderboard
from bench.paired import compare, paired_table, rank_matrices, rank_test
from bench.tables import jobs_table
from tests.test_tables import record


def test_compare_counts_wins_ties_losses_in_each_metrics_direction():
    a = pd.Series([0.9, 0.8, 0.7, 0.6], index=list("wxyz"))
    b = pd.Series([0.8, 0.8, 0.75, 0.5], index=list("wxyz"))
    r = compare(a, b, "auroc")
    assert (r["wins"], r["ties"], r["losses"], r["datasets"]) == (2, 1, 1, 4)
    assert r["mean_diff"] == pytest.approx(0.0375)
    assert r["p_wilcoxon"] == pytest.approx(wilcoxon([0.1, -0.05, 0.1]).pvalue)  # the tie dropped
    shd = compare(pd.Series([3.0, 5.0, 4.0, 1.0]), pd.Series([4.0, 5.0, 2.0, 3.0]), "shd")  # lower is better
    assert (shd["wins"], shd["ties"], shd["losses"]) == (2, 1, 1)
    assert shd["mean_diff"] == pytest.approx(-0.25) and shd["reference_mean"] == pytest.approx(3.5)
    assert np.isnan(compare(a, a, "auroc")["p_wilcoxon"])  # all ties: nothing to test
    assert np.isnan(compare(a[:2], b[:2], "auroc")["ci_low"])  # two datasets: no interval


def _jobs(n_datasets=4, seeds=3):
    recs = []
    for i in range(n_datasets):
        recs += [record("tabscm", f"d{i}", learned=True, seed=s, auroc=0.8 + 0.01 * i + 0.001 * s)
                 for s in range(seeds)]
        recs += [record("abs-corr", f"d{i}", auroc=0.75 + 0.03 * i), record("pc", f"d{i}", auroc=0.7)]
    return jobs_table(recs)


def test_the_learned_model_is_paired_with_the_best_trivial_baseline_over_datasets():
    jobs = _jobs()
    p = paired_table(jobs, leaderboard(jobs))
    row = p[(p["method"] == "tabscm") & (p["role"] == "best trivial") & (p["metric"] == "auroc")].iloc[0]
    assert row["reference"] == "abs-corr" and row["datasets"] == 4  # seeds averaged: 4 pairs, not 12
    assert (row["wins"], row["ties"], row["losses"]) == (3, 0, 1)  # d0-d2 above abs-corr, d3 0.831 vs 0.84
    assert row["method_mean"] == pytest.approx(np.mean([0.801 + 0.01 * i for i in range(4)]))
    assert set(p.loc[p["role"] == "winner", "reference"]) == {"tabscm"}


def test_a_method_missing_datasets_narrows_the_pairs_to_the_shared_ones():
    jobs = _jobs()
    jobs = jobs[~((jobs["method"] == "pc") & jobs["dataset"].isin(["d0", "d1"]))]
    lb = leaderboard(jobs)
    assert set(lb["ranked_datasets"]) == {2}
    p = paired_table(jobs, lb)
    assert set(p["datasets"]) == {2}


def test_rank_test_needs_five_shared_datasets_and_three_methods():
    assert list(rank_matrices(*(lambda j: (j, leaderboard(j)))(_jobs(4)))) == []
    jobs = _jobs(6)
    (suite, tier, m), = rank_matrices(jobs, leaderboard(jobs))
    assert m.shape == (6, 3)
    ranks, friedman, nemenyi = rank_test(m)
    assert ranks["tabscm"] == ranks["abs-corr"] == 1.5 and ranks["pc"] == 3.0  # each first on three datasets
    assert friedman == pytest.approx(0.0111, abs=1e-3)  # chi2 = 9 on 2 degrees of freedom
    assert nemenyi.loc["tabscm", "pc"] < 0.05 and list(nemenyi.columns) == list(m.columns)


def test_the_table_has_its_columns_and_a_tier_pairs_only_its_own_datasets():
    from bench.paired import COLUMNS
    recs = []
    for i in range(6):
        tier = "small" if i < 3 else "large"
        recs += [record("tabscm", f"d{i}", learned=True, tier=tier, auroc=0.9 if tier == "small" else 0.6),
                 record("abs-corr", f"d{i}", tier=tier, auroc=0.7)]
    jobs = jobs_table(recs)
    p = paired_table(jobs, leaderboard(jobs))
    assert list(p.columns) == COLUMNS
    auroc = p[(p["method"] == "tabscm") & (p["metric"] == "auroc") & (p["role"] == "best trivial")].set_index("tier")
    assert auroc.loc["small", "wins"] == 3 and auroc.loc["small", "losses"] == 0 and auroc.loc["small", "datasets"] == 3
    assert auroc.loc["large", "wins"] == 0 and auroc.loc["large", "losses"] == 3
    assert auroc.loc["all", "datasets"] == 6 and bool(auroc.loc["all", "learned"]) is True
    assert auroc.loc["small", "ci_high"] == pytest.approx(0.2) and auroc.loc["small", "reference_mean"] == pytest.approx(0.7)


def test_rank_test_ranks_lower_shd_first():
    m = pd.DataFrame({"a": [1.0, 2, 1, 3, 2, 1], "b": [4.0, 5, 6, 4, 5, 6], "c": [9.0, 8, 9, 7, 9, 8]})
    ranks, friedman, _ = rank_test(m, "shd")
    assert list(ranks.index) == ["a", "b", "c"] and ranks["a"] == 1.0 and ranks["c"] == 3.0 and friedman < 0.05


def test_wilcoxon_drops_ties_and_missing_values_and_is_nan_on_nothing():
    from bench.paired import wilcoxon_p
    assert wilcoxon_p([0.3]) == pytest.approx(wilcoxon([0.3]).pvalue) == 1.0  # one pair: tested, p = 1
    assert wilcoxon_p([0.2, 0.0, np.nan, 0.3, -0.1, 1e-12]) == pytest.approx(wilcoxon([0.2, 0.3, -0.1]).pvalue)
    assert np.isnan(wilcoxon_p([0.0, np.nan, -1e-12]))


def test_compare_pairs_only_datasets_both_have():
    a = pd.Series([0.9, 0.8, np.nan, 0.6], index=list("wxyz"))
    b = pd.Series([0.7, 0.7, 0.7], index=list("xyz"))
    r = compare(a, b, "auroc")
    assert (r["datasets"], r["wins"], r["ties"], r["losses"]) == (2, 1, 0, 1)  # x and z
    assert r["method_mean"] == pytest.approx(0.7) and r["reference_mean"] == pytest.approx(0.7)


def test_a_trivial_winner_is_paired_once_as_the_best_trivial_baseline():
    from bench.paired import references, roles
    recs = []
    for i in range(3):
        recs += [record("tabscm", f"d{i}", learned=True, auroc=0.6), record("varsort", f"d{i}", auroc=0.8),
                 record("abs-corr", f"d{i}", auroc=0.7), record("pc", f"d{i}", auroc=np.nan)]
    jobs = jobs_table(recs)
    lb = leaderboard(jobs)
    g = lb[lb["tier"] == "all"]
    assert references(g) == {"winner": "varsort", "best trivial": "varsort"}
    assert roles(g) == {"best trivial": "varsort"}
    p = paired_table(jobs, lb)
    assert set(p["role"]) == {"best trivial"} and set(p["reference"]) == {"varsort"}
    assert sorted(set(p["method"])) == ["abs-corr", "pc", "tabscm"]  # everyone but the reference itself
    # no trivial baseline: the winner only, the first by name among those tied
    g2 = leaderboard(jobs_table([record(m, f"d{i}", auroc=0.7) for i in range(3) for m in ("pc", "ges")]))
    assert references(g2) == roles(g2) == {"winner": "ges"}
    assert references(lb.iloc[:0]) == {}
    assert references(g.assign(ranked_auroc=np.nan)) == {}


def test_paired_table_carries_the_headline_metrics_there_are():
    jobs = _jobs(3)
    p = paired_table(jobs, leaderboard(jobs))
    assert set(p["metric"]) == {"auroc", "auprc", "f1", "shd", "orientation_accuracy"}
    one = paired_table(jobs, leaderboard(jobs), metrics=["shd", "no_such_metric"])
    assert set(one["metric"]) == {"shd"} and len(one) == 4  # abs-corr and pc vs tabscm, tabscm and pc vs abs-corr
    assert paired_table(jobs.iloc[:0], leaderboard(jobs).iloc[:0]).columns.tolist() == list(p.columns)


def test_rank_test_needs_exactly_five_datasets_and_three_methods_with_values():
    jobs = _jobs(5)
    (_, _, m), = rank_matrices(jobs, leaderboard(jobs))
    assert m.shape == (5, 3)
    two = jobs[jobs["method"] != "pc"]
    assert list(rank_matrices(two, leaderboard(two))) == []
    holes = jobs.copy()
    holes.loc[(holes["method"] == "pc") & (holes["dataset"] == "d0"), "auroc"] = np.nan  # 4 complete rows left
    assert list(rank_matrices(holes, leaderboard(holes))) == []


def test_rank_test_ties_within_rounding_share_a_rank():
    """Differences below TIE = 1e-9 are float rounding: a tie, each method half a rank either way."""
    m = pd.DataFrame({"a": [0.5, 0.7, 0.6, 0.8, 0.9], "b": [0.5 + 3e-10, 0.6, 0.7, 0.7, 0.8], "c": [0.1] * 5})
    ranks, _, nemenyi = rank_test(m)
    assert ranks.to_dict() == {"a": pytest.approx(1.3), "b": pytest.approx(1.7), "c": 3.0}
    assert list(nemenyi.index) == ["a", "b", "c"] and nemenyi.loc["a", "b"] == nemenyi.loc["b", "a"]


def test_a_group_too_small_for_a_rank_test_does_not_hide_the_next():
    small, big = _jobs(4).assign(suite="a"), _jobs(5).assign(suite="b")
    jobs = pd.concat([small, big], ignore_index=True)
    assert [(s, t, m.shape) for s, t, m in rank_matrices(jobs, leaderboard(jobs))] == [("b", "all", (5, 3))]


def test_paired_rows_say_who_is_learned_and_read_shd_lower_is_better():
    recs = []
    for i in range(3):
        recs += [record("tabscm", f"d{i}", learned=True, auroc=0.8, shd=2.0 + i),
                 record("abs-corr", f"d{i}", auroc=0.7, shd=4.0)]
    jobs = jobs_table(recs)
    p = paired_table(jobs, leaderboard(jobs)).set_index(["method", "metric"])
    assert p["learned"].xs("auroc", level="metric").to_dict() == {"tabscm": True, "abs-corr": False}
    shd = p.loc[("tabscm", "shd")]
    assert (shd["wins"], shd["ties"], shd["losses"], shd["mean_diff"]) == (2, 1, 0, -1.0)  # fewer errors win
