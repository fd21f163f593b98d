"""What a worker's job server does once, so that no job pays for it.

The job server is a multiprocessing forkserver (``bench.execute``); it imports this module last
among its preloads. Whatever a fresh process does the first time (lazy imports inside
functions, scikit-learn's and torch's first-call set-up) every job would otherwise pay again,
in its measured fit time. So the server limits every thread pool to one thread (inherited by
each job), fits each of the run's methods once on a tiny dataset as a job does, and then freezes
its heap out of the garbage collector, so that a job's collections walk only what the job made.

The server must survive its methods and stay single-threaded (a forked child gets only the
forking thread). So each method is first tried in a child under the job caps (time and memory,
its whole process group killed past either); a method whose trial hangs, crashes, raises,
breaks a cap or leaves a thread behind is not warmed in the server, and its jobs start cold.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import select
import sys

WARM_ENV = "TABSCM_BENCH_WARM"      # JSON [methods, memory_gb], set only while the server starts
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")
TRIAL_TIMEOUT_S = 10.0              # or the method's own time budget, if shorter


def threads() -> int:
    """Threads of this process, native ones included (1 where /proc cannot say)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def limit_threads() -> None:
    """One thread for every BLAS/OpenMP pool loaded (the environment covers those loaded later)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def warm_one(name: str) -> None:
    """Run method ``name`` once as a job's process does, quietly; raise unless it ended ``ok``."""
    from datasets.generator import SCMSpec, generate

    from .jobs import build_jobs
    from .predict import predict, save_result

    from methods import method_class

    ds = generate(SCMSpec(d=method_class(name).n_variables or 4, n=100, expected_degree=2.0), 0, "warm-up")
    (job,) = build_jobs([name], [(ds, "warm-up", {})], 1)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result, arrays = predict(job)
        save_result(io.BytesIO(), result, arrays)
    if result["status"] != "ok":
        raise RuntimeError(f"{name}: {result.get('error', result['status'])}")


def trial(name: str, memory_gb: float | None) -> str | None:
    """Warm ``name`` up in a child under the job caps: None if it finished without raising and
    left one thread; otherwise why not."""
    from methods import method_class

    from .processes import die_with_parent, start_group, watch

    try:
        limit = min(TRIAL_TIMEOUT_S, float(method_class(name).time_budget_s))
    except Exception as e:  # noqa: BLE001 - e.g. a module:Class this process cannot import
        return f"not found ({type(e).__name__})"
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            die_with_parent()
            start_group()
            warm_one(name)
            code = 0 if threads() == 1 else 3
        finally:
            os._exit(code)
    fd, status = os.pidfd_open(pid), []

    def ended(timeout):
        if not status and select.select([fd], [], [], timeout)[0]:
            status.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        return bool(status)

    killed, why, _ = watch(pid, ended, limit, memory_gb)
    os.close(fd)
    if killed:
        return why
    return {0: None, 1: "raised", 3: "left threads running"}.get(status[0], f"died (exit status {status[0]})")


def end_children() -> None:
    """Kill every process this one started (a warmed method's children): they would outlive the
    warm-up, outside any job. While warming, this process adopts orphaned descendants
    (PR_SET_CHILD_SUBREAPER), so a child that detached itself is found too."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()
            child.wait(5)


def warm(names: list[str], memory_gb: float | None = None) -> dict[str, str]:
    """Warm each method up in this process after a clean trial; return {method: why not} for
    those left cold. The methods' own children are ended."""
    if threads() > 1:  # already unsafe to fork from (not started as bench.execute starts it)
        return {name: "the process already had threads" for name in names}
    cold: dict[str, str] = {}
    for name in names:
        why = trial(name, memory_gb)
        if why is None:
            try:
                warm_one(name)
            except Exception as e:  # noqa: BLE001 - the jobs will meet it and report it
                why = f"raised {type(e).__name__}"
        if why is not None:
            cold[name] = why
    return cold


def _as_server() -> None:
    """The job server's start: one thread per pool, each method warmed, the heap frozen."""
    import gc

    import ctypes

    names, memory_gb = json.loads(os.environ[WARM_ENV])
    prctl = getattr(ctypes.CDLL(None), "prctl", None)
    try:
        if prctl:
            prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: a warmed method's orphans come back here
        limit_threads()
        warm(names, memory_gb)
    except Exception:  # noqa: BLE001 - the server must start whatever happens here: cold jobs
        pass           # are slower, not wrong
    finally:
        with contextlib.suppress(Exception):
            end_children()
        if prctl:
            prctl(36, 0)
    gc.collect()
    gc.freeze()  # everything the server holds now lives as long as it does


if WARM_ENV in os.environ:  # imported by the job server (bench.execute.job_server), nobody else
    _as_server()
