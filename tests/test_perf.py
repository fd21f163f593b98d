"""Each part of `make perf` runs on a tiny setting and writes its columns (the real figures are a
benchmark, not a test: no timing is asserted)."""
import numpy as np
import pytest

from bench import perf


def _finite_positive(values) -> bool:
    v = np.asarray(values, float)
    return bool(np.isfinite(v).all() and (v > 0).all())


def test_slope():
    x = [10, 20, 40, 80]
    assert abs(perf.slope(x, [v ** 2 for v in x]) - 2.0) < 1e-9
    assert np.isnan(perf.slope([10, 20], [1.0, np.nan]))


def test_scoring_part():
    df = perf.scoring(d=12, reps=1)
    assert {"case", "new_s", "causallearn_s", "ratio"} <= set(df.columns) and _finite_positive(df["ratio"])


@pytest.mark.slow
def test_harness_parts(tmp_path):
    over = perf.overhead(tmp_path, d=5, n=100, count=1, rounds=1)
    assert {"round", "direct_s", "runner_s", "ratio"} <= set(over.columns) and _finite_positive(over["ratio"])
    par = perf.parallel(tmp_path, method="abs-corr", d=5, n=100, count=2)
    assert {"1_worker_s", "2_worker_s", "speedup"} <= set(par.columns) and _finite_positive(par["speedup"])
    sc = perf.scaling(tmp_path, tmp_path, methods=("tabscm", "abs-corr", "pc"), suites=(("d", "quick"),),
                      n_jobs=1)
    assert {"axis", "x", "method", "status", "runtime_s", "slope", "tabscm_speedup", "lower_bound"} <= set(sc.columns)
    assert _finite_positive(sc.loc[sc["status"] == "ok", "tabscm_speedup"])
    assert (tmp_path / "runtime_vs_d.png").exists()
    thr = perf.throughput(tmp_path, runs=(("quick", ("abs-corr", "empty")),), n_jobs=2)
    assert {"jobs_per_min", "wall_s", "driver_cpu_share", "mean_score_s"} <= set(thr.columns)
    assert _finite_positive(thr[["jobs_per_min", "wall_s", "driver_cpu_share"]].iloc[0])
    assert thr["jobs"].iloc[0] == 8


def test_main_rejects_unknown_part(capsys):
    with pytest.raises(SystemExit):
        perf.main(["--parts", "nope"])


@pytest.mark.slow
def test_fixed_part(tmp_path):
    df = perf.fixed(tmp_path, rounds=1)
    assert list(df["case"]) == ["4 jobs", "nothing to do"] and _finite_positive(df["wall_s"])
    assert list(df["goal_s"]) == [5.0, 2.0] and len(df.attrs["summary"]) == 2
