"""leaderboard.csv rows per setting, the orientation split, and the verdict the report leads with."""
import numpy as np
import pytest

from bench.leaderboard import leaderboard, verdict
from bench.tables import jobs_table
from tests.test_tables import record


def _jobs(records):
    return jobs_table(records)


def test_two_settings_of_one_method_are_two_rows():
    lb = leaderboard(_jobs([record("pc", f"d{i}", label=lab, auroc=a) for i in range(3)
                            for lab, a in (("pc", 0.8), ("pc(alpha=0.2)", 0.7))]))
    rows = lb[lb["tier"] == "all"].set_index("method")
    assert sorted(rows.index) == ["pc", "pc(alpha=0.2)"]
    assert abs(rows.loc["pc", "auroc_mean"] - 0.8) < 1e-9 and abs(rows.loc["pc(alpha=0.2)", "auroc_mean"] - 0.7) < 1e-9
    assert (rows["method_name"] == "pc").all()


def test_orientation_split_has_intervals_and_summed_counts():
    lb = leaderboard(_jobs([record("ges", f"d{i}", orientation_compelled=c, orientation_unidentifiable=u,
                                   n_compelled_edges=3, n_unidentifiable_edges=2)
                            for i, (c, u) in enumerate([(1.0, 0.5), (0.8, 0.5), (0.9, 0.5)])]))
    row = lb.iloc[0]
    assert abs(row["orientation_compelled_mean"] - 0.9) < 1e-9
    assert row["orientation_compelled_ci_low"] <= 0.9 <= row["orientation_compelled_ci_high"]
    assert abs(row["orientation_unidentifiable_mean"] - 0.5) < 1e-9
    assert row["n_compelled_edges"] == 9 and row["n_unidentifiable_edges"] == 6
    one = leaderboard(_jobs([record("ges", "d0", n_compelled_edges=3, n_unidentifiable_edges=0)])).iloc[0]
    assert (one["n_compelled_edges"], one["n_unidentifiable_edges"]) == (3, 0)  # from one dataset, too


def _verdict_jobs():
    recs = []
    for i in range(4):
        recs += [record("tabscm", f"d{i}", learned=True, auroc=0.62 + 0.01 * i, tier="real"),
                 record("partial-corr", f"d{i}", auroc=0.73, tier="real"),
                 record("abs-corr", f"d{i}", label="abs-corr(edges_per_node=2.0)", auroc=0.60, tier="real"),
                 record("ges", f"d{i}", auroc=0.65, tier="real"),
                 record("pc", f"d{i}", auroc=0.80, tier="real")]
    return _jobs(recs)


def test_verdict_names_a_learned_method_below_the_trivial_baseline_first():
    lines = verdict(leaderboard(_verdict_jobs()))
    text = "\n".join(lines)
    first = "\n".join(lines[:4])
    assert "**tabscm** (learned) does not beat the best trivial baseline on `s`" in first
    assert "vs partial-corr 0.730" in first
    bullet = next(line for line in lines if line.startswith("- `s`"))
    assert "**pc** wins" in bullet and "best trivial baseline partial-corr 0.730" in bullet
    # learned methods first and in bold, then the others; trivial baselines are not "below" themselves
    assert bullet.index("**tabscm** (learned)") < bullet.index("ges 0.650")
    assert "abs-corr(edges_per_node=2.0) 0.600" not in bullet.split("Not above it:")[1]
    assert "pc 0.800" not in text.split("Not above it:")[1]


def test_verdict_says_so_when_every_learned_method_beats_the_baseline():
    recs = [record("tabscm", f"d{i}", learned=True, auroc=0.95) for i in range(3)]
    recs += [record("varsort", f"d{i}", auroc=0.7) for i in range(3)]
    lines = verdict(leaderboard(_jobs(recs)))
    assert lines[0].startswith("Every learned method in this run beats the best trivial baseline wherever")
    bullet = next(line for line in lines if "**tabscm** wins" in line)
    assert "above it" not in bullet and "beats it" not in bullet  # the winner alone: nothing else to say
    recs += [record("pc", f"d{i}", auroc=0.8) for i in range(3)]
    bullet = next(line for line in verdict(leaderboard(_jobs(recs))) if "**tabscm** wins" in line)
    assert bullet.endswith("Every method besides the trivial baselines is above it.")


def test_verdict_with_a_trivial_baseline_setting_only():
    # the only trivial baseline is a non-default setting: still the baseline to beat
    recs = [record("abs-corr", f"d{i}", label="abs-corr(edges_per_node=2.0)", auroc=0.9) for i in range(3)]
    recs += [record("tabscm", f"d{i}", learned=True, auroc=0.8) for i in range(3)]
    text = "\n".join(verdict(leaderboard(_jobs(recs))))
    assert "**tabscm** (learned) does not beat the best trivial baseline on `s`" in text
    assert "vs abs-corr(edges_per_node=2.0) 0.900" in text


def test_intervals_are_over_datasets_with_seeds_averaged_first():
    """Three seeds of one dataset are one replicate: the row is the same as with one seed (jobs aside)."""
    one = [record("abs-corr", f"d{i}", auroc=a) for i, a in enumerate([0.7, 0.8, 0.9, 0.75])]
    three = [record("abs-corr", f"d{i}", seed=s, auroc=a) for i, a in enumerate([0.7, 0.8, 0.9, 0.75])
             for s in range(3)]
    a, b = (leaderboard(_jobs(r)).iloc[0] for r in (one, three))
    assert (a["jobs"], b["jobs"], a["n_datasets"], b["n_datasets"]) == (4, 12, 4, 4)
    for c in ("auroc_mean", "auroc_ci_low", "auroc_ci_high"):
        assert a[c] == pytest.approx(b[c], abs=1e-12), c
    noisy = [record("random", f"d{i}", seed=s, auroc=0.5 + 0.1 * (s - 1)) for i in range(4) for s in range(3)]
    row = leaderboard(_jobs(noisy)).iloc[0]
    assert row["auroc_ci_low"] == row["auroc_ci_high"] == 0.5  # seed spread is not dataset spread


def test_no_interval_from_fewer_than_three_datasets():
    lb = leaderboard(_jobs([record("pc", f"d{i}", auroc=0.6 + 0.1 * i) for i in range(2)]))
    row = lb.iloc[0]
    assert row["auroc_mean"] == pytest.approx(0.65) and np.isnan(row["auroc_ci_low"]) and np.isnan(row["auroc_ci_high"])
    assert "0.650 [–]" in "\n".join(verdict(lb))


def test_ranks_use_only_datasets_every_method_has_and_ties_are_named():
    recs = [record("pc", f"d{i}", auroc=0.6) for i in range(6)]
    recs += [record("ges", f"d{i}", auroc=0.9 if i < 2 else 0.6) for i in range(6)]
    recs += [record("tabscm", f"d{i}", learned=True, auroc=0.6) for i in range(2, 6)]  # an interrupted run
    lb = leaderboard(_jobs(recs))
    rows = lb[lb["tier"] == "all"].set_index("method")
    assert set(rows["ranked_datasets"]) == {4} and rows.loc["tabscm", "n_datasets"] == 4
    assert rows.loc["ges", "auroc_mean"] == pytest.approx(0.7)  # its own datasets, shown beside
    assert set(rows["rank"]) == {1.0}  # on d2-d5 all three score 0.6: a tie, not a win by ges's easy datasets
    bullet = next(line for line in verdict(lb) if line.startswith("- `s`"))
    assert "**ges** and **pc** and **tabscm** tie" in bullet and "wins" not in bullet
    assert "over 4 datasets (of 6" in bullet


@pytest.mark.slow
def test_more_seeds_leave_a_deterministic_methods_row_as_it_was(tmp_path):
    """README's `--seeds 3` example: abs-corr's row (jobs, mean, interval) is the one `--seeds 1` gives; random
    still runs 5 seeds per dataset."""
    import pandas as pd
    from bench.cli import main
    rows = {}
    for seeds in (1, 3):
        out = tmp_path / f"s{seeds}"
        assert main(["run", "--suite", "quick", "--methods", "abs-corr,random", "--seeds", str(seeds), "--out",
                     str(out), "--quiet", "--n-jobs", "2"]) == 0
        lb = pd.read_csv(out / "leaderboard.csv").set_index("method")
        rows[seeds] = lb.loc["abs-corr", ["jobs", "n_datasets", "auroc_mean", "auroc_ci_low", "auroc_ci_high"]]
        assert lb.loc["random", "jobs"] == 5 * lb.loc["random", "n_datasets"] == 20
    assert rows[1].equals(rows[3]) and rows[1]["jobs"] == 4


def test_rank_one_is_the_highest_auroc():
    lb = leaderboard(_jobs([record(m, f"d{i}", auroc=a) for i in range(3)
                            for m, a in (("pc", 0.7), ("ges", 0.9), ("abs-corr", 0.8))]))
    rows = lb[lb["tier"] == "all"].set_index("method")
    assert rows["rank"].to_dict() == {"ges": 1, "abs-corr": 2, "pc": 3}
    assert list(lb.loc[lb["tier"] == "all", "method"]) == ["ges", "abs-corr", "pc"]  # sorted by rank


def test_a_learned_method_level_with_the_baseline_does_not_beat_it():
    """'Beats' means strictly above: a tie with the best trivial baseline raises the alarm."""
    recs = [record(m, f"d{i}", learned=m == "tabscm" or None, auroc=0.8 + 0.01 * i)
            for i in range(3) for m in ("tabscm", "partial-corr")]
    lines = verdict(leaderboard(_jobs(recs)))
    assert "**tabscm** (learned) does not beat the best trivial baseline on `s`" in "\n".join(lines[:4])


def test_interval_is_the_95_percent_bootstrap_of_the_mean():
    """Against normal theory: for 40 draws the percentile interval of the mean is close to mean -/+ 1.96 s/sqrt(n)
    (an 80% interval would be a third narrower, a 99% one a third wider)."""
    from bench.leaderboard import mean_ci

    v = np.random.default_rng(5).normal(0.7, 0.1, 40)
    m, lo, hi = mean_ci(v)
    half = 1.96 * v.std(ddof=1) / np.sqrt(len(v))
    assert m == pytest.approx(v.mean()) and lo < m < hi
    assert 0.88 < (hi - lo) / (2 * half) < 1.12, ((hi - lo) / (2 * half))
    assert abs((lo + hi) / 2 - m) < 0.25 * half


def test_interval_ends_are_the_bootstraps_2_5_and_97_5_percentiles(monkeypatch):
    """Exactly, where the bootstrap distribution is known: the mean of 20 resampled values half 0 and half 1 is
    Binomial(20, 1/2) / 20, whose 2.5% and 97.5% quantiles are 6/20 and 14/20 (its CDF passes 0.025 between 5 and 6
    and 0.975 between 13 and 14, each by at least 0.004); with 200,000 resamples the empirical quantiles are those."""
    from scipy.stats import binom

    import bench.leaderboard as lbm
    cdf = binom(20, 0.5).cdf
    assert cdf(5) < 0.025 - 0.004 and cdf(6) > 0.025 + 0.03 and cdf(13) < 0.975 - 0.03 and cdf(14) > 0.975 + 0.004
    monkeypatch.setattr(lbm, "RESAMPLES", 200_000)
    assert lbm.mean_ci([0.0] * 10 + [1.0] * 10) == (0.5, 0.30, 0.70)


def test_means_closer_than_the_tie_tolerance_share_a_rank():
    from bench.leaderboard import TIE
    recs = [record(m, f"d{i}", auroc=a) for i in range(3) for m, a in (("pc", 0.7), ("ges", 0.7 + TIE / 3))]
    rows = leaderboard(_jobs(recs)).set_index("method")
    assert rows.loc["ges", "ranked_auroc"] > rows.loc["pc", "ranked_auroc"]  # apart in floating point
    assert rows["rank"].to_dict() == {"ges": 1, "pc": 1}


def test_a_suite_whose_only_tier_is_skipped_leaves_the_next_suites_groups():
    from bench.leaderboard import groups
    recs = [record("pc", f"d{i}", suite="a", tier="x") for i in range(3)]
    recs += [record("pc", f"e{i}", suite="b", tier="xy"[i % 2]) for i in range(3)]
    assert [(s, t) for s, t, _ in groups(leaderboard(_jobs(recs)))] == [("a", "all"), ("b", "all"), ("b", "x"),
                                                                        ("b", "y")]


def test_no_values_give_nan_without_a_warning():
    import warnings

    from bench.leaderboard import mean_ci
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(mean_ci([np.nan, np.nan])).all() and np.isnan(mean_ci([])).all()


def test_no_methods_share_no_datasets():
    import pandas as pd

    from bench.leaderboard import shared_datasets
    assert shared_datasets(pd.DataFrame({"method": [], "dataset": []})) == []


def test_the_verdict_in_full_on_a_run_with_tiers_a_missing_job_and_tuebingen():
    """The report's opening lines word for word: the alarm, each tier's winner over its shared datasets, the
    methods not above the baseline (learned first), the paired record, and the Tübingen note."""
    from bench.paired import paired_table
    recs = []
    for i in range(4):
        tier = "small" if i < 2 else "large"
        recs += [record("tabscm", f"d{i}", learned=True, tier=tier, auroc=[0.9, 0.8, 0.6, 0.55][i]),
                 record("partial-corr", f"d{i}", tier=tier, auroc=0.7),
                 record("ges", f"d{i}", tier=tier, auroc=[0.75, 0.72, 0.5, 0.5][i])]
        if i != 0:  # pc has no record on d0
            recs.append(record("pc", f"d{i}", tier=tier, auroc=0.65))
    recs += [record(m, f"p{i}", suite="tuebingen", auroc=a + 0.1 * i) for i in range(3)
             for m, a in (("igci", 0.5), ("abs-corr", 0.35))]
    jobs = _jobs(recs)
    lb = leaderboard(jobs)
    head = "Per suite and tier (mean AUROC over datasets, a stochastic method's seeds averaged first; 95% bootstrap " \
           "interval over datasets, none from fewer than 3):"
    assert verdict(lb, paired_table(jobs, lb)) == [
        "**A learned method does not beat the best trivial baseline (|corr|, partial correlation, sorting by variance "
        "or R²):**", "",
        "- **tabscm** (learned) does not beat the best trivial baseline on `s`: AUROC 0.650 [0.55, 0.80] vs "
        "partial-corr 0.700; on `s` tier large: AUROC 0.575 [–] vs partial-corr 0.700.", "", head, "",
        "- `s`: the trivial baseline **partial-corr** wins, AUROC 0.700 [0.70, 0.70] over 3 datasets (of 4: only "
        "those every method here has a record on). Not above it: **tabscm** (learned) 0.650, pc 0.650, ges 0.573. "
        "**tabscm** vs partial-corr on 3 datasets: 1 win, 0 ties, 2 losses; mean AUROC difference -0.050 "
        "[-0.15, 0.10], Wilcoxon p = 0.75.",
        "- `s` tier large: the trivial baseline **partial-corr** wins, AUROC 0.700 [–] over 2 datasets. Not above it: "
        "**tabscm** (learned) 0.575, pc 0.650, ges 0.500. **tabscm** vs partial-corr on 2 datasets: 0 wins, 0 ties, "
        "2 losses; mean AUROC difference -0.125 [–], Wilcoxon p = 0.5.",
        "- `s` tier small: **tabscm** wins, AUROC 0.800 [–] over 1 dataset (of 2: only those every method here has a "
        "record on); best trivial baseline partial-corr 0.700. Not above it: pc 0.650. **tabscm** vs partial-corr on "
        "1 dataset: 1 win, 0 ties, 0 losses; mean AUROC difference +0.100 [–], Wilcoxon p = 1.",
        "- `tuebingen`: **igci** wins, AUROC 0.600 [0.50, 0.70] over 3 datasets; best trivial baseline abs-corr "
        "0.450. (d = 2 pairs: read the orientation accuracy in the Tübingen section.)"]
    assert verdict(lb) == verdict(lb, paired_table(jobs, lb)[:0])  # without paired rows: no record sentences
    assert "vs partial-corr on" not in "\n".join(verdict(lb))
    assert verdict(leaderboard(_jobs([record("pc", f"d{i}", auroc=0.7) for i in range(2)]))) == [
        "No learned method in this run.", "", head, "", "- `s`: **pc** wins, AUROC 0.700 [–] over 2 datasets; "
        "no trivial baseline ran here."]
    assert verdict(leaderboard(_jobs([record("pc", f"d{i}", auroc=np.nan) for i in range(2)]))) == [
        "No method has an AUROC in this run (no truth to score against)."]


def test_a_row_counts_jobs_datasets_successes_and_missing_sid():
    recs = [record("pc", "d0", seed=0), record("pc", "d0", seed=1, status="failed", sid=np.nan),
            record("pc", "d1", learned=False, sid=np.nan), record("tabscm", "d0", learned=True)]
    rows = leaderboard(_jobs(recs)).set_index("method")
    assert list(rows.columns[:10]) == ["suite", "tier", "rank", "method_name", "learned", "jobs", "n_datasets",
                                       "ranked_datasets", "success_rate", "sid_missing"]
    assert rows.loc["pc", ["jobs", "n_datasets", "ranked_datasets", "sid_missing"]].tolist() == [3, 2, 1, 2]
    assert rows.loc["pc", "success_rate"] == pytest.approx(2 / 3) and rows.loc["tabscm", "success_rate"] == 1.0
    assert not rows.loc["pc", "learned"] and rows.loc["tabscm", "learned"]
    assert (rows["tier"] == "all").all()  # no tiers: one row per method


def test_a_suites_only_tier_is_not_a_second_group_but_two_tiers_are():
    from bench.leaderboard import groups
    one = leaderboard(_jobs([record("pc", f"d{i}", tier="x") for i in range(3)]))
    assert sorted(one["tier"]) == ["all", "x"] and [t for _, t, _ in groups(one)] == ["all"]
    part = leaderboard(_jobs([record("pc", f"d{i}", tier="x" if i else None) for i in range(3)]))
    assert [t for _, t, _ in groups(part)] == ["all", "x"]  # the tier holds part of the suite only
    two = leaderboard(_jobs([record("pc", f"d{i}", tier="xy"[i % 2]) for i in range(3)]))
    assert [(s, t) for s, t, _ in groups(two)] == [("s", "all"), ("s", "x"), ("s", "y")]


def test_a_two_way_tie_is_a_tie_and_a_suite_without_baseline_leaves_the_next_one_its_bullet():
    recs = [record(m, f"d{i}", suite="a", auroc=0.8) for i in range(3) for m in ("ges", "pc")]
    recs += [record(m, f"d{i}", suite="b", auroc=a) for i in range(3) for m, a in (("pc", 0.8), ("varsort", 0.6))]
    bullets = [line for line in verdict(leaderboard(_jobs(recs))) if line.startswith("- `")]
    assert bullets[0].startswith("- `a`: **ges** and **pc** tie, AUROC 0.800") and bullets[0].endswith(
        "no trivial baseline ran here.")
    assert bullets[1].startswith("- `b`: **pc** wins") and "best trivial baseline varsort 0.600" in bullets[1]


def test_only_trivial_baselines_make_no_claim_about_other_methods():
    recs = [record(m, f"d{i}", auroc=a) for i in range(3) for m, a in (("varsort", 0.7), ("abs-corr", 0.6))]
    bullet = next(line for line in verdict(leaderboard(_jobs(recs))) if line.startswith("- `s`"))
    assert bullet == "- `s`: the trivial baseline **varsort** wins, AUROC 0.700 [0.70, 0.70] over 3 datasets."


def test_a_group_without_scores_leaves_the_next_groups_their_bullets():
    recs = [record("pc", f"d{i}", suite="a", auroc=np.nan) for i in range(3)]  # no truth: nothing to rank
    recs += [record("pc", f"d{i}", suite="b", auroc=0.8) for i in range(3)]
    bullets = [line for line in verdict(leaderboard(_jobs(recs))) if line.startswith("- `")]
    assert [b.split(":")[0] for b in bullets] == ["- `b`"]


def test_each_learned_methods_paired_record_is_its_own_sentence():
    from bench.markdown import paired_text
    from bench.paired import paired_table
    recs = []
    for i in range(4):
        recs += [record("tabscm", f"d{i}", learned=True, auroc=0.9 - 0.05 * i),
                 record("avici", f"d{i}", learned=True, auroc=0.6 + 0.05 * i),
                 record("partial-corr", f"d{i}", auroc=0.7)]
    jobs = _jobs(recs)
    lb = leaderboard(jobs)
    paired = paired_table(jobs, lb)
    bullet = next(line for line in verdict(lb, paired) if line.startswith("- `s`"))
    mine = paired[(paired["metric"] == "auroc") & (paired["role"] == "best trivial")
                  & paired["method"].isin(["tabscm", "avici"])]
    sentences = [f" {paired_text(r)}." for _, r in mine.iterrows()]
    assert len(sentences) == 2 and bullet.endswith("".join(sentences))
