"""Run one job in a child process so that a crash, a hang or runaway memory cannot take the run down.

The worker (a loky or dask process) starts the child from a multiprocessing forkserver: a
clean single-threaded process with the harness and the run's libraries imported and each of
the run's methods fitted once (``bench.warmup``), so a child starts warm and never inherits
a lock held by one of the worker's threads (a plain fork of a threaded process can deadlock).
Each child is forked ahead (once the worker's previous job has started, or as the server's
first fork) and gets its job through a pipe, so the fork is not on the job's path; while it
waits it copies the server's pages that the method's earlier jobs wrote (``bench.pages``). It
fits the method on observations only, validates the prediction, writes it to a private
temporary file and says so through the pipe, so that its exit is not on the run's path either.
Several threads of one worker (a dask worker's) may run jobs at once: the spare, the pages and
the server's start are shared under one lock.
Scoring is the runner's (``bench.runner.score_record``): the method's code is what needs a
process of its own, and the runner scores one job while the next one runs.
The parent watches the clock and the child's memory, kills it past its budget (SIGKILL:
nothing in the child can refuse), and returns a result record in every case. The child asks
the kernel to kill it if its parent dies, so a killed run leaves no orphans behind.
"""
from __future__ import annotations

import contextlib
import faulthandler
import json
import multiprocessing.util
import os
import platform
import resource
import signal
import socket
import tempfile
import threading
import time
import traceback
from functools import lru_cache

import numpy as np

from . import pages
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


def die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def predict(job: Job) -> tuple[dict, dict | None]:
    """Fit ``job``'s method on its observations, validate the prediction and, for a learned
    method, probe it (``bench.probe``): (result, arrays). What a job's process does, and what
    the job server's warm-up repeats (``bench.warmup``). A failure is a result, never raised.

    Scoring is not done here: it is the runner's (``bench.runner.score_record``), on these
    arrays, while the next job runs."""
    from methods import InvalidPrediction, get_method

    result: dict = {"status": "error"}
    arrays = None
    try:
        method = get_method(job.method, **job.params)
        if "seed" in method.param_names():
            method.set_params(seed=job.seed)
        obs = job.dataset.observations()
        t0, c0 = time.perf_counter(), time.process_time()
        pred = method.fit(obs)
        result["fit_s"], result["fit_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
        try:
            pred.validate(job.dataset.d)
        except InvalidPrediction as e:
            result.update(status="invalid", error=str(e), invalid_reason=str(e))
        else:
            result.update(status="ok", cpdag=bool(pred.cpdag), info=pred.info)
            arrays = {"scores": np.asarray(pred.scores, dtype=np.float64), "graph": np.asarray(pred.graph, np.int8)}
            if method.learned:
                from .probe import dependence_probe

                result["probe"] = dependence_probe(method, obs, seed=job.seed)
    except Exception as e:  # failure is a result
        result.update(status="error", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
    return result, arrays


def save_prediction(f, result: dict, arrays: dict | None) -> None:
    """The job's result as its process hands it to the worker: one .npz with the record."""
    np.savez(f, record=json.dumps(result, default=str), **(arrays or {}))


def _child(job: Job, path: str) -> None:
    """Run ``predict(job)`` and write its result to ``path``. Runs in the job's own process."""
    faulthandler.disable()  # a crash is reported as a status, not as a dump on the run's stderr
    die_with_parent()
    # one thread per BLAS/OpenMP pool, and the first calls already made: both inherited from
    # the job server (bench.warmup)
    result, arrays = predict(job)
    # peak resident memory of the job's process (shared pages of the preloaded libraries included)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(path + ".tmp", "wb") as f:
        save_prediction(f, result, arrays)
    os.replace(path + ".tmp", path)


def _rss_reader(pid: int):
    """A function giving process ``pid``'s resident memory in MB (0 where it cannot be read).
    Made once per job: psutil's Process() reads /proc/<pid>/stat, 0.3 ms a poll, which was
    most of a worker's CPU while its job ran (0.9 s in 93 s of NOTEARS jobs)."""
    try:
        import psutil

        process = psutil.Process(pid)
    except Exception:
        return lambda: 0.0

    def rss_mb() -> float:
        try:
            return process.memory_info().rss / 2**20
        except Exception:
            return 0.0
    return rss_mb


_CTX = None


# What every job imports (scoring is the runner's). loky: a job started from a loky worker is
# prepared with loky's start method, which multiprocessing knows only once loky is imported.
BASE_PRELOAD = ("bench.execute", "methods", "datasets", "joblib.externals.loky")


def job_server(methods: tuple[str, ...] = ()):
    """A forkserver context whose server has the harness, the numpy stack and the run's method
    libraries (``Method.preload``) imported, and has run each of ``methods`` once as a job does
    (``bench.warmup``), so no job pays for an import or a first call another already paid.

    The server starts on one BLAS/OpenMP thread (the environment it is started with), so every
    job inherits one thread and the server has no thread pool to fork. The first run in a
    process decides the server's methods; a later run's other methods are imported by their jobs.
    """
    global _CTX
    with _LOCK:
        if _CTX is None:
            import multiprocessing as mp
            from multiprocessing import forkserver

            from methods import method_class

            from .warmup import MAIN_ENV, THREAD_ENV, WARM_ENV, main_preparation

            preload = sorted({m for name in methods for m in method_class(name).preload})
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(list(BASE_PRELOAD) + preload + ["bench.warmup"])
            env = {WARM_ENV: json.dumps(sorted(set(methods))), MAIN_ENV: json.dumps(main_preparation()),
                   **{k: "1" for k in THREAD_ENV}}
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                forkserver.ensure_running()  # a spawned server: it reads the environment as it is now
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            # the server forks once its imports and warm-up are done (seconds): wait for that here,
            # so that it counts neither in the first job's wall time nor against its budget. What
            # it forks is the first job's process (``_spare_process``).
            _fork_spare(ctx, "")
            _CTX = ctx
    return _CTX


def background_priority() -> None:
    """Lower this thread's scheduling priority to nice 10 at least (Linux, where it is per thread;
    elsewhere nothing), for work that runs beside a job and is not on its path: the runner's
    scoring and writing, and a finished job's process reporting its pages and exiting. Where
    the cores are all busy, the job comes first."""
    with contextlib.suppress(OSError, AttributeError):
        if platform.system() == "Linux":
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, max(10, os.getpriority(os.PRIO_PROCESS, tid)))


FIT_CPUS_ENV = "TABSCM_BENCH_FIT_CPUS"  # "0" or "0,2": the cores jobs run on, if the server was started with it


def fit_cpus() -> set[int]:
    """The cores a job's process runs its job on (``FIT_CPUS_ENV``, inherited from the job
    server's environment); empty: wherever the scheduler puts it. Meant for one worker (every
    worker's jobs would share those cores)."""
    value = os.environ.get(FIT_CPUS_ENV, "")
    return {int(c) for c in value.split(",") if c.strip()}


def _move_to_fit_cpus() -> set[int] | None:
    """Move this process onto ``fit_cpus()``; return the cores it was on, or None if it stays.
    A setting this machine cannot follow leaves the job where it is: it is a measurement's
    choice, and must never cost a job."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        cpus = fit_cpus()
        if cpus:
            home = os.sched_getaffinity(0)
            os.sched_setaffinity(0, cpus)
            return home
    return None


def _job_process(conn, job: Job, path: str, learn: bool = False, prefaulted=None) -> None:
    """A job's process: run the job, then say so, so the worker need not wait for its exit.
    If ``learn``, then send which of the server's pages the job wrote (``bench.pages``), after
    "done": the worker is already on its way.

    With ``fit_cpus()``, the process runs its job on those cores and goes back to the server's
    for the rest, so that the harness's own work (the next job's fork and page copying, a
    finished job's exit) stays off the job's core (``bench.perf`` measures so)."""
    try:
        home = _move_to_fit_cpus()
        conn.send("started")
        _child(job, path)
        conn.send("done")
        if home:
            os.sched_setaffinity(0, home)
        background_priority()  # what is left (the pages, the exit) must not slow the next job
        if learn:
            conn.send(pages.written_pages(exclude=prefaulted))
    except BaseException:
        os._exit(1)


def _spare_process(conn) -> None:
    """A job's process forked ahead (as the job server's first fork, or once the worker's
    previous job has started): it waits for its job and runs it as any job's process does. It
    runs nothing before its job, so it is as fresh as a process forked when the job starts;
    only the fork is off the job's path, and the copying of the server's pages that jobs of its
    method write, if the worker knows them yet (``bench.pages``): its memory holds what it
    held, only copied earlier."""
    die_with_parent()
    prefaulted = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # released unused: its worker is exiting
            msg = None
        if msg is None:
            os._exit(0)
        if msg[0] != "pages":
            break
        prefaulted = msg[1]
        with contextlib.suppress(Exception):  # copying ahead saves time; it must never cost a job
            pages.populate(prefaulted)
    _job_process(conn, *msg[1:], prefaulted=prefaulted)


_SPARE: list = []   # this worker's spare job process, [process, pipe, copied ahead?], at most one
_IN_TURN: list = []  # [submit(fn, *args)]: the queue of a caller running jobs in turn (``in_turn``)
_HANDED = threading.Condition()  # notified at each job handed to its process
_handed_count = 0                # jobs handed to their processes in this process so far
_ENDING: list = []  # processes of finished jobs (and released spares), exiting on their own, not yet reaped
_LEARNING: list = []  # (method, pipe) of finished jobs yet to send the pages they wrote
_WRITTEN: dict = {}   # method -> the server's pages its jobs in this worker wrote (bench.pages)
# guards the above and the job server's start: a dask worker with several threads runs several
# jobs at once in one process
_LOCK = threading.RLock()


def _reap() -> None:
    with _LOCK:
        for proc in [p for p in _ENDING if p.exitcode is not None]:
            _ENDING.remove(proc)
            proc.close()


def _pipe(ctx):
    """A pipe to a job's process whose buffer holds a whole job (a d = 50, n = 1,000 dataset:
    400 kB), so that handing a job over never waits for the process to read it."""
    conn, child_end = ctx.Pipe()
    with contextlib.suppress(OSError, AttributeError):
        with socket.socket(fileno=os.dup(conn.fileno())) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    return conn, child_end


def _fork_spare(ctx, method: str) -> None:
    """Fork the next job's process now, while this job (of ``method``) runs
    (``_spare_process``), unless one waits already, and send it the pages jobs of ``method``
    write, if known yet."""
    with _LOCK:
        if _SPARE:
            return
        conn, child_end = _pipe(ctx)
        proc = ctx.Process(target=_spare_process, args=(child_end,), daemon=False)
        proc.start()
        child_end.close()
        _SPARE.append([proc, conn, False])
        _offer_pages(method)


def _offer_pages(method: str) -> None:
    """Send the waiting spare, unless it has some already, the pages that jobs of ``method``
    wrote, to copy while it waits."""
    with _LOCK:
        if _SPARE and not _SPARE[0][2] and len(_WRITTEN.get(method, ())):
            with contextlib.suppress(OSError):  # it died while it waited: _hand_to_spare finds out
                _SPARE[0][1].send(("pages", _WRITTEN[method]))
                _SPARE[0][2] = True


def _collect_pages() -> None:
    """Take the pages finished jobs have sent (``_job_process``), without waiting for any."""
    with _LOCK:
        for item in [item for item in _LEARNING if item[1].poll()]:
            method, conn = item
            _LEARNING.remove(item)
            try:
                written = conn.recv()
            except (EOFError, OSError):  # it ended without sending them: a later job will
                continue
            finally:
                conn.close()
            _WRITTEN[method] = np.union1d(_WRITTEN.get(method, written[:0]), written)
            _offer_pages(method)


def _hand_to_spare(job: Job, path: str, learn: bool):
    """Give ``job`` to the spare process if there is a live one: its (process, pipe), or None."""
    while True:
        with _LOCK:
            if not _SPARE:
                return None
            proc, conn, _ = _SPARE.pop()
        try:
            conn.send(("job", job, path, learn))
            return proc, conn
        except OSError:  # it died while it waited (killed from outside): fork one on demand
            conn.close()
            with _LOCK:
                _ENDING.append(proc)


@contextlib.contextmanager
def in_turn(submit):
    """For a caller that runs jobs one at a time in this thread and does its own work on one
    thread of its own (``bench run --n-jobs 1``: scoring and writing each result), through
    ``submit(fn, *args)``, a ThreadPoolExecutor's. Yields ``later(fn, *args, last=False)``,
    which submits ``fn(*args)`` to run once the next job has been handed to its process
    (``last``: there is none; at the block's end nothing waits any more). Within the block the
    next job's process is forked through the same queue, behind that work.

    On two cores the previous job's scoring, this job's start and the fork of the next job's
    process otherwise all run at once. Scoring that started at once held the interpreter while
    the next job was being set up: the caller's time per job outside the job's wall time was
    2.3-3.8 ms, and is now 1.2-1.4 ms. A d = 50 PC fit waited 5.5-7 ms for a core, and now
    2.6-3.7 ms, with the runner's writer at a lower priority (``background_priority``)."""
    state = {"open": True}

    def behind_next_job(count, last, fn, *args):
        if not last:
            with _HANDED:  # a second at most: never a hang, whatever happens to the jobs
                _HANDED.wait_for(lambda: _handed_count > count or not state["open"], timeout=1.0)
        return fn(*args)

    _IN_TURN.append(submit)
    try:
        yield lambda fn, *args, last=False: submit(behind_next_job, _handed_count, last, fn, *args)
    finally:
        _IN_TURN.remove(submit)
        with _HANDED:
            state["open"] = False
            _HANDED.notify_all()


def _handed() -> None:
    global _handed_count
    with _HANDED:
        _handed_count += 1
        _HANDED.notify_all()


def release_spare() -> None:
    """End this process's unused spare job process (at exit, or when a caller wants no process
    left waiting)."""
    with _LOCK:
        while _SPARE:
            proc, conn, _ = _SPARE.pop()
            conn.close()  # it reads the end of its pipe and exits
            _ENDING.append(proc)


# at exit, before multiprocessing joins its children: an unused spare waits for a job, forever
multiprocessing.util.Finalize(None, release_spare, exitpriority=100)


def run_job(job: Job, memory_gb: float = DEFAULT_MEMORY_GB,
            methods: tuple[str, ...] = ()) -> tuple[dict, dict | None]:
    """Run ``job`` isolated; return (record, arrays). Never raises for the method's sake.

    ``methods``: the run's method names, which this process's job server warms up (``job_server``).
    The job runs in this worker's spare process, forked ahead (``_spare_process``): forking
    from a server holding the run's libraries takes 6-15 ms, which is then off the job's path.
    The next job's spare is forked once this job's process has started (not
    while it starts, on a 2-core machine; within ``in_turn``, behind the caller's work), and is
    sent the pages jobs of this method wrote, to copy while it waits (``bench.pages``). A job
    shorter than a fork has the rest of that fork in its wall time. The job's process says when
    its result is written; its exit (unmapping what it copied of the server) goes on in the
    background, at a lower priority, while the worker moves on. The first jobs of a method in
    a worker then say which pages they wrote (``learn``).
    """
    from multiprocessing.connection import wait

    fd, path = tempfile.mkstemp(prefix="tabscm-job-", suffix=".npz")
    os.close(fd)
    os.unlink(path)
    ctx = job_server(methods)  # the first call in a process starts the server: not the job's time
    _reap()
    _collect_pages()
    with _LOCK:
        learn = job.method not in _WRITTEN  # the first jobs of a method here say which pages they wrote
    started = time.time()
    t0 = time.perf_counter()
    spare = _hand_to_spare(job, path, learn)
    if spare is not None:
        proc, conn = spare
    else:  # the spare died, or the previous job's process died before it started
        conn, child_end = _pipe(ctx)
        proc = ctx.Process(target=_job_process, args=(child_end, job, path, learn), daemon=False)
        proc.start()
        child_end.close()
    _handed()
    status, why, done = None, None, False
    rss_mb = _rss_reader(proc.pid)
    while not done:
        ready = wait([conn, proc.sentinel], POLL_S)
        if conn in ready:
            msg = None
            with contextlib.suppress(EOFError, OSError):  # it ended without saying done: reported below
                msg = conn.recv()
            if msg == "started":  # fork the next job's process now, not while this one starts
                try:
                    _IN_TURN[-1](_fork_spare, ctx, job.method)
                except (IndexError, RuntimeError):  # no caller's queue, or it is shutting down
                    _fork_spare(ctx, job.method)
                continue
            done = msg == "done"
            break
        if ready:  # the process ended without saying done
            break
        _collect_pages()  # an earlier job's pages, if they came
        elapsed = time.perf_counter() - t0
        if elapsed > job.budget_s:
            why, status = f"killed after {elapsed:.1f} s: over its {job.budget_s:g} s budget", "timeout"
        elif memory_gb and rss_mb() > memory_gb * 1024:
            why, status = f"killed: memory over {memory_gb:g} GB", "error"
        if status:
            proc.kill()
            break
    if done and learn:
        with _LOCK:
            _LEARNING.append((job.method, conn))  # its pages come after "done"
    else:
        conn.close()
    if done:
        with _LOCK:
            _ENDING.append(proc)  # its exit (unmapping what it copied of the server) overlaps what comes next
    else:
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
