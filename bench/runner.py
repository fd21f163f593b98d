"""Fan jobs out with joblib (loky locally; dask or ray beyond one machine) and store each result as it arrives.
Workers fit and score (``bench.execute``); a rerun of the same command skips finished jobs, so a stopped run
resumes where it stopped."""

import contextlib
import os
import time
from functools import partial
from pathlib import Path

import numpy as np

from .atomic import remove_temporaries, write_atomic, write_text
from .coverage import expected_jobs
from .jobs import Job, git_commit
from .processes import remove_job_dirs, worker_start
from .store import append_run, finished_keys, folder_lock, jobs_dir, write_result

BACKENDS = ("loky", "dask", "ray")
STATUSES = ("ok", "timeout", "error", "invalid")
EXTRA_HINT = "pip install -e '.[{0}]'"  # as README says


def check_backend(backend: str, scheduler: str | None = None, timeout: float = 5.0) -> None:
    """Refuse (ValueError, one line) a backend that is not installed or a scheduler that does not answer within
    ``timeout`` seconds, before a run touches its folder."""
    import importlib.util
    import socket
    from urllib.parse import urlsplit
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    needs = {"dask": ("dask", "distributed"), "ray": ("ray",)}.get(backend, ())
    if missing := [m for m in needs if importlib.util.find_spec(m) is None]:
        raise ValueError(f"--backend {backend} needs {', '.join(missing)}, which is not installed: "
                         + EXTRA_HINT.format(backend))
    if not scheduler or scheduler == "auto" or backend == "loky":
        return
    address = scheduler if "://" in scheduler else f"tcp://{scheduler}"
    try:
        host, port = urlsplit(address).hostname, urlsplit(address).port
    except ValueError:
        host = port = None
    if not host or not port:
        raise ValueError(f"--scheduler {scheduler!r} is not an address HOST:PORT (e.g. tcp://10.0.0.5:8786)")
    why = None
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        why = e.strerror or type(e).__name__
    if why is None and backend == "dask":  # something listens: is it a dask scheduler that answers in time?
        why = _dask_answers(address, timeout)
    if why is not None:
        raise ValueError(f"--scheduler {scheduler}: nothing answers there within {timeout:g} s ({why}); "
                         "is the scheduler running? (--scheduler-timeout sets the wait)") from None


def _dask_answers(address: str, timeout: float) -> str | None:
    """None if a dask scheduler at ``address`` completes a client's handshake within ``timeout`` s, else why not.
    The client runs in a daemon thread: against a peer that accepts and never speaks, its own timeout never fires."""
    import logging
    import threading
    from distributed import Client
    logging.getLogger("distributed").setLevel(logging.CRITICAL)  # its own report would add lines
    outcome = []

    def connect():
        try:
            Client(address, timeout=timeout, set_as_default=False).close()
            outcome.append(None)
        except Exception as e:  # noqa: BLE001 - whatever the failure, one line says it
            outcome.append(f"no dask scheduler answered: {type(e).__name__}")
    (t := threading.Thread(target=connect, daemon=True)).start()
    t.join(timeout + 1.0)
    return outcome[0] if outcome else "no dask scheduler answered"


class CannotWrite(OSError):
    """The results folder cannot be written at all (read-only, full, missing permission): nothing ran."""


@contextlib.contextmanager
def backend_context(backend: str, n_jobs: int, scheduler: str | None, scheduler_timeout: float = 5.0):
    """joblib's parallel_config for the chosen backend (starting a local cluster if needed); for ray, a connection
    to its cluster (jobs go through Ray's own API: its joblib backend cannot yield results as they finish)."""
    from joblib import parallel_config
    check_backend(backend, scheduler, scheduler_timeout)
    if backend == "loky":  # a loky worker leaves Ctrl-C to the run's driver, and dies with it from its first line
        with parallel_config(backend="loky", n_jobs=n_jobs, initializer=partial(worker_start, os.getpid())):
            yield
    elif backend == "dask":
        import dask
        from dask.distributed import Client, LocalCluster
        # jobs start child processes; dask's default daemonic workers may not have children
        dask.config.set({"distributed.worker.daemon": False})
        local = contextlib.nullcontext() if scheduler else LocalCluster(
            n_workers=n_jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        with local as cluster, Client(scheduler or cluster, timeout=scheduler_timeout), \
                parallel_config(backend="dask", n_jobs=-1):
            yield
    else:
        import ray
        ray.init(address=scheduler, num_cpus=None if scheduler else n_jobs, ignore_reinit_error=True,
                 log_to_driver=False, include_dashboard=False, configure_logging=False)
        try:
            yield
        finally:
            ray.shutdown()


def _ray_results(todo: list[Job], n_jobs: int, args: tuple):
    """(record, arrays) of each job as it finishes, at most ``n_jobs`` in flight, through Ray's own API."""
    import ray
    from .execute import run_job
    remote, pending, queue = ray.remote(num_cpus=1)(run_job), [], list(todo)
    while queue or pending:
        while queue and len(pending) < n_jobs:
            pending.append(remote.remote(queue.pop(0), *args))
        done, pending = ray.wait(pending, num_returns=1)
        yield ray.get(done[0])


def run_jobs(jobs: list[Job], out: str | Path, n_jobs: int = 1, backend: str = "loky",
             scheduler: str | None = None, force: bool = False, progress: bool = True,
             memory_gb: float = 8.0, scheduler_timeout: float = 5.0) -> dict:
    """Run every job not finished yet in ``out``; return counts by status (and ``skipped``). ``memory_gb``: the
    cap on a job (the default is execute.DEFAULT_MEMORY_GB, not imported here: a run with nothing to do needs none
    of what scores a job)."""
    check_backend(backend, scheduler, scheduler_timeout)  # before the folder is touched
    out = Path(out)
    probe = out / f".write-test-{os.getpid()}"
    try:  # refuse to start (OSError, one line) rather than fail at the first result
        (out / "jobs").mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"0" * 4096)
    except OSError as e:
        raise CannotWrite(f"{out}: cannot write results here ({e.strerror or e})") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    remove_job_dirs()  # of workers killed with an earlier run
    with folder_lock(out):
        remove_temporaries(jobs_dir(out))  # left by a run killed while it wrote a job file
        done = set() if force else finished_keys(out)
        by_key: dict[str, Job] = {}
        for job in jobs:
            by_key.setdefault(job.key, job)
        todo = [j for k, j in by_key.items() if k not in done]
        counts = {"skipped": len(by_key) - len(todo), **dict.fromkeys(STATUSES, 0)}
        (out / "truths").mkdir(exist_ok=True)  # each dataset's truth and variable names, for plots and audits
        for j in {j.dataset_digest: j for j in by_key.values()}.values():
            if not (path := out / "truths" / f"{j.dataset_digest}.npy").exists():
                write_text(path.with_suffix(".names"), "\n".join(j.dataset.variables))
                write_atomic(path, lambda f, g=j.dataset.graph: np.save(f, g))  # last: its presence means both
        append_run(out, {"started": time.time(), "jobs": len(by_key), "todo": len(todo), "n_jobs": n_jobs,
                         "backend": backend, "force": force, "git_commit": git_commit(),
                         "methods": sorted({j.label for j in by_key.values()}),
                         "suites": sorted({j.suite for j in by_key.values()}),
                         "expected": expected_jobs(by_key.values())})  # what `bench report` counts missing jobs by
        if not todo:
            return counts
        from joblib import Parallel, delayed  # what runs jobs: not imported by a run with nothing to do
        from tqdm import tqdm

        from .execute import run_job  # what fits and scores (metrics, its libraries): only where a job runs
        methods = tuple(sorted({j.method for j in todo}))
        with (tqdm(total=len(todo), desc="jobs", unit="job", dynamic_ncols=True, disable=not progress) as bar,
              backend_context(backend, n_jobs, scheduler, scheduler_timeout)):
            if backend == "ray":
                results = _ray_results(todo, n_jobs, (memory_gb, methods, False))
            else:
                results = Parallel(return_as="generator_unordered")(
                    delayed(run_job)(j, memory_gb, methods, backend == "loky" and n_jobs != 1) for j in todo)
            for record, arrays in results:
                write_result(out, record, arrays)
                counts[record["status"]] = counts.get(record["status"], 0) + 1
                bar.update(1)
                bar.set_postfix(failed=sum(counts[s] for s in STATUSES[1:]))
    return counts
