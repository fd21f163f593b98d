"""Run one job in a process of its own, so a crash, a hang or runaway memory cannot take the run down, then
score it where it ran. Each worker has one job server: a clean, single-threaded forkserver with the run's
libraries imported and methods warmed up (``bench.warmup``), so a forked job inherits no thread's lock. A job
runs under a supervisor (``bench.processes``) that ends its whole tree when it ends, when it is killed past its time
budget or memory cap, or when this worker dies."""

import contextlib
import json
import os
import platform
import resource
import socket
import tempfile
import threading
from functools import lru_cache, partial

from .jobs import Job, git_commit
from .predict import load_result, predict, save_result
from .processes import JOB_DIR_PREFIX, SERVER_PARENT_ENV, die_with_parent, me, supervise, watch

LIBRARIES = ["numpy", "scipy", "scikit-learn", "torch", "causal-learn", "gcastle", "gadjid", "CausalDisco",
             "dagma", "gies", "lingam", "graphical-models", "joblib", "pandas", "networkx"]
DEFAULT_MEMORY_GB = 8.0
OUTPUT_TAIL = 4000  # characters of a job's captured output kept in its record
_SERVER_START = threading.Lock()  # jobs run from several threads (dask) start one server, and leave no variable set
# What every job imports; loky's start method is known to multiprocessing only once loky is imported.
BASE_PRELOAD = ("bench.tether", "bench.predict", "bench.processes", "methods", "datasets", "joblib.externals.loky")


@lru_cache(maxsize=1)
def environment() -> dict:
    """Versions, commit and machine, recorded in every job file."""
    from methods.base import library_version
    libs = {lib: v for lib in LIBRARIES if (v := library_version(lib)) != "unknown"}
    return {"git_commit": git_commit(), "libraries": libs,
            "machine": {"host": socket.gethostname(), "platform": platform.platform(),
                        "python": platform.python_version(), "cpus": os.cpu_count()}}


@lru_cache(maxsize=1)
def job_server(methods: tuple[str, ...] = (), memory_gb: float | None = DEFAULT_MEMORY_GB):
    """This process's forkserver context; its server preloads and warms up the first run's ``methods`` (one thread)."""
    import multiprocessing as mp
    from multiprocessing import forkserver
    from methods import method_class
    from .warmup import THREAD_ENV, WARM_ENV
    preload = set()
    for name in methods:
        with contextlib.suppress(Exception):  # a method that cannot load fails in its jobs, as a result
            preload |= set(method_class(name).preload)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([*BASE_PRELOAD, *sorted(preload), "bench.warmup"])
    env = {WARM_ENV: json.dumps([sorted(set(methods)), memory_gb]), **{k: "1" for k in THREAD_ENV},
           SERVER_PARENT_ENV: "%d:%s" % me()}
    with _SERVER_START:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            forkserver.ensure_running()  # the server reads the environment as it is now
        finally:
            os.environ.update({k: v for k, v in saved.items() if v is not None})
            for k in (k for k, v in saved.items() if v is None):
                os.environ.pop(k, None)
    return ctx


def _job_process(job: Job, path: str, output: str, worker: tuple[int, int | None]) -> None:
    """A job's supervisor, tied to ``worker``: it runs the job in a child and ends what the job leaves behind; if
    the worker dies first, it ends the job and removes the job's folder (nobody else would)."""
    import shutil
    supervise(partial(_job, job, path, output), worker,
              on_orphaned=partial(shutil.rmtree, os.path.dirname(path), ignore_errors=True))


def _job(job: Job, path: str, output: str) -> None:
    """A job's process: its output to a file, its result to ``path``."""
    import faulthandler
    faulthandler.disable()  # a crash is reported as a status, not as a dump on the run's stderr
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for stream in (1, 2):  # the fds themselves: a library's C code and a method's children too
        os.dup2(fd, stream)
    os.close(fd)
    result, arrays = predict(job)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # preloads' shared pages too
    with open(path + ".tmp", "wb") as f:
        save_result(f, result, arrays)
    os.replace(path + ".tmp", path)


def run_job(job: Job, memory_gb: float | None = DEFAULT_MEMORY_GB, methods: tuple[str, ...] = (),
            die_with_driver: bool = False) -> tuple[dict, dict | None]:
    """Run ``job`` in a process of its own (a loky worker dies with the driver), score it here: (record, arrays)."""
    import time
    if die_with_driver:
        die_with_parent()
    ctx = job_server(tuple(methods), memory_gb)  # the first call starts it: not the job's time
    from .scoring import score_record  # imported while a new server warms up (it answers once it has)
    with tempfile.TemporaryDirectory(prefix=f"{JOB_DIR_PREFIX}{os.getpid()}-") as tmp:
        path, output = os.path.join(tmp, "result.npz"), os.path.join(tmp, "output.txt")
        started = time.time()
        proc = ctx.Process(target=_job_process, args=(job, path, output, me()), daemon=False)
        proc.start()
        status, why, runtime = watch(proc.pid, lambda t: proc.join(t) or proc.exitcode is not None,
                                     job.budget_s, memory_gb)
        code = proc.exitcode
        proc.close()
        if status is None and os.path.exists(path):
            result, arrays = load_result(path)
        elif status is None:
            cause = "unknown cause" if code is None else f"signal {-code}" if code < 0 else f"exit {code}"
            result, arrays = {"status": "error", "error": f"the job's process died ({cause}) without a result"}, None
        else:
            result, arrays = {"status": status, "error": why}, None
        result["output"] = {"bytes": 0, "tail": ""}  # the tail of its captured output, and its full size
        with contextlib.suppress(OSError), open(output, "rb") as f:
            size = os.path.getsize(output)
            f.seek(max(0, size - OUTPUT_TAIL))
            result["output"] = {"bytes": size, "tail": f.read().decode("utf-8", "replace")}
    record = {"key": job.key, "method": job.method, "label": job.label, "params": job.params, "learned": job.learned,
              "dataset": job.dataset.name, "suite": job.suite, "seed": job.seed, "tags": job.tags,
              "budget_s": job.budget_s, "code": job.code, "dataset_digest": job.dataset_digest, "n": job.dataset.n,
              "d": job.dataset.d, "started": started, "wall_s": runtime, "worker_pid": os.getpid(), **environment(),
              **result}
    # runtime_s: the method's own fit time, what people compare (wall_s adds process start and validation), else
    # a killed job's time until the kill
    record["runtime_s"] = record.get("fit_s", runtime)
    return score_record(record, arrays, job.dataset, job.dataset_digest), arrays
