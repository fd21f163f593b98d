"""Training coverage: does a benchmark dataset lie inside the data a learned method was trained on?

A learned method declares its training distribution (``Method.training_distribution``). ``training_cloud`` draws
``TRAINING_DRAWS`` datasets from it once, describes each (``datasets.descriptors``) and caches the table on disk,
keyed by the method's name and fingerprint and by the distribution's key. ``coverage`` places one dataset's
descriptors against that cloud in three ways:

- per descriptor: outside when beyond the central ``CENTRAL`` of the training values, widened on each side by
  ``MARGIN`` of its distance from the median (so that a value a hair past the last draw is not called outside);
- per descriptor, given the rest: its deviation from the ``K_CONDITIONAL`` training datasets nearest on every other
  descriptor exceeds ``CONDITIONAL_FACTOR`` times the ``CENTRAL`` quantile of the same deviation among the training
  datasets themselves (in range, but not for data like these);
- overall: the mean distance to its ``K`` nearest training datasets, on robustly standardized descriptors
  (asinh, then median and IQR of the training values), against the same distance of each training dataset to the
  others (outside beyond their ``CENTRAL`` quantile): a combination of in-range values that training never had.

``outside_training`` is any of the three; the descriptors named are those out of range or unusual given the rest,
or where only the overall test fires, the ``TOP`` with the largest conditional deviation.

The thresholds were set on synthetic data only (tests/test_training_coverage.py: the shift suites against their base
distribution, declared by ``tabscm-seed``), never on real data.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache

import numpy as np
import pandas as pd

TRAINING_DRAWS = 1000
CENTRAL = 0.99
MARGIN = 0.05
K = 5
K_CONDITIONAL = 25
CONDITIONAL_FACTOR = 2.0
FLOOR = 0.1
TOP = 3


def cloud_path(method, dist, draws: int):
    from datasets.cache import cache_dir
    from datasets.descriptors import DESCRIPTOR_VERSION

    key = json.dumps([method.name or type(method).__name__, method.fingerprint(), dist.key, DESCRIPTOR_VERSION,
                      draws])
    return cache_dir() / "coverage" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.csv"


def training_cloud(method, draws: int | None = None) -> pd.DataFrame | None:
    """Descriptors [draws, descriptors] of ``draws`` (default ``TRAINING_DRAWS``) datasets from ``method``'s declared
    training distribution (cached on disk); None if it declares none. Descriptors it is invariant to are left out."""
    from datasets.descriptors import describe

    draws = draws or TRAINING_DRAWS
    dist = method.training_distribution()
    if dist is None:
        return None
    path = cloud_path(method, dist, draws)
    if not path.exists():
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process draws it; the others wait and read it
            if not path.exists():
                cloud = pd.DataFrame([describe(ds.X, ds.interventions) for ds in map(dist.draw, range(draws))])
                fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
                with os.fdopen(fd, "w") as f:
                    cloud.to_csv(f, index=False)
                os.replace(tmp, path)
    cloud = pd.read_csv(path)
    return cloud.drop(columns=[c for c in dist.invariant if c in cloud])


@lru_cache(maxsize=16)
def reference_for(name: str, params_json: str) -> "Reference | None":
    """The prepared ``training_cloud`` of a registered method with parameters (JSON), once per process."""
    from methods import get_method

    cloud = training_cloud(get_method(name, **json.loads(params_json)))
    return None if cloud is None else Reference(cloud)


class Reference:
    """A training cloud prepared for comparisons: robustly standardized descriptors, and the training datasets' own
    nearest-neighbour distances and conditional deviations (each against the rest of the cloud), which calibrate
    the thresholds."""

    def __init__(self, cloud: pd.DataFrame):
        finite = np.isfinite(cloud.to_numpy(dtype=float))
        cols = [c for c, share in zip(cloud.columns, finite.mean(axis=0)) if share >= 0.95]  # defined on (nearly) all
        self.cloud, self.cols = cloud[cols][np.isfinite(cloud[cols].to_numpy(dtype=float)).all(axis=1)], cols
        T = np.arcsinh(self.cloud.to_numpy(dtype=float))
        self.med = np.median(T, axis=0)
        q1, q3 = np.percentile(T, [25, 75], axis=0)
        scale = (q3 - q1) / 1.349
        sd = T.std(axis=0)
        self.scale = np.where(scale > 1e-9, scale, np.where(sd > 1e-9, sd, 0.05))
        self.Z = (T - self.med) / self.scale
        lo_q, hi_q = (1 - CENTRAL) / 2, (1 + CENTRAL) / 2
        self.lo, self.hi = self.cloud.quantile(lo_q), self.cloud.quantile(hi_q)
        self.own_nn = np.array([self._knn(z, i) for i, z in enumerate(self.Z)])
        self.nn_threshold = float(np.quantile(self.own_nn, CENTRAL))
        own = np.abs(np.array([self._conditional(z, i) for i, z in enumerate(self.Z)]))
        self.cond_threshold = np.quantile(own, CENTRAL, axis=0) * CONDITIONAL_FACTOR + 1e-9

    def standardize(self, values: dict) -> np.ndarray:
        x = np.array([float(values.get(c, np.nan)) for c in self.cols])
        return (np.arcsinh(x) - self.med) / self.scale

    def _knn(self, z: np.ndarray, skip: int | None = None) -> float:
        D = np.sqrt(((self.Z - z) ** 2).sum(axis=1))
        if skip is not None:
            D[skip] = np.inf
        return float(np.sort(D)[:K].mean())

    def _conditional(self, z: np.ndarray, skip: int | None = None) -> np.ndarray:
        """Per descriptor: its deviation from the ``K_CONDITIONAL`` training datasets nearest on all the others,
        in their standard deviations (plus ``FLOOR``, for descriptors nearly constant there)."""
        diff2 = (self.Z - z) ** 2
        total = diff2.sum(axis=1)
        out = np.empty(len(self.cols))
        for c in range(len(self.cols)):
            dist = total - diff2[:, c]
            if skip is not None:
                dist[skip] = np.inf
            nb = np.argpartition(dist, K_CONDITIONAL)[:K_CONDITIONAL]
            v = self.Z[nb, c]
            out[c] = (z[c] - v.mean()) / (v.std() + FLOOR)
        return out


def coverage(values: dict, cloud) -> dict:
    """Where one dataset's descriptors ``values`` lie against a training ``cloud`` (a DataFrame or ``Reference``;
    see the module docstring)."""
    ref = cloud if isinstance(cloud, Reference) else Reference(cloud)
    cols = [c for c in ref.cols if np.isfinite(float(values.get(c, np.nan)))]
    x = pd.Series({c: float(values[c]) for c in cols})
    lo, hi, med = ref.lo[cols], ref.hi[cols], ref.cloud[cols].median()
    below, above = x < lo - MARGIN * (med - lo), x > hi + MARGIN * (hi - med)
    z = np.nan_to_num(ref.standardize(values))
    dist = ref._knn(z)
    cond = ref._conditional(z)
    ratio = pd.Series(np.abs(cond) / ref.cond_threshold, index=ref.cols)[cols]
    unusual = ratio > 1
    named = [c for c in cols if below[c] or above[c]]
    named += [c for c in ratio[unusual].sort_values(ascending=False).index if c not in named]
    nn_outside = dist > ref.nn_threshold
    if nn_outside and not named:  # in range one by one, not together: the ones furthest from its neighbours
        named = list(ratio.sort_values(ascending=False).index[:TOP])
    lo_q, hi_q = (1 - CENTRAL) / 2, (1 + CENTRAL) / 2

    def say(c):
        if below[c]:
            return f"{c} {x[c]:.3g} (training {100 * lo_q:g}th percentile {lo[c]:.3g})"
        if above[c]:
            return f"{c} {x[c]:.3g} (training {100 * hi_q:g}th percentile {hi[c]:.3g})"
        pct = float((ref.cloud[c] < x[c]).mean() * 100)
        return f"{c} {x[c]:.3g} (in the training range, percentile {pct:.0f}, but not for data like these otherwise)"

    return {"outside_training": bool(named), "outside_descriptors": ", ".join(named),
            "outside_detail": "; ".join(say(c) for c in named), "training_nn_distance": dist,
            "training_nn_threshold": ref.nn_threshold, "training_draws": int(len(ref.cloud))}
