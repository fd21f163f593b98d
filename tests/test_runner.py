"""The runner survives its methods: timeouts, crashes, invalid output, kill -9 and resume."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main

ROOT = Path(__file__).resolve().parent.parent
B = "tests.broken_methods:"


def run(out, methods, suite="quick", *extra):
    return main(["run", "--suite", suite, "--methods", methods, "--out", str(out), "--quiet", *extra])


def jobs_csv(out):
    return pd.read_csv(Path(out) / "jobs.csv")


@pytest.mark.slow
def test_failures_are_results(tmp_path):
    methods = ",".join([f"{B}Hang", f"{B}Crash", f"{B}Segfault", f"{B}NaNScores", f"{B}Cyclic",
                        f"{B}Constant", "abs-corr"])
    t0 = time.time()
    assert run(tmp_path, methods, "quick", "--n-jobs", "2") == 0
    df = jobs_csv(tmp_path)
    status = df.groupby("method")["status"].agg(set).to_dict()
    assert status[f"{B}Hang"] == {"timeout"}
    assert status[f"{B}Crash"] == {"error"}
    assert status[f"{B}Segfault"] == {"error"}
    assert status[f"{B}NaNScores"] == {"invalid"}
    assert status[f"{B}Cyclic"] == {"ok"}  # a cycle is scored as returned and flagged, not zeroed
    assert status["abs-corr"] == {"ok"}
    hang = df[df["method"] == f"{B}Hang"]
    assert hang["runtime_s"].between(2.0, 6.0).all(), hang["runtime_s"].tolist()  # killed near its budget
    assert time.time() - t0 < 120
    cyclic = df[df["method"] == f"{B}Cyclic"]
    assert cyclic["cyclic_output"].all() and cyclic["sid"].isna().all() and cyclic["shd"].notna().all()
    assert not df.loc[df["method"] != f"{B}Cyclic", "cyclic_output"].any()
    assert df[df["method"] == f"{B}Constant"]["constant_scores"].all()
    # failures are scored as the empty graph, so they count in means
    crash = df[df["method"] == f"{B}Crash"]
    assert (crash["shd"] == crash["n_true_edges"]).all() and (crash["auroc"] == 0.5).all()
    # the traceback is kept in the job file
    rec = json.loads(next(p for p in (tmp_path / "jobs").glob("*.json")
                          if json.loads(p.read_text())["method"] == f"{B}Crash").read_text())
    assert "deliberate crash in fit" in rec["traceback"]
    assert "signal 11" in df[df["method"] == f"{B}Segfault"]["error_message"].iloc[0]
    lb = pd.read_csv(tmp_path / "leaderboard.csv")
    assert lb.set_index("method").loc[f"{B}Crash", "success_rate"] == 0.0
    report = (tmp_path / "report.md").read_text()
    assert "constant scores" in report and "timeout" in report
    for name in ["jobs.csv", "leaderboard.csv", "diagnostics.csv", "report.md"]:
        assert (tmp_path / name).exists()


@pytest.mark.slow
def test_job_file_traces_everything(tmp_path):
    assert run(tmp_path, "abs-corr") == 0
    rec = json.loads(next((tmp_path / "jobs").glob("*.json")).read_text())
    for k in ["key", "method", "label", "params", "dataset", "dataset_digest", "seed", "code", "git_commit",
              "libraries", "machine", "runtime_s", "metrics", "status", "output"]:
        assert k in rec, k
    assert rec["libraries"]["numpy"]
    assert (tmp_path / "jobs" / f"{rec['key']}.npz").exists()


@pytest.mark.slow
def test_finished_jobs_are_not_rerun(tmp_path):
    assert run(tmp_path, "abs-corr,empty") == 0
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "jobs").glob("*.json")}
    assert run(tmp_path, "abs-corr,empty") == 0
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "jobs").glob("*.json")} == files
    assert run(tmp_path, "abs-corr", "quick", "--force") == 0
    assert sum(files[p] != p.stat().st_mtime_ns for p in files) == 4


@pytest.mark.slow
def test_kill9_then_resume_runs_every_job_exactly_once(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods", f"{B}Slow",
           "--seeds", "5", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / "jobs").glob("*.json"))) < 5:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    first = {p.name: p.read_bytes() for p in (out / "jobs").glob("*.json")}
    assert 5 <= len(first) < 20
    assert subprocess.run(cmd, cwd=ROOT, timeout=120).returncode == 0
    files = list((out / "jobs").glob("*.json"))
    assert len(files) == 20  # 4 datasets x 5 seeds, each exactly once
    for p in files:  # finished jobs untouched
        if p.name in first:
            assert p.read_bytes() == first[p.name]
    df = jobs_csv(out)
    assert len(df) == 20 and not df.duplicated(["dataset", "seed"]).any()
    assert not list((out / "jobs").glob("*.tmp"))


@pytest.mark.slow
def test_report_rebuilds_from_jobs(tmp_path):
    """Every table and the report are a function of jobs/ alone: deleted, they come back byte for byte."""
    assert run(tmp_path, "abs-corr,empty") == 0
    names = ["leaderboard.csv", "jobs.csv", "diagnostics.csv", "report.md"]
    before = {n: (tmp_path / n).read_bytes() for n in names}
    assert b"abs-corr" in before["leaderboard.csv"] and b"empty" in before["report.md"]
    for n in names:
        (tmp_path / n).unlink()
    assert main(["report", str(tmp_path)]) == 0
    for n in names:
        assert (tmp_path / n).read_bytes() == before[n], n


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(tmp_path):
    pytest.importorskip("dask.distributed")
    methods = "abs-corr,partial-corr,empty"
    assert run(tmp_path / "loky", methods, "quick", "--n-jobs", "2") == 0
    assert run(tmp_path / "dask", methods, "quick", "--n-jobs", "2", "--backend", "dask") == 0
    cols = ["method", "dataset", "seed", "status", "auroc", "auprc", "f1", "shd", "sid"]
    a = jobs_csv(tmp_path / "loky")[cols].sort_values(["method", "dataset"]).reset_index(drop=True)
    b = jobs_csv(tmp_path / "dask")[cols].sort_values(["method", "dataset"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert sorted(p.name for p in (tmp_path / "loky" / "jobs").glob("*.json")) == \
        sorted(p.name for p in (tmp_path / "dask" / "jobs").glob("*.json"))


@pytest.mark.slow
def test_a_local_ray_instance_gives_loky_results(tmp_path):
    """--backend ray (Ray's own API: its joblib backend has no unordered generator) on quick, as loky."""
    pytest.importorskip("ray")
    methods = "abs-corr,pc,tabscm"
    assert run(tmp_path / "loky", methods, "quick", "--n-jobs", "2") == 0
    assert run(tmp_path / "ray", methods, "quick", "--n-jobs", "2", "--backend", "ray") == 0
    cols = ["method", "dataset", "seed", "status", "auroc", "auprc", "f1", "shd", "shd_cpdag", "sid"]
    a = jobs_csv(tmp_path / "loky")[cols].sort_values(["method", "dataset"]).reset_index(drop=True)
    b = jobs_csv(tmp_path / "ray")[cols].sort_values(["method", "dataset"]).reset_index(drop=True)
    assert len(a) == 12 and (a["status"] == "ok").all()
    pd.testing.assert_frame_equal(a, b)
    hosts = {json.loads(p.read_text())["worker_pid"] for p in (tmp_path / "ray" / "jobs").glob("*.json")}
    assert os.getpid() not in hosts  # fitted and scored in Ray's workers, not here


def test_method_fingerprint_enters_only_its_own_keys():
    import dataclasses

    import datasets
    from bench.jobs import build_jobs

    ds = datasets.load_suite("quick")[0]
    a = build_jobs(["tabscm", "abs-corr"], [(ds, "quick", {})], 1)
    assert a[0].code["files"] and not a[1].code["files"]
    moved = dataclasses.replace(a[0], key="", code={**a[0].code, "files": "another-checkpoint"})
    assert moved.key != a[0].key


def test_a_failed_result_write_stops_the_run_and_keeps_what_was_written(tmp_path, monkeypatch):
    """A write that fails (disk full) stops the run with its error, and the results written
    before it stay."""
    import datasets
    from bench import runner
    from bench.jobs import build_jobs

    real, calls = runner.write_result, []

    def disk_full_on_the_second(out, record, arrays):
        calls.append(record["key"])
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(out, record, arrays)

    monkeypatch.setattr(runner, "write_result", disk_full_on_the_second)
    data = [(ds, "quick", {}) for ds in datasets.load_suite("quick")]
    with pytest.raises(OSError, match="No space left"):
        runner.run_jobs(build_jobs(["empty"], data, 1), tmp_path, progress=False)
    written = {p.stem for p in (tmp_path / "jobs").glob("*.json")}
    assert calls[0] in written and calls[1] not in written and len(written) <= 3


@pytest.mark.slow
def test_stored_metrics_are_those_of_the_stored_prediction(tmp_path):
    """Each job is scored where it ran, from the arrays its process returned: the stored metrics
    agree with scikit-learn and hand counts on the stored arrays (DAG and CPDAG methods), and the
    stored flags with the flags of the stored prediction."""
    import numpy as np
    from sklearn.metrics import average_precision_score, roc_auc_score

    import datasets
    from bench.diagnostics import job_flags
    from bench.store import load_arrays, load_records
    from methods import Prediction

    assert run(tmp_path, "pc,abs-corr,varsort", "quick", "--seeds", "1") == 0
    quick = {ds.name: ds for ds in datasets.load_suite("quick")}
    recs = load_records(tmp_path)
    assert {r["cpdag"] for r in recs} == {True, False} and {r["status"] for r in recs} == {"ok"}
    for r in recs:
        a, T, m = load_arrays(tmp_path, r["key"]), quick[r["dataset"]].graph != 0, r["metrics"]
        off = ~np.eye(len(T), dtype=bool)
        G = a["graph"] != 0
        assert m["auroc"] == pytest.approx(roc_auc_score(T[off], a["scores"][off]), abs=1e-12)
        assert m["auprc"] == pytest.approx(average_precision_score(T[off], a["scores"][off]), abs=1e-12)
        assert m["precision"] == pytest.approx((T & G).sum() / G.sum()) and m["recall"] == (T & G).sum() / T.sum()
        assert m["n_pred_edges"] == np.triu(G | G.T, 1).sum() and m["n_true_edges"] == T.sum()
        pred = Prediction(a["scores"], a["graph"], r["cpdag"])
        flags = job_flags(quick[r["dataset"]].graph, pred, m)
        assert {k: r["flags"][k] for k in flags} == flags
        assert r["score_s"] > 0 and not any(r["flags"][k] for k in ("error", "timeout", "invalid"))


def test_a_scoring_failure_is_the_jobs_error_and_the_run_goes_on(tmp_path, monkeypatch):
    """If scoring raises on one job, that job is an error with the traceback, scored as the
    empty graph, and every other job is scored."""
    import datasets
    from bench import runner, scoring
    from bench.jobs import build_jobs
    from bench.store import load_records

    real = scoring.evaluate

    def fails_on_predicted_edges(truth, pred, truth_cpdag=None):
        if pred.graph.any():
            raise ValueError("deliberate scoring bug")
        return real(truth, pred, truth_cpdag)

    monkeypatch.setattr(scoring, "evaluate", fails_on_predicted_edges)  # one worker: this process
    data = [(ds, "quick", {}) for ds in datasets.load_suite("quick")]
    counts = runner.run_jobs(build_jobs(["abs-corr", "empty"], data, 1), tmp_path, progress=False)
    recs = load_records(tmp_path)
    assert len(recs) == 2 * len(data) and counts["error"] == len(data)
    for r in recs:
        if r["method"] == "empty":
            assert r["status"] == "ok" and r["metrics"]["shd"] == r["metrics"]["n_true_edges"]
        else:
            assert r["status"] == "error" and r["error"] == "scoring failed: ValueError: deliberate scoring bug"
            assert "fails_on_predicted_edges" in r["traceback"] and r["flags"]["error"]
            assert r["scored_as"] == "empty graph" and r["metrics"]["auroc"] == 0.5




@pytest.mark.slow
def test_a_dask_cluster_of_separate_processes_gives_loky_results(tmp_path):
    """As a cluster runs: a scheduler and two workers started as their own processes, each in a
    working directory and dataset cache of its own; the jobs are fitted and scored there."""
    pytest.importorskip("dask.distributed")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    procs = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for k in range(2):
            home = tmp_path / f"worker{k}"
            home.mkdir()
            env = {**os.environ, "TABSCM_BENCH_CACHE": str(home / "cache"), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
            procs.append(subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nthreads", "1",
                                           "--no-dashboard", "--local-directory", str(home)], cwd=home, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        methods = "abs-corr,pc,varsort"
        assert run(tmp_path / "loky", methods, "quick", "--n-jobs", "2") == 0
        assert run(tmp_path / "dask", methods, "quick", "--backend", "dask", "--scheduler", address) == 0
    finally:
        for p in procs[::-1]:
            p.terminate()
            p.wait(30)
    cols = ["method", "dataset", "seed", "status", "auroc", "auprc", "f1", "shd", "shd_cpdag", "sid",
            "orientation_compelled", "orientation_unidentifiable", "ds_r2_sortability"]
    a = jobs_csv(tmp_path / "loky")[cols].sort_values(["method", "dataset"]).reset_index(drop=True)
    b = jobs_csv(tmp_path / "dask")[cols].sort_values(["method", "dataset"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    hosts = {json.loads(p.read_text())["worker_pid"] for p in (tmp_path / "dask" / "jobs").glob("*.json")}
    assert len(hosts) == 2 and os.getpid() not in hosts  # fitted and scored in both workers, not here
