"""A job runs in a process group of its own: its children, its memory and its end are the harness's."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bench.cli import main
from bench.store import load_records
from tests.fresh import run_python

ROOT = Path(__file__).resolve().parent.parent
B = "tests.broken_methods:"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(pid: int) -> list[str]:
    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def _session_processes(sid: int) -> list[int]:
    """Processes of a session, or descended from its leader (jobs start sessions of their own)."""
    alive = []
    for p in psutil.process_iter(["pid"]):
        try:
            if p.status() == psutil.STATUS_ZOMBIE:
                continue
            if os.getsid(p.pid) == sid or any(a.pid == sid for a in p.parents()):
                alive.append(p.pid)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue  # it ended while being looked at
    return alive


def _one_job(tmp_path, method, *extra):
    assert main(["run", "--data", str(_csv(tmp_path)), "--methods", method, "--out", str(tmp_path / "out"),
                 "--quiet", *extra]) == 0
    (record,) = load_records(tmp_path / "out")
    return record


def _csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,c\n" + "\n".join(f"{i},{i * i % 7},{(i * 3) % 5}" for i in range(30)))
    return path


def test_a_methods_children_end_with_its_job(tmp_path):
    record = _one_job(tmp_path, f"{B}LeavesChild")
    assert record["status"] == "ok"
    child = record["info"]["child"]
    deadline = time.time() + 5
    while time.time() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def test_a_timed_out_jobs_children_end_with_it(tmp_path):
    tag = f"child-of-{tmp_path.name}-{os.getpid()}"  # this test's child alone, whatever else runs here
    record = _one_job(tmp_path, f"{B}LeavesChild(sleep=30,tag={tag})", "--timeout", "2")
    assert record["status"] == "timeout"
    time.sleep(0.5)
    children = [p for p in psutil.process_iter(["cmdline"]) if tag in (p.info["cmdline"] or [])
                and p.status() != psutil.STATUS_ZOMBIE]
    assert children == []


@pytest.mark.slow
def test_the_memory_cap_counts_a_jobs_children(tmp_path):
    """A child of the job holding 1.5 GB under a 1 GB cap: the job does not end ok."""
    record = _one_job(tmp_path, f"{B}ChildHoldsMemory", "--memory-gb", "1")
    assert record["status"] == "error" and "over 1 GB" in record["error"], record.get("error")


def test_a_jobs_output_is_captured_in_its_file(tmp_path, capfd):
    record = _one_job(tmp_path, f"{B}Chatty")
    assert record["status"] == "ok"
    out = record["output"]
    assert out["bytes"] > 400_000 and out["tail"].endswith("last words from a child\n")
    assert "still going" not in capfd.readouterr().out


def test_a_job_process_prints_nothing_on_the_runs_terminal_before_its_capture():
    """Until a job's process has its output file it would write to the run's stderr; a Ctrl-C removes that
    file's folder under it, and its traceback would follow the run's last line. The job server's stdio is
    /dev/null, so nothing a job's process prints before its capture reaches the run."""
    code = ("import os; from bench.execute import job_server; p = job_server().Process(target=os.write, "
            "args=(2, b'printed before its capture')); p.start(); p.join(); print(p.exitcode)")
    res = run_python(code, check=False)
    assert res.stdout.strip() == "0" and "before its capture" not in res.stderr, res.stderr


@pytest.mark.slow
def test_every_job_runs_in_a_fresh_process_of_its_own(tmp_path):
    """No two jobs share a process, and no job sees another's fit (only the server's warm-up)."""
    import datasets
    from bench.jobs import build_jobs
    from bench.runner import run_jobs

    data = [(ds, "quick", {}) for ds in datasets.load_suite("quick")]
    jobs = build_jobs([f"{B}ProcessReport"], data, 2)
    assert run_jobs(jobs, tmp_path, progress=False)["ok"] == len(jobs)
    info = [r["info"] for r in load_records(tmp_path)]
    assert len({i["pid"] for i in info}) == len(jobs) and len({i["fits"] for i in info}) == 1


def test_jobs_run_at_once_from_several_threads_of_one_process():
    """A dask worker with several threads runs several jobs at once in one process: each gets a
    process of its own and its own result."""
    from concurrent.futures import ThreadPoolExecutor

    import datasets
    from bench.execute import run_job
    from bench.jobs import build_jobs

    data = [(ds, "quick", {}) for ds in datasets.load_suite("quick")]
    jobs = build_jobs([f"{B}ProcessReport"], data, 2)
    with ThreadPoolExecutor(3) as pool:
        records = [record for record, _ in pool.map(run_job, jobs)]
    assert [r["status"] for r in records] == ["ok"] * len(jobs)
    assert [r["key"] for r in records] == [j.key for j in jobs]
    assert len({r["info"]["pid"] for r in records}) == len(jobs)
    # the server's start sets variables for it alone: left set, a later job server's would be this one's
    assert [k for k in os.environ if k.startswith("TABSCM_BENCH_") and k != "TABSCM_BENCH_CACHE"] == []


@pytest.mark.slow
@pytest.mark.parametrize("how,workers", [("finished", 1), ("finished", 2), ("killed", 1), ("killed", 2)])
def test_no_process_of_a_run_outlives_it(tmp_path, how, workers):
    """Every process a run starts (workers, job servers, jobs, a job's children) ends with it: when
    it finishes, and within seconds when only its main process is killed (-9) mid-job."""
    cmd = [sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods", f"{B}LeavesChild(sleep=3)",
           "--out", str(tmp_path), "--quiet", "--n-jobs", str(workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    seen = set()
    if how == "killed":
        deadline = time.time() + 120
        while time.time() < deadline:
            seen = set(_session_processes(proc.pid))
            if any(_cmdline(p) == ["sleep", "300"] for p in seen):
                break
            time.sleep(0.1)
        assert len(seen) >= 4  # the run, a job server, a job, its child
        proc.kill()
    assert proc.wait(timeout=300) == (-signal.SIGKILL if how == "killed" else 0)
    deadline = time.time() + 15
    while time.time() < deadline and (_session_processes(proc.pid) or any(_alive(p) for p in seen)):
        time.sleep(0.1)
    assert _session_processes(proc.pid) == [] and not any(_alive(p) for p in seen)
