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


def cached(payload: dict, make: Callable[[], Dataset]) -> Dataset:
    """Return the dataset stored for ``payload``, or make, store and return it."""
    path = cache_dir() / f"{spec_key(payload)}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                return Dataset(
                    name=str(z["name"]), X=z["X"], graph=z["graph"],
                    interventions=z["interventions"] if z["has_int"] else None,
                    variables=tuple(z["variables"].tolist()), meta=meta)
        except Exception:  # a torn or stale file: regenerate
            path.unlink(missing_ok=True)
    ds = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, name=ds.name, X=ds.X, graph=ds.graph,
                 interventions=ds.interventions if ds.interventions is not None else np.zeros((0, 0), bool),
                 has_int=ds.interventions is not None, variables=np.array(ds.variables),
                 meta=json.dumps(ds.meta, sort_keys=True, default=str))
    os.replace(tmp, path)
    return ds
