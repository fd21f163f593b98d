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
    assert status[f"{B}Cyclic"] == {"invalid"}
    assert status["abs-corr"] == {"ok"}
    hang = df[df["method"] == f"{B}Hang"]
    assert hang["runtime_s"].between(2.0, 6.0).all(), hang["runtime_s"].tolist()  # killed near its budget
    assert time.time() - t0 < 120
    assert df[df["method"] == f"{B}Cyclic"]["cyclic_output"].all()
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


def test_job_file_traces_everything(tmp_path):
    assert run(tmp_path, "abs-corr") == 0
    rec = json.loads(next((tmp_path / "jobs").glob("*.json")).read_text())
    for k in ["key", "method", "params", "dataset", "dataset_digest", "seed", "code_version", "libraries",
              "machine", "runtime_s", "metrics", "status"]:
        assert k in rec, k
    assert rec["libraries"]["numpy"]
    assert (tmp_path / "jobs" / f"{rec['key']}.npz").exists()


def test_finished_jobs_are_not_rerun(tmp_path):
    assert run(tmp_path, "abs-corr,empty") == 0
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "jobs").glob("*.json")}
    assert run(tmp_path, "abs-corr,empty") == 0
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "jobs").glob("*.json")} == files
    assert run(tmp_path, "abs-corr", "quick", "--force") == 0
    assert sum(files[p] != p.stat().st_mtime_ns for p in files) == 4


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


def test_bad_arguments_exit_nonzero_with_one_line(tmp_path, capsys):
    assert main(["run", "--suite", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown suite 'nope'" in capsys.readouterr().err
    assert main(["run", "--suite", "quick", "--methods", "abs-cor", "--out", str(tmp_path)]) == 2
    assert "did you mean 'abs-corr'" in capsys.readouterr().err


def test_yaml_run_file(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"suite: quick\nmethods: [empty, abs-corr]\nseeds: 1\nout: {tmp_path / 'out'}\n")
    assert main(["run", "--config", str(cfg), "--quiet"]) == 0
    assert len(jobs_csv(tmp_path / "out")) == 8


def test_report_rebuilds_from_jobs(tmp_path):
    assert run(tmp_path, "abs-corr") == 0
    (tmp_path / "leaderboard.csv").unlink()
    assert main(["report", str(tmp_path)]) == 0
    assert (tmp_path / "leaderboard.csv").exists()


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


def test_method_fingerprint_enters_only_its_own_keys():
    import datasets
    from bench.jobs import build_jobs

    ds = datasets.load_suite("quick")[0]
    a = build_jobs(["tabscm", "abs-corr"], [(ds, "quick", {})], 1)
    assert a[0].fingerprint and not a[1].fingerprint
    from bench.jobs import Job

    moved = Job(a[0].method, a[0].params, ds, "quick", 0, 1.0, fingerprint="another-checkpoint")
    assert moved.key != a[0].key


def _session_processes(sid: int) -> list[int]:
    import psutil

    alive = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p.pid)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue  # it ended while being looked at
    return alive


@pytest.mark.parametrize("how,workers", [("finished", 1), ("finished", 2), ("killed", 1)])
def test_no_process_of_a_run_outlives_it(tmp_path, how, workers):
    """The job servers and the jobs' processes (their exits go on in the background) all end
    with the run: when it finishes, with one worker or two, and when only its main process is
    killed (-9) mid-job."""
    cmd = [sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods", f"{B}Slow(sleep=2)",
           "--out", str(tmp_path), "--quiet", "--n-jobs", str(workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    if how == "killed":
        deadline = time.time() + 60
        while time.time() < deadline and len(_session_processes(proc.pid)) < 3:  # run, server, job
            time.sleep(0.1)
        assert len(_session_processes(proc.pid)) >= 3
        proc.kill()
    assert proc.wait(timeout=120) == (-signal.SIGKILL if how == "killed" else 0)
    deadline = time.time() + 10
    while time.time() < deadline and _session_processes(proc.pid):
        time.sleep(0.1)
    assert _session_processes(proc.pid) == []


def test_dataset_properties_are_cached_per_content_and_meta(tmp_path, monkeypatch):
    """The runner computes a dataset's properties once and reads them back after; the cached
    copy equals a fresh computation, a damaged file is computed again, other meta is another entry."""
    import dataclasses
    import math

    import datasets
    from bench.jobs import build_jobs
    from bench.runner import cached_properties
    from datasets.properties import dataset_properties

    monkeypatch.setenv("TABSCM_BENCH_CACHE", str(tmp_path))
    ds = datasets.load_suite("quick")[0]
    job = build_jobs(["empty"], [(ds, "quick", {})], 1)[0]
    fresh = dataset_properties(ds)
    same = lambda a, b: a.keys() == b.keys() and all(  # noqa: E731
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) for k in a)
    assert same(cached_properties(job), fresh)
    (path,) = tmp_path.glob("props-*.json")
    assert same(cached_properties(job), fresh)
    path.write_text("{not json")
    assert same(cached_properties(job), fresh) and same(json.loads(path.read_text()), fresh)
    other = dataclasses.replace(ds, meta={**ds.meta, "noise": "something else"})
    assert cached_properties(build_jobs(["empty"], [(other, "quick", {})], 1)[0])["noise"] == "something else"
    assert len(list(tmp_path.glob("props-*.json"))) == 2


def test_a_failed_result_write_stops_the_run_and_keeps_what_was_written(tmp_path, monkeypatch):
    """Results are written by a thread of their own; a write that fails (disk full) still stops
    the run with its error, and the results written before it stay."""
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


def test_a_method_may_start_processes_of_its_own(tmp_path):
    assert run(tmp_path, f"{B}StartsProcesses", "quick", "--n-jobs", "2") == 0
    assert set(jobs_csv(tmp_path)["status"]) == {"ok"}


def test_stored_metrics_are_those_of_the_stored_prediction(tmp_path):
    """The runner scores each job from the arrays its process returned: rescoring the stored
    prediction (DAG and CPDAG methods) gives the stored metrics and flags exactly."""
    import datasets
    from bench.diagnostics import job_flags
    from bench.metrics import evaluate
    from bench.store import load_arrays, load_records
    from methods import Prediction

    assert run(tmp_path, "pc,abs-corr,varsort", "quick", "--seeds", "1") == 0
    truths = {ds.name: ds.graph for ds in datasets.load_suite("quick")}
    recs = load_records(tmp_path)
    assert {r["cpdag"] for r in recs} == {True, False} and {r["status"] for r in recs} == {"ok"}
    for r in recs:
        a = load_arrays(tmp_path, r["key"])
        pred = Prediction(a["scores"], a["graph"], r["cpdag"])
        m = evaluate(truths[r["dataset"]], pred)
        assert json.dumps(m, sort_keys=True) == json.dumps(r["metrics"], sort_keys=True)
        flags = job_flags(truths[r["dataset"]], pred, m)
        assert {k: r["flags"][k] for k in flags} == flags
        assert r["score_s"] > 0 and not any(r["flags"][k] for k in ("error", "timeout", "invalid"))


def test_a_scoring_failure_is_the_jobs_error_and_the_run_goes_on(tmp_path, monkeypatch):
    """Scoring runs in the runner's writer thread; if it raises on one job, that job is an
    error with the traceback, scored as the empty graph, and every other job is scored."""
    import datasets
    from bench import runner
    from bench.jobs import build_jobs
    from bench.store import load_records

    real = runner.evaluate

    def fails_on_predicted_edges(truth, pred, truth_cpdag=None):
        if pred.graph.any():
            raise ValueError("deliberate scoring bug")
        return real(truth, pred, truth_cpdag)

    monkeypatch.setattr(runner, "evaluate", fails_on_predicted_edges)
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


def test_every_job_runs_in_a_fresh_process_of_its_own(tmp_path):
    """A job's process is forked ahead of its job (bench.execute: the spare), and
    runs nothing before its job: no two jobs share a process, and no job sees another's fit.
    After the run one spare waits, for this process's next run; released, it exits."""
    import datasets
    from bench import execute
    from bench.jobs import build_jobs
    from bench.runner import run_jobs
    from bench.store import load_records

    data = [(ds, "quick", {}) for ds in datasets.load_suite("quick")]
    jobs = build_jobs([f"{B}ProcessReport"], data, 3)
    assert run_jobs(jobs, tmp_path, progress=False)["ok"] == len(jobs) >= 6
    info = [r["info"] for r in load_records(tmp_path)]
    # every job sees the same fits before its own: the job server's warm-up fit, none of another job's
    assert len({i["pid"] for i in info}) == len(jobs) and len({i["fits"] for i in info}) == 1
    (spare, _, _), = execute._SPARE
    assert spare.is_alive() and spare.pid not in {i["pid"] for i in info}
    execute.release_spare()
    spare.join(10)
    assert spare.exitcode == 0 and execute._SPARE == []


def _run_on_fit_cpus(out: str, cpu: int) -> None:
    """In a spawned process (a job server of its own): jobs told to fit on ``cpu`` only."""
    import datasets
    from bench import execute
    from bench.jobs import build_jobs
    from bench.runner import run_jobs

    os.environ[execute.FIT_CPUS_ENV] = str(cpu)
    ds = datasets.load_suite("quick")[0]
    run_jobs(build_jobs([f"{B}ProcessReport"], [(ds, "quick", {})], 3), out, progress=False)
    (spare, _, _), = execute._SPARE  # the next job's process, waiting: on the server's cores
    Path(out, "waiting.json").write_text(json.dumps(sorted(os.sched_getaffinity(spare.pid))))


@pytest.mark.skipif(len(getattr(os, "sched_getaffinity", lambda _: ())(0)) < 2, reason="needs two cores")
def test_jobs_fit_on_the_cores_they_are_told(tmp_path):
    """With ``FIT_CPUS_ENV`` in the job server's environment (as ``bench.perf`` pins its
    measurement), each job's process runs its job on those cores and waits elsewhere."""
    import multiprocessing as mp

    from bench.store import load_records

    cpus = sorted(os.sched_getaffinity(0))
    proc = mp.get_context("spawn").Process(target=_run_on_fit_cpus, args=(str(tmp_path), cpus[-1]))
    proc.start()
    proc.join(120)
    assert proc.exitcode == 0
    records = load_records(tmp_path)
    assert len(records) == 3 and all(r["info"]["cpus"] == [cpus[-1]] for r in records)
    assert all(0 <= r["fit_cpu_s"] <= r["fit_s"] + 0.01 for r in records)  # one thread: CPU time within wall time
    assert json.loads((tmp_path / "waiting.json").read_text()) == cpus


def test_a_spare_killed_while_it_waits_is_replaced(tmp_path):
    """A spare job process that died while it waited (killed from outside) is not handed the
    next job: that job gets a process forked on demand and runs as any other."""
    import datasets
    from bench import execute
    from bench.execute import run_job
    from bench.jobs import build_jobs

    ds = datasets.load_suite("quick")[0]
    first, second = build_jobs([f"{B}ProcessReport"], [(ds, "quick", {})], 2)
    assert run_job(first)[0]["status"] == "ok"
    (spare, _, _), = execute._SPARE
    spare.kill()
    spare.join()
    record, _ = run_job(second)
    assert record["status"] == "ok" and record["info"]["pid"] != spare.pid
    execute.release_spare()


def test_jobs_run_at_once_from_several_threads_of_one_process():
    """A dask worker with several threads runs several jobs at once in one process: each still
    gets a fresh process of its own (no spare is handed out twice) and its own result."""
    from concurrent.futures import ThreadPoolExecutor

    import datasets
    from bench.execute import run_job
    from bench.jobs import build_jobs

    data = [(ds, "quick", {}) for ds in datasets.load_suite("quick")]
    jobs = build_jobs([f"{B}ProcessReport"], data, 3)
    with ThreadPoolExecutor(3) as pool:
        records = [record for record, _ in pool.map(run_job, jobs)]
    assert [r["status"] for r in records] == ["ok"] * len(jobs)
    assert [r["key"] for r in records] == [j.key for j in jobs]
    info = [r["info"] for r in records]
    assert len({i["pid"] for i in info}) == len(jobs) and len({i["fits"] for i in info}) == 1


def test_work_in_turn_waits_until_the_next_job_is_handed_over():
    """With one local worker, a result's scoring starts once the next job has been handed to
    its process (bench.execute.in_turn), at once for the last result, and nothing waits once
    the run is over."""
    from concurrent.futures import ThreadPoolExecutor

    from bench import execute

    with ThreadPoolExecutor(1) as pool:
        with execute.in_turn(pool.submit) as later:
            assert later(lambda: "last", last=True).result(timeout=0.5) == "last"
            waiting = later(lambda: "scored")
            time.sleep(0.3)
            assert not waiting.done()
            execute._handed()  # what run_job says once a job is in its process
            assert waiting.result(timeout=0.5) == "scored"
            pending = later(lambda: "run over")
        assert pending.result(timeout=0.5) == "run over"


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
def test_background_work_runs_at_a_lower_priority_than_jobs():
    """The runner's result writer (and a finished job's process) lowers its own thread's
    priority, not the caller's."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from bench.execute import background_priority

    def nice():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = nice()
    with ThreadPoolExecutor(1, initializer=background_priority) as pool:
        assert pool.submit(nice).result() == max(10, before)
    assert nice() == before
