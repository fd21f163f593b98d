"""Process hygiene: each job is a process group that ends whole, and every process dies with its parent.

The worker kills a job's group past its time or memory budget (the whole tree's), a watchdog in the group kills
it when the job's process ends, and a killed driver takes its workers, job servers and jobs down with it."""

import contextlib
import os
import signal
import time

POLL_S = 0.05      # how often a watched job is checked for its end
MEMORY_POLL_S = 0.25  # how often its process tree's memory is read


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send ``sig`` to this process when its parent ends (elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG


def start_group() -> None:
    """Lead a new session and process group, with a watchdog in it that kills the group once this process ends."""
    os.setsid()
    me = os.getpid()
    if os.fork() == 0:
        try:
            signal.signal(signal.SIGTERM, lambda *_: os.killpg(0, signal.SIGKILL))
            die_with_parent(signal.SIGTERM)
            if os.getppid() != me:  # the job ended before the line above took effect
                os.killpg(0, signal.SIGKILL)
            while True:
                signal.pause()
        finally:
            os._exit(0)


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (a job's), or ``pid`` alone if it has none yet."""
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
    """Wait for ``pid`` to end (``ended(timeout)`` says if it has), killing its group past ``budget_s`` s or
    ``memory_gb`` (0/None: no cap): (status None, "timeout" or "error" (memory), why, seconds)."""
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
            kill_group(pid)
            ended(None)
            return status, why, elapsed
