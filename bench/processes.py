"""Process hygiene: no process of a run outlives it, however it ends.

Each process is tied to the one that owns it from its first lines, not from its first job: a worker dies with the
driver (parent-death signal, set by the pool's initializer), a job server ends its whole tree when its worker dies
(parent-death signal, set as the server starts), and each job runs under a supervisor that watches the worker
through a pidfd. Job servers and supervisors are child subreapers, so a process that detaches itself (``setsid``,
double fork) is reparented to them, not to init, and ended with the rest of the tree: when the job ends, when the
worker kills it past its budget, or when the worker dies."""

import contextlib
import os
import select
import signal
import sys
import time

POLL_S = 0.05      # how often a watched job is checked for its end
MEMORY_POLL_S = 0.25  # how often its process tree's memory is read
END_GRACE_S = 5.0  # how long a supervisor gets to end its tree before the worker kills its group itself
JOB_DIR_PREFIX = "tabscm-job-"  # + the worker's pid + a random part: a job's folder, in the temporary folder
SERVER_PARENT_ENV = "TABSCM_BENCH_SERVER_PARENT"  # "pid:start" of a job server's worker, read as the server starts
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def _prctl(option: int, value: int) -> bool:
    """Linux prctl; False where it is missing (elsewhere these guarantees are not given)."""
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def start_time(pid: int) -> int | None:
    """A process's start time in clock ticks since boot (with its pid, what names it: pids are reused)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def me() -> tuple[int, int | None]:
    """This process, as a lifeline another process can hold: (pid, start time)."""
    return os.getpid(), start_time(os.getpid())


def die_with_parent(sig: int = signal.SIGKILL, parent: int | None = None) -> None:
    """Ask Linux to send ``sig`` to this process when its parent ends; if the parent was not ``parent`` any more
    when that took effect (it ended before), act on ``sig`` now."""
    _prctl(PR_SET_PDEATHSIG, sig)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)


def worker_start(driver: int) -> None:
    """A pool worker's first lines (joblib's initializer): Ctrl-C is the driver's to handle, and the worker dies
    with the driver, also if the driver died while it started."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(signal.SIGKILL, parent=driver)


def _children_map() -> dict[int, list[int]]:
    """Live (not zombie) processes by parent, read from /proc."""
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != b"Z":
            out.setdefault(int(fields[1]), []).append(int(entry.name))
    return out


def descendants(pid: int) -> list[int]:
    """Live descendants of ``pid``, nearest first."""
    children, out, i = _children_map(), [], 0
    out.extend(children.get(pid, []))
    while i < len(out):
        out.extend(children.get(out[i], []))
        i += 1
    return out


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def end_descendants(limit_s: float = 10.0) -> None:
    """SIGKILL every descendant of this process until none is left. In a subreaper, what a killed process leaves
    behind comes back here and is found on the next pass; a killed process cannot start another."""
    deadline = time.monotonic() + limit_s
    while (pids := descendants(os.getpid())) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        _reap()
        time.sleep(0.01)
    _reap()


def _end_tree_and_exit(*_):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_descendants()
    os._exit(1)


def remove_job_dirs(worker: int | None = None) -> None:
    """Remove the job folders of ``worker``, or (None) of every worker that is gone: a worker killed with its
    driver cannot remove its own."""
    import shutil
    import tempfile
    from pathlib import Path
    if not os.path.isdir("/proc/self"):  # no way to tell a live worker here
        return
    for folder in Path(tempfile.gettempdir()).glob(f"{JOB_DIR_PREFIX}*-*"):
        pid = folder.name[len(JOB_DIR_PREFIX):].split("-")[0]
        if pid.isdigit() and (int(pid) == worker if worker else not os.path.exists(f"/proc/{pid}")):
            shutil.rmtree(folder, ignore_errors=True)


def serve_tree() -> None:
    """A job server's first lines: a subreaper that, when its worker dies (or it is sent SIGTERM), ends every
    process under it and exits. The worker is named in SERVER_PARENT_ENV, removed here so that no job inherits it."""
    parent = int(os.environ.pop(SERVER_PARENT_ENV, "0:").split(":")[0] or 0)

    def end(*_):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        end_descendants()
        if parent and os.getppid() != parent:  # the worker is gone: its jobs' folders are nobody's now
            remove_job_dirs(parent)
        os._exit(1)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's (the server ignores it once it serves)
    if parent:
        die_with_parent(signal.SIGTERM, parent=parent)


def _lifeline(owner: tuple[int, int | None] | None) -> int | None:
    """A pidfd that becomes readable when ``owner`` ends; -1 if it has ended already, None if none is given."""
    if owner is None:
        return None
    pid, started = owner
    try:
        fd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        return -1 if start_time(pid) is None else None  # no pidfds here: the parent-death signal must do
    if started is not None and start_time(pid) != started:  # the pid was reused: the owner ended
        os.close(fd)
        return -1
    return fd


def supervise(body, owner: tuple[int, int | None] | None, on_orphaned=None):
    """Run ``body()`` in a child of this (freshly forked) process, which leads a session of its own, then end every
    process left under it (detached ones included) and exit as the child did. If ``owner`` (pid, start time) ends
    first, or SIGTERM comes, end the whole tree and exit at once (``on_orphaned()`` runs first when the owner ended).
    Never returns."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, _end_tree_and_exit)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        with contextlib.suppress(OSError):  # a process group leader already (a test calling it directly)
            os.setsid()
        line = _lifeline(owner)
        if line != -1:
            code = _run_child(body, line)
        elif on_orphaned:
            on_orphaned()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        end_descendants()
        if code < 0:  # die as the child died, so that whoever waits for us sees its signal (no core file)
            import resource
            with contextlib.suppress(Exception):
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            with contextlib.suppress(Exception):
                signal.signal(-code, signal.SIG_DFL)  # SIGKILL and SIGSTOP have no handler to reset
            with contextlib.suppress(Exception):
                os.kill(os.getpid(), -code)
            code = 128 - code
        os._exit(code)


def _run_child(body, line: int | None) -> int:
    """Fork, run ``body`` in the child; the child's exit code (-signal if killed), or 1 if ``line`` fired first."""
    supervisor = os.getpid()
    if (pid := os.fork()) == 0:
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            die_with_parent(signal.SIGKILL, parent=supervisor)
            body()
            code = 0
        except BaseException:  # noqa: BLE001 - said in the job's output, as an uncaught exception would be
            import traceback
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)
    child = os.pidfd_open(pid)
    while True:
        ready = select.select([child] + ([line] if line is not None else []), [], [])[0]
        if child in ready:
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if line in ready:
            return 1


def stop_supervised(pid: int, ended) -> None:
    """Ask the supervisor ``pid`` to end its tree (SIGTERM); past END_GRACE_S kill its session's group outright.
    ``ended(timeout)`` says whether it has ended."""
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    if not ended(END_GRACE_S):
        kill_group(pid)
        ended(None)


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid``, or ``pid`` alone if it has none yet."""
    with contextlib.suppress(OSError):
        if os.getpgid(pid) == pid:
            return os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _pss_mb(pid: int) -> float:
    """Proportional set size in MB, so a tree's sum is what it holds (resident size where smaps is missing)."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    try:
        import psutil
        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:  # noqa: BLE001 - it ended, or psutil cannot see it: nothing held
        return 0.0


def tree_memory_mb(pid: int) -> float:
    """Memory held by process ``pid`` and all its descendants, in MB."""
    try:
        import psutil
        pids = [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except Exception:  # noqa: BLE001 - it ended while being looked at
        pids = [pid]
    return sum(_pss_mb(p) for p in pids)


def watch(pid: int, ended, budget_s: float, memory_gb: float | None) -> tuple[str | None, str | None, float]:
    """Wait for the supervisor ``pid`` to end (``ended(timeout)`` says if it has), ending its tree past
    ``budget_s`` s or ``memory_gb`` (0/None: no cap): (status None, "timeout" or "error" (memory), why, seconds)."""
    t0 = next_memory = time.perf_counter()
    while True:
        if ended(max(0.0, min(POLL_S, budget_s - (time.perf_counter() - t0)))):
            return None, None, time.perf_counter() - t0
        elapsed = time.perf_counter() - t0
        status = why = None
        if elapsed > budget_s:
            status, why = "timeout", f"killed after {elapsed:.1f} s: over its {budget_s:g} s budget"
        elif memory_gb and time.perf_counter() >= next_memory:
            next_memory = time.perf_counter() + MEMORY_POLL_S
            if (held := tree_memory_mb(pid)) > memory_gb * 1024:
                status, why = "error", f"killed: its processes held {held / 1024:.2f} GB, over {memory_gb:g} GB"
        if status:
            stop_supervised(pid, ended)
            return status, why, elapsed
