"""On-disk cache of generated datasets, keyed by generator spec and seed.

Deleting the cache changes no result: the same spec and seed regenerate identical bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from .base import Dataset


def cache_dir() -> Path:
    root = os.environ.get("TABSCM_BENCH_CACHE")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tabscm-bench"


def spec_key(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def cache_path(payload: dict) -> Path:
    """Where the dataset for ``payload`` (spec, seed, name, meta, generator version) is stored."""
    return cache_dir() / f"{spec_key(payload)}.npz"


def cached(payload: dict, make: Callable[[], Dataset]) -> Dataset:
    """Return the dataset stored for ``payload``, or make, store and return it."""
    path = cache_path(payload)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                return Dataset(
                    name=str(z["name"]), X=z["X"], graph=z["graph"],
                    interventions=z["interventions"] if z["has_int"] else None,
                    variables=tuple(z["variables"].tolist()), meta=meta)
        except Exception:  # a torn or stale file: regenerate
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
    ds = make()
    # what a later load reads back: JSON types, sorted keys (so first and later loads are equal)
    ds.meta = json.loads(json.dumps(ds.meta, sort_keys=True, default=str))
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, name=ds.name, X=ds.X, graph=ds.graph,
                     interventions=ds.interventions if ds.interventions is not None else np.zeros((0, 0), bool),
                     has_int=ds.interventions is not None, variables=np.array(ds.variables),
                     meta=json.dumps(ds.meta, sort_keys=True))
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:  # a read-only or full cache costs speed, never a result
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return ds
