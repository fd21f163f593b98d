"""Fan jobs out with joblib (loky locally; dask or ray beyond one machine) and store each result
as it finishes. A rerun of the same command skips finished jobs, so a run killed at any moment
resumes where it stopped; a job in flight when the run died is simply run again.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed, parallel_config

from .diagnostics import failure_flags, job_flags
from .execute import DEFAULT_MEMORY_GB, background_priority, in_turn, run_job
from .jobs import Job
from .metrics import evaluate
from .store import finished_keys, write_result

BACKENDS = ("loky", "dask", "ray")


@contextlib.contextmanager
def backend_context(backend: str, n_jobs: int, scheduler: str | None):
    """joblib's parallel_config for the chosen backend (starting a local cluster if needed)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "loky":
        with parallel_config(backend="loky", n_jobs=n_jobs):
            yield
    elif backend == "dask":
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ValueError("--backend dask needs the dask extra: pip install 'tabscm-bench[dask]'") from None
        import dask

        # jobs start child processes; dask's default daemonic workers may not have children
        dask.config.set({"distributed.worker.daemon": False})
        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        try:
            with parallel_config(backend="dask", n_jobs=-1):
                yield
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
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


def _cached(name: str, compute, save, load):
    """``compute()``, kept in the dataset cache folder under ``name``; a file that cannot be
    read is computed again. Written under a temporary name and renamed: workers may race."""
    from datasets.cache import cache_dir

    path = cache_dir() / name
    if path.exists():
        try:
            with open(path, "rb") as f:
                return load(f)
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
    value = compute()
    if value is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            save(f, value)
        os.replace(tmp, path)
    return value


def cached_truth_cpdag(graph: np.ndarray) -> np.ndarray | None:
    """The truth's CPDAG, computed once per graph and kept in the dataset cache folder."""
    import hashlib

    from .metrics import truth_cpdag

    G = (np.asarray(graph) != 0).astype(np.int8)
    digest = hashlib.sha256(G.tobytes() + str(G.shape).encode()).hexdigest()[:24]
    return _cached(f"cpdag-{digest}.npy", lambda: truth_cpdag(G), np.save, np.load)


@lru_cache(maxsize=None)
def _installed(library: str) -> str:
    """A library's installed version, read once per process (0.8 ms a read: once per dataset
    was a fifth of a run's set-up)."""
    from methods.base import library_version

    return library_version(library)


def cached_properties(job: Job) -> dict:
    """The dataset's properties (sortability regressions: 14 ms at d = 50), computed once per
    dataset content and meta (noise, has_truth), code version and CausalDisco version, and
    kept in the dataset cache."""
    import hashlib

    from datasets.properties import dataset_properties

    from .jobs import code_version

    key = json.dumps([job.dataset_digest, job.dataset.meta, code_version(), _installed("CausalDisco")],
                     sort_keys=True, default=str)
    name = f"props-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
    return _cached(name, lambda: dataset_properties(job.dataset),
                   lambda f, v: f.write(json.dumps(v).encode()), lambda f: json.loads(f.read()))


def score_record(record: dict, arrays: dict | None, job: Job, dataset_props: dict) -> dict:
    """Score a job's prediction against its truth: metrics and flags. A failed job scores as the
    empty graph, with its failure flags.

    Done here, not in the job's process: that process exists to isolate the method's code; this
    is the harness's own, on a prediction the job already validated (gadjid's panics are caught
    at its door, ``bench.metrics``), and the runner does it while the next job runs. A scoring
    failure is the job's error, as it was when jobs scored themselves: the run goes on."""
    from methods import Prediction

    t0 = time.perf_counter()
    record["dataset_properties"] = dataset_props
    flags = record.setdefault("flags", {})
    has_truth = job.dataset.meta.get("has_truth", True)
    G = job.dataset.graph
    if record["status"] == "ok" and has_truth:
        try:
            pred = Prediction(arrays["scores"], arrays["graph"], bool(record["cpdag"]))
            record["metrics"] = evaluate(G, pred, job.truth_cpdag)
            flags.update(job_flags(G, pred, record["metrics"]))
        except Exception as e:  # noqa: BLE001 - recorded, and scored as below
            record.update(status="error", error=f"scoring failed: {type(e).__name__}: {e}",
                          traceback=traceback.format_exc())
            flags.clear()
    if not has_truth:  # a user's CSV without a truth: predictions only, nothing to score against
        record["metrics"] = {}
    elif record["status"] != "ok":
        d = job.dataset.d
        record["metrics"] = evaluate(G, Prediction.from_graph(np.zeros((d, d))), job.truth_cpdag)
        record["scored_as"] = "empty graph"
    flags.update(failure_flags(record["status"], record.get("error")))
    record["score_s"] = time.perf_counter() - t0
    return record


def _score_and_write(out: Path, record: dict, arrays: dict | None, job: Job, dataset_props: dict) -> str:
    """Score and store one job's result; return its final status (scoring may make it an error)."""
    write_result(out, score_record(record, arrays, job, dataset_props), arrays)
    return record["status"]


@contextlib.contextmanager
def _writes_queue(writer: ThreadPoolExecutor, in_this_thread: bool):
    """``submit(fn, *args, last=...)`` for the result writer. With one local worker the jobs run
    in this thread, in turn, and each result's scoring waits until the next job has started
    (``execute.in_turn``); elsewhere it starts at once."""
    if in_this_thread:
        with in_turn(writer.submit) as later:
            yield later
    else:
        yield lambda fn, *args, last=False: writer.submit(fn, *args)


def run_jobs(jobs: list[Job], out: str | Path, n_jobs: int = 1, backend: str = "loky",
             scheduler: str | None = None, force: bool = False, progress: bool = True,
             memory_gb: float = DEFAULT_MEMORY_GB) -> dict:
    """Run every job not finished yet in ``out``; return counts by status."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    done = set() if force else finished_keys(out)
    by_key: dict[str, Job] = {}
    for job in jobs:
        by_key.setdefault(job.key, job)
    todo = [j for k, j in by_key.items() if k not in done]
    props, cpdags = {}, {}
    (out / "truths").mkdir(exist_ok=True)
    for j in by_key.values():
        digest = j.dataset_digest
        if digest not in props:
            props[digest] = cached_properties(j)
            cpdags[digest] = cached_truth_cpdag(j.dataset.graph)
            np.save(out / "truths" / f"{digest}.npy", j.dataset.graph)  # for plots and audits
            (out / "truths" / f"{digest}.names").write_text("\n".join(j.dataset.variables))
        j.truth_cpdag = cpdags[digest]
    counts = {"skipped": len(by_key) - len(todo), "ok": 0, "timeout": 0, "error": 0, "invalid": 0}
    (out / "run.json").write_text(json.dumps({"jobs": len(by_key), "todo": len(todo), "n_jobs": n_jobs,
                                              "backend": backend, "started": time.time()}, indent=1))
    if not todo:
        return counts
    methods = tuple(sorted({j.method for j in todo}))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="jobs", unit="job", dynamic_ncols=True)
    # results are scored and written (and fsynced) by a thread of their own, at a lower
    # priority, while the next job runs; a failed write stops the run at the next result, and
    # every pending write ends before return. Counts are of final statuses, so they follow the writes.
    def tally(write) -> None:
        status = write.result()  # raises what a failed write raised
        counts[status] = counts.get(status, 0) + 1

    writer = ThreadPoolExecutor(1, "result-writer", initializer=background_priority)
    with backend_context(backend, n_jobs, scheduler), writer, \
            _writes_queue(writer, n_jobs == 1 and backend == "loky") as submit:
        results = Parallel(return_as="generator_unordered")(delayed(run_job)(j, memory_gb, methods) for j in todo)
        writes: list = []
        for received, (record, arrays) in enumerate(results, 1):
            job = by_key[record["key"]]
            for w in [w for w in writes if w.done()]:
                tally(w)
                writes.remove(w)
            writes.append(submit(_score_and_write, out, record, arrays, job, props[job.dataset_digest],
                                 last=received == len(todo)))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(failed=sum(counts[s] for s in ("timeout", "error", "invalid")))
        for w in writes:
            tally(w)
    if bar is not None:
        bar.close()
    return counts
