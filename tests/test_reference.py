"""The committed reference run (results/reference) is what `make bench` writes today,
for the deterministic methods. Regenerate it when methods or suites change:
`make bench OUT=results/reference`."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cli import main

REF = Path(__file__).resolve().parent.parent / "results" / "reference"
DETERMINISTIC = ["abs-corr", "partial-corr", "varsort", "pc", "ges"]
METRICS = ["auroc", "auprc", "f1", "shd", "shd_cpdag", "sid", "n_pred_edges", "n_true_edges"]


@pytest.mark.slow
@pytest.mark.skipif(not (REF / "jobs.csv").exists(), reason="no committed reference run")
def test_reference_run_is_reproduced(tmp_path):
    ref = pd.read_csv(REF / "jobs.csv")
    for name in ["leaderboard.csv", "diagnostics.csv", "report.md"]:
        assert (REF / name).exists(), name
    assert main(["run", "--suite", "default", "--methods", ",".join(DETERMINISTIC), "--out", str(tmp_path),
                 "--quiet", "--n-jobs", "2"]) == 0
    new = pd.read_csv(tmp_path / "jobs.csv")
    key = ["method", "dataset", "seed"]
    merged = ref[ref["method"].isin(DETERMINISTIC)].merge(new, on=key, suffixes=("_ref", "_new"))
    assert len(merged) == len(new) == len(DETERMINISTIC) * new["dataset"].nunique()
    for m in METRICS:
        np.testing.assert_allclose(merged[f"{m}_new"], merged[f"{m}_ref"], rtol=1e-9, equal_nan=True, err_msg=m)
