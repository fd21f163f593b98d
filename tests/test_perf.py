"""`make perf` runs end to end on a tiny setting (the real figures are a benchmark, not a test)."""
import pandas as pd

from bench.perf import growth_exponent, main


def test_growth_exponent():
    x = [10, 20, 40, 80]
    assert abs(growth_exponent(x, [v ** 2 for v in x]) - 2.0) < 1e-9


def test_perf_tiny(tmp_path):
    assert main(["--tiny", "--out", str(tmp_path)]) == 0
    for name in ["overhead", "parallel", "scaling_points", "scaling_exponents"]:
        assert len(pd.read_csv(tmp_path / f"{name}.csv")) > 0, name
    over = pd.read_csv(tmp_path / "overhead.csv")
    assert {"pc", "ges", "notears", "all (whole run)", "all (whole run, imports counted)"} == set(over["method"])
    assert (over["direct_s"] > 0).all() and over["overhead"].between(0.5, 100).all()
    assert (tmp_path / "runtime_vs_d.png").exists()
