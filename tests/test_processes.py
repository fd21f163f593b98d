"""No process of a run outlives it: killed (-9) at any moment, or ended normally, with detached children too.

Each run here carries an environment variable of its own, inherited by every process it starts (workers, job
servers, supervisors, jobs, a method's children, detached or not); a process carrying it is one of the run's."""
import faulthandler
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from bench import processes

ROOT = Path(__file__).resolve().parent.parent
B = "tests.broken_methods:"
TAG = "TABSCM_TEST_RUN"
GRACE_S = 15.0


def _tagged(tag: str) -> dict[int, str]:
    """Live processes whose environment holds ``TAG=tag``: {pid: command line}."""
    needle, found = f"{TAG}={tag}".encode(), {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                found[int(entry.name)] = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue
    return found


def _start(out: Path, methods: str, *extra: str) -> tuple[subprocess.Popen, str]:
    tag = uuid.uuid4().hex
    cmd = [sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods", methods, "--out", str(out),
           "--quiet", *extra]
    env = {**os.environ, TAG: tag, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL), tag


def _wait_until(cond, timeout: float, step: float = 0.05) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def _kill_and_expect_nothing_left(proc: subprocess.Popen, tag: str) -> dict[int, str]:
    """SIGKILL the driver; what of the run is still alive GRACE_S later (should be nothing)."""
    proc.kill()
    proc.wait(timeout=30)
    _wait_until(lambda: not _tagged(tag), GRACE_S, step=0.25)
    left = _tagged(tag)
    for pid in left:  # leave the machine clean even when the test fails
        with __import__("contextlib").suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left


@pytest.mark.slow
def test_killed_in_its_first_seconds_a_run_leaves_nothing(tmp_path):
    proc, tag = _start(tmp_path, f"{B}Detaches(sleep=300)", "--n-jobs", "2", "--timeout", "300")
    time.sleep(2.5)
    assert _kill_and_expect_nothing_left(proc, tag) == {}


@pytest.mark.slow
def test_killed_while_its_job_servers_warm_up_a_run_leaves_nothing(tmp_path):
    proc, tag = _start(tmp_path, f"{B}Detaches(sleep=300)", "--n-jobs", "2", "--timeout", "300")
    assert _wait_until(lambda: any("forkserver" in c for c in _tagged(tag).values()), 120)
    assert _kill_and_expect_nothing_left(proc, tag) == {}


@pytest.mark.slow
def test_killed_while_two_jobs_sleep_in_fit_a_run_leaves_nothing(tmp_path):
    """Two jobs in fit with a 300 s budget, each with a detached child (``setsid sleep 600``)."""
    proc, tag = _start(tmp_path, f"{B}Detaches(sleep=300)", "--n-jobs", "2", "--timeout", "300")
    assert _wait_until(lambda: list(_tagged(tag).values()).count("sleep 600") >= 2, 180)
    pids = _tagged(tag)
    assert len(pids) >= 9  # driver, 2 workers, 2 job servers, 2 supervisors, 2 jobs, their children
    assert _kill_and_expect_nothing_left(proc, tag) == {}
    # the job servers remove their dead worker's job folders as they end
    assert not [p for pid in pids for p in Path(tempfile.gettempdir()).glob(f"tabscm-job-{pid}-*")]


@pytest.mark.slow
def test_killed_while_the_report_is_written_a_run_leaves_nothing(tmp_path):
    proc, tag = _start(tmp_path, f"{B}Detaches,empty", "--n-jobs", "2")
    assert _wait_until(lambda: (tmp_path / "jobs.csv").exists() or proc.poll() is not None, 300, step=0.02)
    assert proc.poll() is None and not (tmp_path / "report.md").exists()  # caught while it writes its outputs
    assert len(_tagged(tag)) >= 3  # the driver, its idle workers and their job servers
    assert _kill_and_expect_nothing_left(proc, tag) == {}


@pytest.mark.slow
def test_a_normal_end_leaves_no_detached_child(tmp_path):
    proc, tag = _start(tmp_path, f"{B}Detaches", "--n-jobs", "2")
    assert proc.wait(timeout=300) == 0
    _wait_until(lambda: not _tagged(tag), 5)
    assert _tagged(tag) == {}


def test_a_supervisor_ends_what_its_job_leaves_detached_and_says_how_it_ended():
    """``supervise`` in a forked child: the body's detached grandchild ends with it, and its exit status (or the
    signal that killed it) is the supervisor's."""
    tag = uuid.uuid4().hex
    os.environ[TAG] = tag
    try:
        for body, expected in [(lambda: subprocess.Popen(["setsid", "sleep", "600"]), 0),
                               (lambda: (faulthandler.disable(), os.kill(os.getpid(), signal.SIGSEGV)),
                                -signal.SIGSEGV),
                               (lambda: 1 / 0, 1)]:
            if (pid := os.fork()) == 0:
                processes.supervise(body, processes.me())
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == expected
            assert _tagged(tag) == {}  # (this process's own /proc environ is the one it started with)
    finally:
        del os.environ[TAG]


def test_a_supervisor_whose_owner_is_gone_runs_nothing_and_cleans_up(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    marker = tmp_path / "ran"
    if (pid := os.fork()) == 0:
        processes.supervise(marker.touch, (dead.pid, None), on_orphaned=lambda: (tmp_path / "orphaned").touch())
    _, status = os.waitpid(pid, 0)
    assert not marker.exists() and (tmp_path / "orphaned").exists()


def test_the_next_run_removes_the_job_folders_of_workers_that_are_gone():
    dead = subprocess.Popen(["true"])
    dead.wait()
    tmp = Path(tempfile.gettempdir())
    gone, live = tmp / f"tabscm-job-{dead.pid}-test", tmp / f"tabscm-job-{os.getpid()}-test"
    for folder in (gone, live):
        folder.mkdir()
        (folder / "output.txt").write_text("x")
    try:
        processes.remove_job_dirs()
        assert not gone.exists() and live.exists()
    finally:
        for folder in (gone, live):
            __import__("shutil").rmtree(folder, ignore_errors=True)
