"""Job results on disk: DIR/jobs/<key>.json with <key>.npz (scores, graph) beside it, both renamed into place,
arrays first, so a job whose .json exists is complete; files are 0644, so a folder can be shared. One run at a
time writes to a folder: ``folder_lock`` holds an advisory lock the kernel drops with its process."""

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

FILE_MODE = 0o644


class FolderBusy(RuntimeError):
    """Another run is writing to this results folder."""


def jobs_dir(out: str | Path) -> Path:
    return Path(out) / "jobs"


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(o):
    return o.item() if isinstance(o, np.generic) else o.tolist() if isinstance(o, np.ndarray) else str(o)


def write_result(out: str | Path, record: dict, arrays: dict[str, np.ndarray] | None) -> Path:
    d = jobs_dir(out)
    d.mkdir(parents=True, exist_ok=True)
    if arrays:
        _atomic_write(d / f"{record['key']}.npz", lambda f: np.savez_compressed(f, **arrays))
    body = json.dumps(record, indent=1, sort_keys=True, default=_jsonable).encode()
    _atomic_write(path := d / f"{record['key']}.json", lambda f: f.write(body))
    return path


def finished_keys(out: str | Path) -> set[str]:
    return {p.stem for p in jobs_dir(out).glob("*.json")}


def load_records(out: str | Path) -> list[dict]:
    """Every job file of a folder, superseded ones included."""
    return [json.loads(p.read_text()) for p in sorted(jobs_dir(out).glob("*.json"))]


def current_records(out: str | Path) -> tuple[list[dict], list[dict]]:
    """(current, superseded): the newest record of each job identity, and the older ones it replaced."""
    from .jobs import identity
    newest, superseded = {}, []
    for r in sorted(load_records(out), key=lambda r: r.get("started", 0)):
        if (old := newest.get(identity(r))) is not None:
            superseded.append(old)
        newest[identity(r)] = r
    return list(newest.values()), superseded


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
    _atomic_write(path, lambda f: f.write(json.dumps(runs, indent=1).encode()))


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
