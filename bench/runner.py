"""Fan jobs out with joblib (loky locally; dask or ray beyond one machine) and store each result as it arrives.
Workers fit and score (``bench.execute``); a rerun of the same command skips finished jobs, so a stopped run
resumes where it stopped."""

import contextlib
import os
import time
from functools import partial
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed, parallel_config
from tqdm import tqdm

from .atomic import remove_temporaries, write_atomic, write_text
from .coverage import expected_jobs
from .execute import DEFAULT_MEMORY_GB, run_job
from .jobs import Job, git_commit
from .processes import remove_job_dirs, worker_start
from .store import append_run, finished_keys, folder_lock, jobs_dir, write_result

BACKENDS = ("loky", "dask", "ray")
STATUSES = ("ok", "timeout", "error", "invalid")


class CannotWrite(OSError):
    """The results folder cannot be written at all (read-only, full, missing permission): nothing ran."""


@contextlib.contextmanager
def backend_context(backend: str, n_jobs: int, scheduler: str | None):
    """joblib's parallel_config for the chosen backend (starting a local cluster if needed)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "loky":  # a loky worker leaves Ctrl-C to the run's driver, and dies with it from its first line
        with parallel_config(backend="loky", n_jobs=n_jobs, initializer=partial(worker_start, os.getpid())):
            yield
    elif backend == "dask":
        try:
            import dask
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ValueError("--backend dask needs the dask extra: pip install 'tabscm-bench[dask]'") from None
        # jobs start child processes; dask's default daemonic workers may not have children
        dask.config.set({"distributed.worker.daemon": False})
        local = contextlib.nullcontext() if scheduler else LocalCluster(
            n_workers=n_jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        with local as cluster, Client(scheduler or cluster), parallel_config(backend="dask", n_jobs=-1):
            yield
    else:
        try:
            import ray
            from ray.util.joblib import register_ray
        except ImportError:
            raise ValueError("--backend ray needs the ray extra: pip install 'tabscm-bench[ray]'") from None
        register_ray()
        ray.init(address=scheduler, ignore_reinit_error=True, log_to_driver=False)
        try:
            with parallel_config(backend="ray", n_jobs=n_jobs):
                yield
        finally:
            ray.shutdown()


def run_jobs(jobs: list[Job], out: str | Path, n_jobs: int = 1, backend: str = "loky",
             scheduler: str | None = None, force: bool = False, progress: bool = True,
             memory_gb: float = DEFAULT_MEMORY_GB) -> dict:
    """Run every job not finished yet in ``out``; return counts by status (and ``skipped``)."""
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
        methods = tuple(sorted({j.method for j in todo}))
        with (tqdm(total=len(todo), desc="jobs", unit="job", dynamic_ncols=True, disable=not progress) as bar,
              backend_context(backend, n_jobs, scheduler)):
            results = Parallel(return_as="generator_unordered")(
                delayed(run_job)(j, memory_gb, methods, backend == "loky" and n_jobs != 1) for j in todo)
            for record, arrays in results:
                write_result(out, record, arrays)
                counts[record["status"]] = counts.get(record["status"], 0) + 1
                bar.update(1)
                bar.set_postfix(failed=sum(counts[s] for s in STATUSES[1:]))
    return counts
