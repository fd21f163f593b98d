"""Job results on disk: DIR/jobs/<key>.json with <key>.npz (scores, graph) beside it, both renamed into place,
arrays first, so a job whose .json exists is complete; files are 0644, so a folder can be shared. One run at a
time writes to a folder: ``folder_lock`` holds an advisory lock the kernel drops with its process. Of several records
of one job, the tables show the one made by the code the reader's tree holds (``current_records``)."""

import contextlib
import json
import os
from pathlib import Path

import numpy as np

from .atomic import FILE_MODE, write_atomic


class FolderBusy(RuntimeError):
    """Another run is writing to this results folder."""


def jobs_dir(out: str | Path) -> Path:
    return Path(out) / "jobs"


def _jsonable(o):
    return o.item() if isinstance(o, np.generic) else o.tolist() if isinstance(o, np.ndarray) else str(o)


def write_result(out: str | Path, record: dict, arrays: dict[str, np.ndarray] | None) -> Path:
    d = jobs_dir(out)
    d.mkdir(parents=True, exist_ok=True)
    if arrays:
        write_atomic(d / f"{record['key']}.npz", lambda f: np.savez_compressed(f, **arrays))
    body = json.dumps(record, indent=1, sort_keys=True, default=_jsonable).encode()
    write_atomic(path := d / f"{record['key']}.json", lambda f: f.write(body))
    return path


def finished_keys(out: str | Path) -> set[str]:
    return {p.stem for p in jobs_dir(out).glob("*.json")}


def load_records(out: str | Path) -> list[dict]:
    """Every job file of a folder, superseded ones included."""
    return [json.loads(p.read_text()) for p in sorted(jobs_dir(out).glob("*.json"))]


def code_now(method: str, params: dict) -> dict | None:
    """The code digests (method code, its files such as a checkpoint, scoring code) that a job of this method
    setting gets from the tree this process runs, as ``bench.jobs.build_jobs`` computes them; None where the method
    cannot be loaded here (a class in a user's script, a package not installed)."""
    from methods import get_method, method_class
    from .jobs import SCORING_MODULES, code_digest, method_code
    try:
        cls = method_class(method)
        if cls.__module__ in ("__main__", "__mp_main__"):  # its digest is of the script run, not of this process
            return None
        return {"method": method_code(cls), "files": get_method(method, **(params or {})).fingerprint(),
                "scoring": code_digest(*SCORING_MODULES)}
    except Exception:  # noqa: BLE001 - whatever stops a method from loading, its code cannot be compared
        return None


def current_records(out: str | Path) -> tuple[list[dict], list[dict]]:
    """(current, superseded). Of the records of one job (method setting, dataset, seed), the current one was made
    by the code this tree holds now (its code digests are ``code_now``'s; the newest if several are); the others
    are superseded, kept for the audit. A job none of whose records was made by this code has no current record:
    all of them are superseded (``stale_jobs`` names them). Where the code cannot be compared (the method does not
    load here, or records from before code digests), the newest record is current."""
    from .jobs import identity
    by_job: dict[str, list[dict]] = {}
    for r in sorted(load_records(out), key=lambda r: r.get("started", 0)):
        by_job.setdefault(identity(r), []).append(r)
    codes: dict[str, dict | None] = {}
    current, superseded = [], []
    for records in by_job.values():
        setting = json.dumps([records[0].get("method"), records[0].get("params")], sort_keys=True, default=str)
        if setting not in codes:
            codes[setting] = code_now(records[0].get("method"), records[0].get("params"))
        now = codes[setting]
        comparable = now is not None and any("code" in r for r in records)
        matching = [r for r in records if r.get("code") == now] if comparable else records
        if matching:
            current.append(matching[-1])
        superseded += [r for r in records if not (matching and r is matching[-1])]
    return current, superseded


def stale_jobs(current: list[dict], superseded: list[dict]) -> dict[str, int]:
    """Jobs with records but none from the current code, counted by method setting (label)."""
    from .jobs import identity
    have = {identity(r) for r in current}
    stale = {identity(r): r.get("label") or r.get("method") for r in superseded if identity(r) not in have}
    counts: dict[str, int] = {}
    for label in stale.values():
        counts[str(label)] = counts.get(str(label), 0) + 1
    return dict(sorted(counts.items()))


def prune_superseded(out: str | Path) -> list[str]:
    """Delete the files of superseded records whose job has a current one (a rerun after a method's code or
    checkpoint changed), under the folder's lock so no run writes meanwhile; the keys removed. A stale job (no
    record from this code) keeps its records: they are all the folder has of it, and the report names them."""
    from .jobs import identity
    with folder_lock(out):
        current, superseded = current_records(out)
        have = {identity(r) for r in current}
        gone = sorted(r["key"] for r in superseded if identity(r) in have)  # one record per file: keys differ
        for key in gone:
            (jobs_dir(out) / f"{key}.json").unlink()  # the .json first: a job without one is not finished
            (jobs_dir(out) / f"{key}.npz").unlink(missing_ok=True)
    return gone


def load_arrays(out: str | Path, key: str) -> dict[str, np.ndarray] | None:
    if not (p := jobs_dir(out) / f"{key}.npz").exists():
        return None
    with np.load(p) as z:
        return {k: z[k] for k in z.files}


def append_run(out: str | Path, run: dict) -> None:
    """Add one run's description to DIR/run.json, a list of every run made in the folder."""
    path, runs = Path(out) / "run.json", []
    with contextlib.suppress(OSError, ValueError):
        runs = json.loads(path.read_text())
        runs = runs if isinstance(runs, list) else [runs]  # a folder from before kept one run only
    runs.append(run)
    write_atomic(path, lambda f: f.write(json.dumps(runs, indent=1).encode()))


@contextlib.contextmanager
def folder_lock(out: str | Path):
    """Hold DIR/.lock for the block; FolderBusy (one line) if another process holds it."""
    import fcntl
    fd = os.open(Path(out) / ".lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise FolderBusy(f"{out}: another bench run (pid {holder}) is writing to this folder; "
                             f"wait for it or use another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def lock_holder(out: str | Path) -> str | None:
    """The pid of the run holding ``folder_lock`` on ``out`` now, else None. Read from /proc/locks where there is one,
    so that looking never takes the lock (a run starting at that moment would be refused); elsewhere, a shared
    lock tried and released at once."""
    import fcntl
    path = Path(out) / ".lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        if os.path.exists("/proc/locks"):
            inode = os.fstat(fd).st_ino
            with open("/proc/locks") as f:  # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
                held = any(len(p) > 5 and p[1] == "FLOCK" and p[5].rsplit(":", 1)[-1] == str(inode)
                           for p in (line.split() for line in f))
            return pid if held else None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return pid
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
