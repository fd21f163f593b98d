"""Run one job in a child process so that a crash, a hang or runaway memory cannot take the run down.

The worker (a loky or dask process) starts the child from a multiprocessing forkserver: a
clean single-threaded process with the harness preloaded, so a child starts in milliseconds
and never inherits a lock held by one of the worker's threads (a plain fork of a threaded
process can deadlock). The child fits the method on observations only,
validates and scores the prediction, and writes its result to a private temporary file.
The parent watches the clock and the child's memory, kills it past its budget (SIGKILL:
nothing in the child can refuse), and returns a result record in every case. The child asks
the kernel to kill it if its parent dies, so a killed run leaves no orphans behind.
"""
from __future__ import annotations

import faulthandler
import json
import os
import platform
import resource
import signal
import socket
import tempfile
import time
import traceback
from functools import lru_cache

import numpy as np

from .jobs import Job, code_version, git_commit

LIBRARIES = ["numpy", "scipy", "scikit-learn", "torch", "causal-learn", "gcastle", "gadjid", "CausalDisco",
             "dagma", "gies", "lingam", "joblib", "pandas", "networkx"]
DEFAULT_MEMORY_GB = 8.0
POLL_S = 0.05


@lru_cache(maxsize=1)
def environment() -> dict:
    from methods.base import library_version

    libs = {lib: v for lib in LIBRARIES if (v := library_version(lib)) != "unknown"}
    return {"code_version": code_version(), "git_commit": git_commit(), "libraries": libs,
            "machine": {"host": socket.gethostname(), "platform": platform.platform(),
                        "python": platform.python_version(), "cpus": os.cpu_count()}}


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _limit_threads() -> None:
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _child(job: Job, path: str) -> None:
    """Fit, validate, score; write {record, arrays} to ``path``. Runs in the job's own process."""
    from methods import InvalidPrediction, get_method

    from .diagnostics import job_flags
    from .metrics import evaluate

    faulthandler.disable()  # a crash is reported as a status, not as a dump on the run's stderr
    _die_with_parent()
    _limit_threads()
    result: dict = {"status": "error"}
    arrays = None
    try:
        method = get_method(job.method, **job.params)
        if "seed" in method.param_names():
            method.set_params(seed=job.seed)
        obs = job.dataset.observations()
        t0 = time.perf_counter()
        pred = method.fit(obs)
        result["fit_s"] = time.perf_counter() - t0
        try:
            pred.validate(job.dataset.d)
        except InvalidPrediction as e:
            result.update(status="invalid", error=str(e), invalid_reason=str(e))
        else:
            result.update(status="ok", cpdag=bool(pred.cpdag), info=pred.info)
            if job.dataset.meta.get("has_truth", True):
                result["metrics"] = evaluate(job.dataset.graph, pred, job.truth_cpdag)
                result["flags"] = job_flags(job.dataset.graph, pred, result["metrics"])
            else:  # a user's CSV without a truth: predictions only, nothing to score against
                result["metrics"], result["flags"] = {}, {}
            arrays = {"scores": np.asarray(pred.scores, dtype=np.float64), "graph": np.asarray(pred.graph, np.int8)}
            if method.learned:
                from .probe import dependence_probe

                result["probe"] = dependence_probe(method, obs, seed=job.seed)
    except Exception as e:  # failure is a result
        result.update(status="error", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
    # peak resident memory of the job's process (shared pages of the preloaded libraries included)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(path + ".tmp", "wb") as f:
        np.savez(f, record=json.dumps(result, default=str), **(arrays or {}))
    os.replace(path + ".tmp", path)


def _rss_mb(pid: int) -> float:
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:
        return 0.0


_CTX = None


BASE_PRELOAD = ("bench.execute", "bench.metrics", "bench.diagnostics", "methods", "datasets", "sklearn.metrics")


def _context(preload: tuple[str, ...] = ()):
    """A forkserver context whose server has the harness, the numpy stack and the run's method
    libraries (``Method.preload``) imported, so no job pays for an import another already paid."""
    global _CTX
    if _CTX is None:
        import multiprocessing as mp

        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(list(BASE_PRELOAD) + list(preload))
    return _CTX


def _child_main(job: Job, path: str) -> None:
    try:
        _child(job, path)
    except BaseException:
        os._exit(1)


def run_job(job: Job, memory_gb: float = DEFAULT_MEMORY_GB,
            preload: tuple[str, ...] = ()) -> tuple[dict, dict | None]:
    """Run ``job`` isolated; return (record, arrays). Never raises for the method's sake."""
    fd, path = tempfile.mkstemp(prefix="tabscm-job-", suffix=".npz")
    os.close(fd)
    os.unlink(path)
    started = time.time()
    proc = _context(preload).Process(target=_child_main, args=(job, path), daemon=False)
    proc.start()  # the first start in a worker also starts its forkserver: not the job's time
    t0 = time.perf_counter()
    status, why = None, None
    while proc.is_alive():
        elapsed = time.perf_counter() - t0
        if elapsed > job.budget_s:
            why, status = f"killed after {elapsed:.1f} s: over its {job.budget_s:g} s budget", "timeout"
        elif memory_gb and _rss_mb(proc.pid) > memory_gb * 1024:
            why, status = f"killed: memory over {memory_gb:g} GB", "error"
        if status:
            proc.kill()
            break
        proc.join(POLL_S)
    proc.join()
    runtime = time.perf_counter() - t0
    result, arrays = {}, None
    if status is None and os.path.exists(path):
        with np.load(path) as z:
            result = json.loads(str(z["record"]))
            arrays = {k: z[k] for k in z.files if k != "record"} or None
    elif status is None:
        code = proc.exitcode
        cause = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
        result = {"status": "error", "error": f"the job's process died ({cause}) without a result"}
    else:
        result = {"status": status, "error": why}
    for leftover in (path, path + ".tmp"):
        if os.path.exists(leftover):
            os.unlink(leftover)
    record = {
        "key": job.key, "method": job.method, "params": job.params, "dataset": job.dataset.name,
        "suite": job.suite, "seed": job.seed, "tags": job.tags, "budget_s": job.budget_s,
        "method_fingerprint": job.fingerprint,
        "dataset_digest": job.dataset_digest, "n": job.dataset.n, "d": job.dataset.d,
        "started": started, "wall_s": runtime, **environment(), **result,
    }
    # runtime_s: the method's own fit time (what people compare); wall_s adds the harness's
    # process start, validation and scoring. A killed job's runtime is its time until the kill.
    record["runtime_s"] = record.get("fit_s", runtime)
    return record, arrays
