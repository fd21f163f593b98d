"""What a worker's job server (``bench.execute``) does once, so that no job pays for it in its fit time.

Imported last among the server's preloads, it limits every thread pool to one thread (inherited by jobs), fits
each method once on a tiny dataset as a job does, then freezes the heap out of the garbage collector. The server
must survive its methods and stay single-threaded to fork safely, so each method is first tried in a child under
the job caps; one that hangs, crashes, raises, breaks a cap or leaves a thread stays cold."""

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


def warm_one(name: str) -> None:
    """Run method ``name`` once as a job's process does, quietly; raise unless it ended ``ok``."""
    from datasets.generator import SCMSpec, generate
    from methods import method_class
    from .jobs import build_jobs
    from .predict import predict, save_result
    ds = generate(SCMSpec(d=method_class(name).n_variables or 4, n=100, expected_degree=2.0), 0, "warm-up")
    job = build_jobs([name], [(ds, "warm-up", {})], 1)[0]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result, arrays = predict(job)
        save_result(io.BytesIO(), result, arrays)
    if result["status"] != "ok":
        raise RuntimeError(f"{name}: {result.get('error', result['status'])}")


def trial(name: str, memory_gb: float | None) -> str | None:
    """Warm ``name`` up in a child under the job caps: None if it ran clean and left one thread, else why not."""
    from methods import method_class
    from .processes import me, supervise, watch
    try:
        limit = min(TRIAL_TIMEOUT_S, float(method_class(name).time_budget_s))
    except Exception as e:  # noqa: BLE001 - e.g. a module:Class this process cannot import
        return f"not found ({type(e).__name__})"
    server = me()
    if (pid := os.fork()) == 0:  # a supervisor tied to this server, so nothing the trial starts outlives it
        supervise(lambda: _warm_alone(name), server)
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


def _warm_alone(name: str) -> None:
    """A trial's process: warm ``name`` up; exit 1 if it raised, 3 if it left a thread running."""
    try:
        warm_one(name)
    except BaseException:  # noqa: BLE001 - the job that meets it reports it
        os._exit(1)
    if threads() != 1:
        os._exit(3)


def warm(names: list[str], memory_gb: float | None = None) -> dict[str, str]:
    """Warm each method up in this process after a clean trial; return {method: why not} for those left cold."""
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
    """The job server's start: stdio to /dev/null, one thread per pool, each method warmed, the heap frozen."""
    import gc
    from .processes import end_descendants
    names, memory_gb = json.loads(os.environ[WARM_ENV])
    # A job's process inherits the server's stdout and stderr until it opens its own output file; what it prints
    # before that (say, after a Ctrl-C removed that file's folder) must not follow the run's last line.
    null = os.open(os.devnull, os.O_WRONLY)
    for stream in (1, 2):
        os.dup2(null, stream)
    os.close(null)
    try:  # the server is a subreaper (bench.tether): a warmed method's orphans, detached or not, come back here
        with contextlib.suppress(Exception):  # the server must start whatever happens: cold jobs are slower, not wrong
            from threadpoolctl import threadpool_limits
            threadpool_limits(1)  # the pools loaded now; THREAD_ENV covers those loaded later
            if "torch" in sys.modules:
                sys.modules["torch"].set_num_threads(1)
            warm(names, memory_gb)
    finally:
        end_descendants()  # a warmed method's children would outlive the warm-up
    gc.collect()
    gc.freeze()  # everything the server holds now lives as long as it does


if WARM_ENV in os.environ:  # imported by the job server (bench.execute.job_server), nobody else
    _as_server()
