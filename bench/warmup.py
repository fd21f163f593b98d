"""What the job processes' forkserver does once, so that no forked job pays for it.

A job runs in a fresh process forked from the forkserver (``bench.execute``). Whatever a fresh
process does the first time (lazy imports inside functions, scikit-learn's and scipy's
first-call set-up, torch's, specialising the interpreter's bytecode)
every job would otherwise pay again. The forkserver imports this module last among its
preloads: it runs the run's ``__main__`` script or module once (``preload_main``), limits
every thread pool to one thread (inherited by each job), fits, validates
(and, for a learned method, probes: ``bench.probe``) each of the run's methods (``WARM_ENV``)
once on a tiny dataset (d = 4, n = 100), and then freezes its heap out of the garbage
collector (``gc.freeze``): a job's collections then walk only the objects the job made, not
everything the server imported. Without it, the collector in each job walked (and copied,
page by page) the server's whole heap; PC's fit at d = 50 took 0.84-0.98 s in a job against
0.64-0.75 s with it.

The server must survive its methods and stay single-threaded: a forked child gets only the
forking thread, so a library's thread pool in the server is a pool of missing threads in every
job, and the job hangs on it (gadjid's rayon pool did exactly that, when jobs scored their own
predictions). So each method is first warmed up in a forked trial child (``trial``); a method
whose trial hangs, crashes, raises or leaves a thread behind is not warmed in the server and
its jobs start cold, which costs time, never a result.
"""
from __future__ import annotations

import io
import json
import os
import signal
import sys
import time

WARM_ENV = "TABSCM_BENCH_WARM"   # JSON list of method names, set only while the forkserver starts
MAIN_ENV = "TABSCM_BENCH_MAIN"   # JSON: the run's __main__ as multiprocessing names it to a child
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")
TRIAL_TIMEOUT_S = 10.0           # or the method's own time budget, if shorter


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


def tiny_dataset():
    from datasets.generator import SCMSpec, generate

    return generate(SCMSpec(d=4, n=100, expected_degree=2.0), 0, "warm-up")


def warm_one(name: str, ds) -> None:
    """Run method ``name`` on ``ds`` as a job's process does (``bench.execute.predict``), quietly;
    raise if it did not end ``ok``."""
    import contextlib

    from .execute import predict, save_prediction
    from .jobs import build_jobs

    (job,) = build_jobs([name], [(ds, "warm-up", {})], 1)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result, arrays = predict(job)
        save_prediction(io.BytesIO(), result, arrays)
    if result["status"] != "ok":
        raise RuntimeError(f"{name}: {result.get('error', result['status'])}")


def trial(name: str, ds) -> str | None:
    """Warm ``name`` up in a forked child: None if it finished in time without raising and left
    one thread; otherwise why not."""
    from methods import method_class

    from .execute import die_with_parent

    try:
        limit = min(TRIAL_TIMEOUT_S, float(method_class(name).time_budget_s))
    except Exception as e:  # noqa: BLE001 - e.g. a module:Class this process cannot import
        return f"not found ({type(e).__name__})"
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            die_with_parent()
            warm_one(name, ds)
            code = 0 if threads() == 1 else 3
        finally:
            os._exit(code)
    deadline = time.monotonic() + limit
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return f"took over {limit:g} s"
        time.sleep(0.005)
    code = os.waitstatus_to_exitcode(status)
    return {0: None, 1: "raised", 3: "left threads running"}.get(code, f"died (exit status {code})")


def main_preparation() -> dict:
    """How multiprocessing tells a child of this process to re-create its ``__main__``: the
    module's name (``python -m``) or the script's path, and ``sys.argv``; {} for ``python -c``
    or an interactive session, whose children re-create nothing."""
    from multiprocessing import spawn

    data = spawn.get_preparation_data("job")
    if not {"init_main_from_name", "init_main_from_path"} & data.keys():
        return {}
    return {k: data[k] for k in ("init_main_from_name", "init_main_from_path", "sys_argv") if k in data}


def preload_main(data: dict) -> None:
    """Run the run's ``__main__`` here once, as ``__mp_main__``, as multiprocessing would in
    every job's process, so that each job finds it already there and skips it.

    A forkserver child re-runs its parent's main script or module before its target: each job
    of ``python -m bench.perf`` or of a user's script re-ran that file and imported whatever
    it imports (an empty-graph job took 130 ms instead of 10). ``set_forkserver_preload
    (["__main__"])`` was meant to do this once in the server, but has not worked since 2013 on
    Python < 3.13 (CPython gh-126631). As there, a main that starts processes while imported is
    refused (``_inheriting``), and a main that fails here is left to the jobs, as before."""
    from multiprocessing import process, spawn

    argv = sys.argv
    process.current_process()._inheriting = True
    try:
        sys.argv = list(data.get("sys_argv", argv))  # as each job's process would see it
        spawn.prepare({k: v for k, v in data.items() if k.startswith("init_main_from")})
    finally:
        sys.argv = argv
        del process.current_process()._inheriting


def warm(names: list[str]) -> dict[str, str]:
    """Warm each method up in this process after a clean trial; return {method: why not} for
    those left cold."""
    ds = tiny_dataset()
    if threads() > 1:  # already unsafe to fork from (not started as bench.execute starts it)
        return {name: "the process already had threads" for name in names}
    cold: dict[str, str] = {}
    for name in names:
        why = trial(name, ds)
        if why is None:
            try:
                warm_one(name, ds)
            except Exception as e:  # noqa: BLE001 - the jobs will meet it and report it
                why = f"raised {type(e).__name__}"
        if why is not None:
            cold[name] = why
    return cold


if WARM_ENV in os.environ:  # imported by the forkserver (bench.execute.job_server), nobody else
    import contextlib

    with contextlib.suppress(Exception, SystemExit):  # e.g. a script that fails when imported: its jobs run it
        preload_main(json.loads(os.environ.get(MAIN_ENV, "{}")))
    try:
        limit_threads()
        warm(json.loads(os.environ[WARM_ENV]))
    except Exception:  # noqa: BLE001 - the server must start whatever happens here (it only
        pass           # survives ImportError from a preload): cold jobs are slower, not wrong
    import gc

    gc.collect()
    gc.freeze()  # everything the server holds now lives as long as it does
    from . import pages

    pages.remember_server()  # what each job's process shares with the server (bench.pages)
