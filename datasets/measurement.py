"""How a dataset is measured, apart from how it is caused: the layer between an SCM's variables and the table.

Real measurements are rarely the SCM's variables themselves. An assay or sensor passes each one through an
unknown monotone response (the post-nonlinear model of Zhang & Hyvärinen 2009: saturating, exponential,
power), adds its own noise, produces a few per cent of outlying rows, and some causes are never measured
(hidden confounders; the truth is then the DAG among the observed variables). ``generate`` applies this
layer after the SCM (``SCMSpec.distortion``, ``measurement_noise``, ``outliers``, ``hidden``) from a stream
of its own, so the same seed gives the same SCM with and without it (what the ``distorted`` and
``undistorted`` suites rely on).
"""
from __future__ import annotations

import numpy as np

#: Monotone responses drawn per column (``identity`` leaves a column as it is).
DISTORTIONS = ("identity", "exp", "tanh", "cube", "log")


def stream(seed: int) -> np.random.Generator:
    """The measurement layer's own stream: no SCM draw depends on it."""
    return np.random.default_rng([int(seed), 11])


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 1e-12 else 1.0)


def distort(rng: np.random.Generator, X: np.ndarray, pool: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Each column standardized, then through a monotone response drawn from ``pool``: exp(a z) with a in
    U(0.5, 1.5) (skewed, like concentrations), tanh(a z) with a in U(0.5, 2) (saturating), sign(z)|z|^p with
    p in U(2, 3) (power: heavy tails), sign(z) log(1 + a|z|) with a in U(1, 3) (compressive). Returns
    (distorted X, the kind per column)."""
    X = np.array(X, dtype=np.float64)
    kinds = [str(pool[int(rng.integers(len(pool)))]) for _ in range(X.shape[1])]
    for j, kind in enumerate(kinds):
        a = rng.uniform(0.0, 1.0)  # one draw per column whatever the kind, so columns keep their streams
        if kind == "identity":
            continue
        z = _z(X[:, j])
        if kind == "exp":
            X[:, j] = np.exp((0.5 + a) * z)
        elif kind == "tanh":
            X[:, j] = np.tanh((0.5 + 1.5 * a) * z)
        elif kind == "cube":
            X[:, j] = np.sign(z) * np.abs(z) ** (2.0 + a)
        else:
            X[:, j] = np.sign(z) * np.log1p((1.0 + 2.0 * a) * np.abs(z))
    return X, kinds


def add_noise(rng: np.random.Generator, X: np.ndarray, level: float) -> np.ndarray:
    """Additive Gaussian measurement noise, sd ``level`` times each column's sd (it is not passed on to
    children: it happens at measurement, after the SCM)."""
    return X + level * X.std(axis=0) * rng.standard_normal(X.shape)


def add_outliers(rng: np.random.Generator, X: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """A share of rows made outlying: in each such row, every column with probability 1/2 moves by
    ±U(4, 8) of its sd (a failed well, a saturated detector). Returns (X, the outlying rows' indices)."""
    X = np.array(X, dtype=np.float64)
    n, d = X.shape
    rows = np.flatnonzero(rng.random(n) < share)
    hit = rng.random((len(rows), d)) < 0.5
    step = rng.uniform(4.0, 8.0, (len(rows), d)) * rng.choice([-1.0, 1.0], (len(rows), d))
    X[rows] += np.where(hit, step, 0.0) * X.std(axis=0)
    return X, rows


def hidden_nodes(rng: np.random.Generator, A: np.ndarray, count: int) -> np.ndarray:
    """``count`` nodes to leave unmeasured, confounders first: drawn among the nodes with at least two
    children (a hidden common cause), then among the rest if there are too few."""
    kids = A.sum(axis=1)
    first = rng.permutation(np.flatnonzero(kids >= 2))
    rest = rng.permutation(np.flatnonzero(kids < 2))
    return np.sort(np.concatenate([first, rest])[:count]).astype(int)
