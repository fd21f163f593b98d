"""Job results on disk: DIR/jobs/<key>.json with <key>.npz (scores, graph) beside it.

Both are written under temporary names that do not end in .json/.npz and renamed into place,
arrays first: a job whose .json exists is complete, whatever happened to the process.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np


def jobs_dir(out: str | Path) -> Path:
    return Path(out) / "jobs"


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
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
    d = jobs_dir(out)
    records = []
    for p in sorted(d.glob("*.json")) if d.exists() else []:
        records.append(json.loads(p.read_text()))
    return records


def load_arrays(out: str | Path, key: str) -> dict[str, np.ndarray] | None:
    p = jobs_dir(out) / f"{key}.npz"
    if not p.exists():
        return None
    with np.load(p) as z:
        return {k: z[k] for k in z.files}
