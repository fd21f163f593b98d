"""`make perf` runs end to end on a tiny setting (the real figures are a benchmark, not a test)."""
import os

import numpy as np
import pandas as pd
import pytest

from bench.perf import growth_exponent, main, pooled_interval, ratio_interval


def test_growth_exponent():
    x = [10, 20, 40, 80]
    assert abs(growth_exponent(x, [v ** 2 for v in x]) - 2.0) < 1e-9


def test_ratio_interval():
    base = np.linspace(2.0, 3.0, 8)
    exact = pd.DataFrame({"base": base, "run": 1.1 * base})
    lo, hi = ratio_interval([exact])
    assert abs(lo - 1.1) < 1e-12 and abs(hi - 1.1) < 1e-12
    noisy = pd.DataFrame({"base": base, "run": base * np.random.default_rng(1).normal(1.1, 0.1, size=8)})
    point = noisy["run"].sum() / noisy["base"].sum()
    lo, hi = ratio_interval([noisy])
    assert lo < point < hi and hi - lo > 0.02
    lo2, _ = ratio_interval([noisy], added=float(noisy["base"].sum()))  # a fixed cost (the server) counts
    assert lo2 > hi + 0.5
    assert np.isnan(ratio_interval([exact.iloc[:2]])).all()  # two rounds cannot give an interval


def test_pooled_interval_counts_how_far_runs_differ():
    base = np.linspace(2.0, 3.0, 8)
    runs = [([pd.DataFrame({"base": base, "run": r * base})], 0.0) for r in (1.0, 1.1, 1.2)]
    for groups, _ in runs:  # each run alone: exact, a zero-width interval
        lo, hi = ratio_interval(groups)
        assert hi - lo < 1e-12
    lo, hi = pooled_interval(runs)
    assert lo < 1.05 and hi > 1.15  # the runs' spread, which no run's rounds show
    lo, hi = pooled_interval([runs[1]] * 3)
    assert abs(lo - 1.1) < 1e-12 and abs(hi - 1.1) < 1e-12
    assert np.isnan(pooled_interval(runs[:2])).all()  # two runs cannot say how far a third would fall


def test_perf_tiny(tmp_path):
    cpus = os.sched_getaffinity(0)
    assert main(["--tiny", "--out", str(tmp_path)]) == 0
    assert os.sched_getaffinity(0) == cpus  # the pinned overhead measurement ran in a process of its own
    for name in ["overhead", "parallel", "scaling_points", "scaling_exponents"]:
        assert len(pd.read_csv(tmp_path / f"{name}.csv")) > 0, name
    over = pd.read_csv(tmp_path / "overhead.csv")
    assert {"pc", "ges", "notears", "pc: fresh process, no harness", "all (whole run)",
            "all (whole run, imports counted)"} == set(over["method"])
    assert (over["direct_s"] > 0).all() and over["overhead"].between(0.5, 100).all()
    assert set(over["fits_on_cpu"].astype(str)) == {str(min(cpus)) if len(cpus) > 1 else "any"}
    fits = over[over["method"].isin(["pc", "ges", "notears", "pc: fresh process, no harness"])]
    split = fits[["fit_cpu_slower_s_per_job", "fit_waited_s_per_job", "direct_waited_s_per_job"]]
    assert split.notna().all().all()
    assert (split[["fit_waited_s_per_job", "direct_waited_s_per_job"]] > -0.01).all().all()  # one thread each
    if os.path.exists("/proc/stat"):  # the host's steal time, beside each side's
        assert (fits[["steal_s_per_job", "direct_steal_s_per_job"]] >= 0).all().all()
    assert (tmp_path / "runtime_vs_d.png").exists()
    # pooling three copies of this run (as three runs) gives back its ratios
    rounds = pd.read_csv(tmp_path / "overhead_rounds.csv")
    for i in range(3):
        rounds.assign(run_started=f"copy-{i}").to_csv(tmp_path / f"copy-{i}.csv", index=False)
    assert main(["--pool", *(str(tmp_path / f"copy-{i}.csv") for i in range(3)), "--out", str(tmp_path)]) == 0
    pooled = pd.read_csv(tmp_path / "overhead_pooled.csv").set_index("method")
    for method, ratio in over.set_index("method")["overhead"].items():
        if method != "all (whole run, imports counted)":
            assert abs(pooled.loc[method, "overhead"] - ratio) < 1e-9 and pooled.loc[method, "runs"] == 3, method
    with pytest.raises(SystemExit):  # one run given twice would count its rounds twice
        main(["--pool", str(tmp_path / "copy-0.csv"), str(tmp_path / "copy-0.csv"), "--out", str(tmp_path)])
