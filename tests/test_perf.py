"""`make perf` runs end to end on a tiny setting (the real figures are a benchmark, not a test)."""
import os

import numpy as np
import pandas as pd

from bench.perf import growth_exponent, main, ratio_interval


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
    assert (tmp_path / "runtime_vs_d.png").exists()
