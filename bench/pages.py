"""Which of the job server's memory pages a job writes, so that a spare job process can copy
them before its job starts.

A job's process is a fork of the job server (``bench.execute``): it shares the server's pages
until it writes one, and then the kernel copies that page on the spot (a copy-on-write fault).
A PC fit at d = 50 took about 3,100 such faults in a fresh process and under 400 in a warm one,
and was 15-20 ms slower (3 % of the job). The pages a method writes are much the same from one
job to the next (reference counts of its code and module objects, the allocator's free lists),
so the first jobs of each method in a worker report them (``written_pages``), and every spare
process forked after that copies them while it waits (``populate``: one ``madvise`` per run of
pages, 6-8 ms, off the job's path). With them copied ahead the fit was 3 ms slower than in a
warm process instead of 20 (a server with PC's libraries), or 8 instead of 15 (with PC's, GES's
and NOTEARS'). Memory contents are unchanged: a job computes exactly what it would have; only
when the kernel copies the pages differs.

Linux only (``/proc/self/pagemap`` and ``MADV_POPULATE_WRITE``, kernel 5.14); elsewhere every
function here does nothing.
"""
from __future__ import annotations

import os

import numpy as np

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MADV_POPULATE_WRITE = 23
PRESENT_AND_OWN = np.uint64(1 << 63 | 1 << 56)  # pagemap: page present, mapped exclusively
MAX_PAGES = 16384            # at most 64 MiB (4 KiB pages) copied ahead per spare process
MAX_RANGE = 4 << 30          # larger mappings are reservations, not heap: not scanned
SERVER_RANGES = np.zeros((0, 2), dtype=np.uint64)  # the job server's writable private mappings


def writable_ranges() -> np.ndarray:
    """[start, end) of this process's writable private mappings (heap, arenas, libraries' data)."""
    try:
        with open("/proc/self/maps") as f:
            lines = f.read().splitlines()
    except OSError:
        return np.zeros((0, 2), dtype=np.uint64)
    ranges = []
    for line in lines:
        span, perms = line.split(maxsplit=2)[:2]
        if perms[:2] == "rw" and perms[3] == "p":
            lo, hi = (int(a, 16) for a in span.split("-"))
            if hi - lo <= MAX_RANGE:
                ranges.append((lo, hi))
    return np.array(ranges, dtype=np.uint64).reshape(-1, 2)


def remember_server() -> None:
    """Record the job server's writable mappings; called once, at the end of its warm-up, so
    that every process forked from it knows which pages it shares with the server."""
    global SERVER_RANGES
    SERVER_RANGES = writable_ranges()


def written_pages(exclude: np.ndarray | None = None) -> np.ndarray:
    """Addresses of the job server's pages this process (a fork of it) holds a copy of: those
    it wrote, and those a spare copied ahead (``exclude`` them). Empty where /proc cannot say.

    A page of the server's mappings is this process's own (bit 56 of its pagemap entry: mapped
    exclusively) once the kernel copied it, or allocated it, for a write here."""
    found = []
    try:
        fd = os.open("/proc/self/pagemap", os.O_RDONLY)
    except OSError:
        return np.zeros(0, dtype=np.uint64)
    try:
        for lo, hi in SERVER_RANGES.tolist():
            entries = np.frombuffer(os.pread(fd, (hi - lo) // PAGE * 8, lo // PAGE * 8), dtype=np.uint64)
            own = np.flatnonzero((entries & PRESENT_AND_OWN) == PRESENT_AND_OWN)
            if own.size:
                found.append(np.uint64(lo) + own.astype(np.uint64) * np.uint64(PAGE))
    except OSError:
        return np.zeros(0, dtype=np.uint64)
    finally:
        os.close(fd)
    pages = np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)
    return pages if exclude is None else np.setdiff1d(pages, exclude, assume_unique=True)


def populate(pages: np.ndarray) -> int:
    """Copy ``pages`` of this process now, as a write to each would (contents unchanged); return
    how many. Pages no longer mapped, or a kernel without ``MADV_POPULATE_WRITE``, are skipped."""
    pages = np.unique(np.asarray(pages, dtype=np.uint64))[:MAX_PAGES]
    if not pages.size:
        return 0
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
    except (OSError, AttributeError):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    breaks = np.flatnonzero(np.diff(pages) != PAGE) + 1  # runs of adjacent pages: one call each
    done = 0
    for run in np.split(pages, breaks):
        if madvise(int(run[0]), int(run.size) * PAGE, MADV_POPULATE_WRITE) == 0:
            done += run.size
        elif ctypes.get_errno() == 22 and not done:  # EINVAL at once: this kernel has no populate
            return 0
    return int(done)
