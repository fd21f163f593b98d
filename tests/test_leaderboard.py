"""leaderboard.csv rows per setting, the orientation split, and the verdict the report leads with."""
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
    assert any("**tabscm** wins" in line and "Every other method beats it" in line for line in lines)


def test_verdict_with_a_trivial_baseline_setting_only():
    # the only trivial baseline is a non-default setting: still the baseline to beat
    recs = [record("abs-corr", f"d{i}", label="abs-corr(edges_per_node=2.0)", auroc=0.9) for i in range(3)]
    recs += [record("tabscm", f"d{i}", learned=True, auroc=0.8) for i in range(3)]
    text = "\n".join(verdict(leaderboard(_jobs(recs))))
    assert "**tabscm** (learned) does not beat the best trivial baseline on `s`" in text
    assert "vs abs-corr(edges_per_node=2.0) 0.900" in text
