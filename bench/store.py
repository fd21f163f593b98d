"""Job results on disk: DIR/jobs/<key>.json with <key>.npz (scores, graph) beside it.

Both are written under temporary names that do not end in .json/.npz and renamed into place,
arrays first: a job whose .json exists is complete, whatever happened to the process. Files are
readable by others (0644), so a results folder can be shared. One run at a time writes to a
folder: ``folder_lock`` holds an advisory lock that the kernel drops with its process, so a
killed run never leaves it stuck.
"""
from __future__ import annotations

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


def write_result(out: str | Path, record: dict, arrays: dict[str, np.ndarray] | None) -> Path:
    d = jobs_dir(out)
    d.mkdir(parents=True, exist_ok=True)
    key = record["key"]
    if arrays:
        _atomic_write(d / f"{key}.npz", lambda f: np.savez_compressed(f, **arrays))
    body = json.dumps(record, indent=1, sort_keys=True, default=_jsonable).encode()
    path = d / f"{key}.json"
    _atomic_write(path, lambda f: f.write(body))
    return path


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def finished_keys(out: str | Path) -> set[str]:
    d = jobs_dir(out)
    return {p.stem for p in d.glob("*.json")} if d.exists() else set()


def load_records(out: str | Path) -> list[dict]:
    """Every job file of a folder, superseded ones included."""
    d = jobs_dir(out)
    return [json.loads(p.read_text()) for p in (sorted(d.glob("*.json")) if d.exists() else [])]


def current_records(out: str | Path) -> tuple[list[dict], list[dict]]:
    """(current, superseded): for each job identity (method, parameters, dataset, seed) the
    newest record, and the older ones a newer version of the code or data replaced."""
    from .jobs import identity

    newest: dict[str, dict] = {}
    superseded = []
    for r in sorted(load_records(out), key=lambda r: r.get("started", 0)):
        old = newest.get(identity(r))
        if old is not None:
            superseded.append(old)
        newest[identity(r)] = r
    return list(newest.values()), superseded


def load_arrays(out: str | Path, key: str) -> dict[str, np.ndarray] | None:
    p = jobs_dir(out) / f"{key}.npz"
    if not p.exists():
        return None
    with np.load(p) as z:
        return {k: z[k] for k in z.files}


def append_run(out: str | Path, run: dict) -> None:
    """Add one run's description to DIR/run.json, a list of every run made in the folder."""
    path = Path(out) / "run.json"
    runs = []
    with contextlib.suppress(OSError, ValueError):
        runs = json.loads(path.read_text())
        runs = runs if isinstance(runs, list) else [runs]  # a folder from before kept one run only
    runs.append(run)
    _atomic_write(path, lambda f: f.write(json.dumps(runs, indent=1).encode()))


@contextlib.contextmanager
def folder_lock(out: str | Path):
    """Hold DIR/.lock for the block; FolderBusy (one line) if another process holds it."""
    import fcntl

    path = Path(out) / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
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
