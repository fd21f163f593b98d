"""Coverage is part of the result: missing jobs, a live run and failed jobs are said before any ranking."""
import json

import pandas as pd
import pytest

from bench.cli import main
from bench.coverage import coverage_lines, missing_jobs
from bench.store import folder_lock, lock_holder
from bench.tables import jobs_table
from tests.test_tables import record


def _folder(tmp_path, expected):
    (tmp_path / "run.json").write_text(json.dumps([{"started": 0, "expected": expected}]))
    return tmp_path


def test_missing_jobs_per_method_from_what_the_runs_asked_for(tmp_path):
    _folder(tmp_path, {"pc": [["s", f"d{i}", 0] for i in range(4)], "tabscm": [["s", f"d{i}", 0] for i in range(4)]})
    jobs = jobs_table([record("pc", f"d{i}") for i in range(4)] + [record("tabscm", "d0", status="error")])
    cov = missing_jobs(tmp_path, jobs).set_index("method")
    assert (cov.loc["pc", "have"], cov.loc["tabscm", "have"], cov.loc["tabscm", "expected"]) == (4, 1, 4)
    text = "\n".join(coverage_lines(tmp_path, jobs))
    assert "**Jobs are missing** (3 of 8" in text and "- **tabscm**: 1/4; missing `d1`, `d2`, `d3`" in text
    assert "complete: pc 4/4" in text
    assert "scored as the empty graph" in text and "tabscm 1/1 (1 error)" in text


def test_an_older_folder_says_it_cannot_count(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps([{"started": 0}]))
    assert "cannot be counted" in "\n".join(coverage_lines(tmp_path, jobs_table([record("pc")])))


def test_a_live_run_is_seen_without_taking_its_lock(tmp_path, monkeypatch):
    import fcntl
    import os
    assert lock_holder(tmp_path) is None
    with folder_lock(tmp_path):
        if os.path.exists("/proc/locks"):  # read from the kernel's table: looking takes no lock a run could meet
            monkeypatch.setattr(fcntl, "flock", lambda *a: (_ for _ in ()).throw(AssertionError("flock called")))
        assert lock_holder(tmp_path) == str(os.getpid())
        monkeypatch.undo()
    assert lock_holder(tmp_path) is None


def test_a_live_run_is_said_first(tmp_path):
    _folder(tmp_path, {"pc": [["s", "d0", 0]]})
    with folder_lock(tmp_path):
        assert "A run is writing to this folder now" in coverage_lines(tmp_path, jobs_table([record("pc")]))[0]


@pytest.mark.slow
def test_an_interrupted_runs_report_names_the_missing_jobs_and_ranks_on_complete_datasets(tmp_path):
    assert main(["run", "--suite", "quick", "--methods", "abs-corr,partial-corr", "--out", str(tmp_path),
                 "--quiet"]) == 0
    for p in (tmp_path / "jobs").glob("*.json"):  # as if the run had stopped before these two jobs
        r = json.loads(p.read_text())
        if r["method"] == "partial-corr" and r["dataset"] in ("quick-int-d8", "quick-mlp-d8"):
            p.unlink()
    assert main(["report", str(tmp_path)]) == 0
    report = (tmp_path / "report.md").read_text()
    head = report.split("## Verdict")[0]
    assert "**Jobs are missing** (2 of 8" in head and "- **partial-corr**: 2/4; missing `quick-int-d8`, " \
                                                      "`quick-mlp-d8`" in head
    lb = pd.read_csv(tmp_path / "leaderboard.csv")
    assert set(lb["ranked_datasets"]) == {2} and set(lb["n_datasets"]) == {2, 4}
    assert "over 2 datasets (of 4: only those every method here has a record on)" in report
