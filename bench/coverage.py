"""Training coverage: does a benchmark dataset lie inside the data a learned method was trained on?

A learned method declares its training distribution (``Method.training_distribution``). ``training_cloud`` draws
``TRAINING_DRAWS`` datasets from it once, describes each (``datasets.descriptors``) and caches the table on disk,
keyed by the method's name and fingerprint and by the distribution's key. ``coverage`` places one dataset's
descriptors against that cloud in two ways:

- per descriptor: outside when beyond the central ``CENTRAL`` of the training values (widened by ``MARGIN`` of
  that range, so that a value a hair past the last training draw is not called outside);
- overall: the mean distance to its ``K`` nearest training datasets, on robustly standardized descriptors
  (asinh, then median and IQR of the training values), against the same distance of each training dataset to the
  others (outside beyond their ``CENTRAL`` quantile): a combination of in-range values that training never had.

``outside_training`` is either; the descriptors named are those out of range, or where only the overall test
fires, the ``TOP`` that differ most from the nearest training datasets.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache

import numpy as np
import pandas as pd

TRAINING_DRAWS = 300
CENTRAL = 0.99
MARGIN = 0.05
K = 5
TOP = 3


def cloud_path(method, dist, draws: int = TRAINING_DRAWS):
    from datasets.cache import cache_dir
    from datasets.descriptors import DESCRIPTOR_VERSION

    key = json.dumps([method.name or type(method).__name__, method.fingerprint(), dist.key, DESCRIPTOR_VERSION,
                      draws])
    return cache_dir() / "coverage" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.csv"


def training_cloud(method, draws: int = TRAINING_DRAWS) -> pd.DataFrame | None:
    """Descriptors [draws, descriptors] of ``draws`` datasets from ``method``'s declared training distribution
    (cached on disk); None if it declares none. Descriptors it is invariant to are left out."""
    from datasets.descriptors import describe

    dist = method.training_distribution()
    if dist is None:
        return None
    path = cloud_path(method, dist, draws)
    if path.exists():
        cloud = pd.read_csv(path)
    else:
        rows = []
        for k in range(draws):
            ds = dist.draw(k)
            rows.append(describe(ds.X, ds.interventions))
        cloud = pd.DataFrame(rows)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # atomic: two workers may build it at once
        with os.fdopen(fd, "w") as f:
            cloud.to_csv(f, index=False)
        os.replace(tmp, path)
    return cloud.drop(columns=[c for c in dist.invariant if c in cloud])


@lru_cache(maxsize=16)
def cloud_for(name: str, params_json: str) -> pd.DataFrame | None:
    """``training_cloud`` of a registered method with parameters, once per process."""
    from methods import get_method

    return training_cloud(get_method(name, **json.loads(params_json)))


def _transform(df: pd.DataFrame) -> np.ndarray:
    return np.arcsinh(df.to_numpy(dtype=float))


def _robust_scale(T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    med = np.nanmedian(T, axis=0)
    q1, q3 = np.nanpercentile(T, [25, 75], axis=0)
    scale = (q3 - q1) / 1.349
    fallback = np.nanstd(T, axis=0)
    scale = np.where(scale > 1e-9, scale, np.where(fallback > 1e-9, fallback, 0.05))
    return med, scale


def _knn(A: np.ndarray, B: np.ndarray, k: int, same: bool = False) -> np.ndarray:
    """Mean distance of each row of A to its k nearest rows of B (itself excluded when ``same``)."""
    D = np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2))
    if same:
        np.fill_diagonal(D, np.inf)
    return np.sort(D, axis=1)[:, :k].mean(axis=1)


def coverage(values: dict, cloud: pd.DataFrame) -> dict:
    """Where one dataset's descriptors ``values`` lie against a training ``cloud`` (see the module docstring)."""
    cols = [c for c in cloud.columns if np.isfinite(cloud[c].to_numpy(dtype=float)).all()
            and np.isfinite(float(values.get(c, np.nan)))]
    C = cloud[cols]
    x = pd.Series({c: float(values[c]) for c in cols})
    lo_q, hi_q = (1 - CENTRAL) / 2, (1 + CENTRAL) / 2
    lo, hi = C.quantile(lo_q), C.quantile(hi_q)
    pad = MARGIN * (hi - lo)
    below, above = x < lo - pad, x > hi + pad
    out_cols = [c for c in cols if below[c] or above[c]]
    T = _transform(C)
    med, scale = _robust_scale(T)
    Zc = (T - med) / scale
    zx = (np.arcsinh(x.to_numpy(dtype=float)) - med) / scale
    own = _knn(Zc, Zc, K, same=True)
    threshold = float(np.quantile(own, CENTRAL))
    dist = float(_knn(zx[None, :], Zc, K)[0])
    nn_outside = dist > threshold
    pct = {c: float((C[c] < x[c]).mean() + 0.5 * (C[c] == x[c]).mean()) for c in cols}
    named = out_cols
    if nn_outside and not out_cols:  # in range one by one, not together: the ones furthest from its neighbours
        nearest = np.argsort(np.sqrt(((Zc - zx) ** 2).sum(axis=1)))[:K]
        gap = np.abs(zx - Zc[nearest].mean(axis=0))
        named = [cols[i] for i in np.argsort(-gap)[:TOP]]

    def say(c):
        if below[c]:
            return f"{c} {x[c]:.3g} (training {100 * lo_q:g}th percentile {lo[c]:.3g})"
        if above[c]:
            return f"{c} {x[c]:.3g} (training {100 * hi_q:g}th percentile {hi[c]:.3g})"
        return f"{c} {x[c]:.3g} (training percentile {100 * pct[c]:.0f}, but not near any training dataset)"

    return {"outside_training": bool(out_cols or nn_outside), "outside_descriptors": ", ".join(named),
            "outside_detail": "; ".join(say(c) for c in named), "training_nn_distance": dist,
            "training_nn_threshold": threshold, "training_draws": int(len(C))}
