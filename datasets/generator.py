"""Synthetic structural causal models: graph model, mechanism and noise as small parts.

``generate(spec, seed)`` draws a DAG, a mechanism and noise scale per node, and samples
[n, d] data in topological order. Every draw comes from one ``numpy.random.Generator``
seeded by ``SeedSequence(seed)``; sums are written as elementwise numpy (no BLAS), so the
same spec and seed give byte-identical data in any process on any machine.

Keeping dense 100-node graphs on a sane scale: a node's pre-activation is
``sum_k w_k z_k / sqrt(k)`` (weights scaled by the square root of the in-degree). Linear
mechanisms use the raw parent values (so variance still grows along the causal order, as
in the simulators people benchmark on); nonlinear mechanisms read their parents
standardized (z_k), so a quadratic of a quadratic cannot explode.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import networkx as nx
import numpy as np

from .base import Dataset

GENERATOR_VERSION = 1
MECHANISMS = ("linear", "mlp", "sine", "tanh", "quadratic", "threshold")
NONLINEAR = MECHANISMS[1:]
NOISES = ("gaussian", "laplace", "uniform")
SCALINGS = ("none", "zscore", "iscm")
GRAPHS = ("er", "sf")


@dataclass(frozen=True)
class SCMSpec:
    """Everything that defines a synthetic dataset except its seed.

    Density: give ``edge_prob`` (probability of an edge per unordered pair) or
    ``expected_degree`` (mean number of neighbours per node). ``mechanism`` is one name or a
    tuple of names, drawn per node. ``intervention_share``: share of rows with a
    do-intervention on one of ``n_targets`` random target nodes.
    """

    d: int = 10
    n: int = 500
    graph: str = "er"
    edge_prob: float | None = None
    expected_degree: float | None = None
    mechanism: str | tuple[str, ...] = "linear"
    weight_range: tuple[float, float] = (0.5, 2.0)
    noise: str = "gaussian"
    noise_scale: tuple[float, float] = (0.5, 1.0)
    intervention_share: float = 0.0
    n_targets: int | None = None
    scaling: str = "none"
    max_rows: int = 2000

    def __post_init__(self):
        mechs = (self.mechanism,) if isinstance(self.mechanism, str) else tuple(self.mechanism)
        object.__setattr__(self, "mechanism", mechs[0] if len(mechs) == 1 else mechs)
        bad = [m for m in mechs if m not in MECHANISMS]
        checks = [
            (self.d >= 2, f"d must be >= 2, got {self.d}"),
            (self.n >= 3, f"n must be >= 3, got {self.n}"),
            (self.graph in GRAPHS, f"graph must be one of {GRAPHS}, got {self.graph!r}"),
            (not bad, f"unknown mechanism(s) {bad}; known: {MECHANISMS}"),
            (self.noise in NOISES, f"noise must be one of {NOISES}, got {self.noise!r}"),
            (self.scaling in SCALINGS, f"scaling must be one of {SCALINGS}, got {self.scaling!r}"),
            (self.edge_prob is None or self.expected_degree is None,
             "give edge_prob or expected_degree, not both (neither: expected degree 2)"),
            (0.0 <= self.intervention_share < 1.0, "intervention_share must be in [0, 1)"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(f"SCMSpec: {msg}")

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return (self.mechanism,) if isinstance(self.mechanism, str) else self.mechanism

    def to_dict(self) -> dict:
        out = asdict(self)
        out["mechanism"] = list(self.mechanisms) if len(self.mechanisms) > 1 else self.mechanism
        out["weight_range"], out["noise_scale"] = list(self.weight_range), list(self.noise_scale)
        return out


# ---------------------------------------------------------------- graphs

def sample_dag(rng: np.random.Generator, spec: SCMSpec) -> np.ndarray:
    """[d, d] int8 DAG, A[i, j] = 1 for i -> j, node indices randomly permuted."""
    d = spec.d
    p = spec.edge_prob if spec.edge_prob is not None else min(1.0, (spec.expected_degree or 2.0) / (d - 1))
    if spec.graph == "er":
        A = np.triu(rng.random((d, d)) < p, k=1)
    else:  # scale-free: Barabasi-Albert, edges from older to newer node (hubs are causes)
        m = max(1, min(d - 1, int(round(p * (d - 1) / 2))))
        g = nx.barabasi_albert_graph(d, m, seed=int(rng.integers(2**31)))
        A = np.zeros((d, d), dtype=bool)
        for u, v in g.edges():
            A[min(u, v), max(u, v)] = True
    perm = rng.permutation(d)
    return A[np.ix_(perm, perm)].astype(np.int8)


def topological_order(A: np.ndarray) -> list[int]:
    return list(nx.topological_sort(nx.from_numpy_array(A, create_using=nx.DiGraph)))


# ---------------------------------------------------------------- noise and mechanisms

def sample_noise(rng: np.random.Generator, kind: str, n: int, scale: float) -> np.ndarray:
    """[n] noise with standard deviation ``scale``."""
    if kind == "gaussian":
        e = rng.standard_normal(n)
    elif kind == "laplace":
        e = rng.laplace(0.0, 1.0 / np.sqrt(2.0), n)
    else:
        e = rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), n)
    return scale * e


def _weights(rng, k, lo, hi):
    return rng.uniform(lo, hi, k) * rng.choice([-1.0, 1.0], k)


def _standardize(Z: np.ndarray) -> np.ndarray:
    sd = Z.std(axis=0)
    return (Z - Z.mean(axis=0)) / np.where(sd > 1e-12, sd, 1.0)


def _rowsum(Z: np.ndarray, w: np.ndarray) -> np.ndarray:
    return (Z * w).sum(axis=1)


def apply_mechanism(rng: np.random.Generator, kind: str, P: np.ndarray, spec: SCMSpec) -> np.ndarray:
    """Noise-free value [n] of a node from its parents P [n, k] (k >= 1)."""
    k = P.shape[1]
    lo, hi = spec.weight_range
    w = _weights(rng, k, lo, hi) / np.sqrt(k)
    if kind == "linear":
        return _rowsum(P, w)
    u = _rowsum(_standardize(P), w)
    if kind == "sine":
        return np.sin(u)
    if kind == "tanh":
        return np.tanh(u)
    if kind == "quadratic":  # on a standardized u, so that chains of squares stay O(1)
        return _standardize(u[:, None])[:, 0] ** 2
    if kind == "threshold":
        return (u > rng.uniform(-0.5, 0.5)).astype(np.float64)
    # mlp: one hidden layer of 16 ReLU units on the standardized parents
    h = 16
    W1 = rng.standard_normal((k, h)) / np.sqrt(k)
    b1 = rng.uniform(-0.5, 0.5, h)
    Zp = _standardize(P)
    H = np.maximum(0.0, sum(Zp[:, [i]] * W1[i] for i in range(k)) + b1)
    return _rowsum(H, _weights(rng, h, lo, hi) / np.sqrt(h))


# ---------------------------------------------------------------- sampling

def generate(spec: SCMSpec, seed: int, name: str | None = None, meta: dict | None = None) -> Dataset:
    """Sample one dataset. Same spec and seed, same bytes."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    d, n = spec.d, min(spec.n, spec.max_rows)
    A = sample_dag(rng, spec)
    mechs = spec.mechanisms
    node_mech = [mechs[int(rng.integers(len(mechs)))] for _ in range(d)]
    scales = rng.uniform(*spec.noise_scale, d)

    mask = np.zeros((n, d), dtype=bool)
    if spec.intervention_share > 0:
        n_t = spec.n_targets or max(1, d // 10)
        targets = rng.choice(d, size=min(n_t, d), replace=False)
        rows = rng.random(n) < spec.intervention_share
        mask[rows, rng.choice(targets, size=n)[rows]] = True
    do_values = rng.uniform(2.0, 4.0, (n, d)) * rng.choice([-1.0, 1.0], (n, d))

    X = np.zeros((n, d))
    for j in topological_order(A):
        parents = np.flatnonzero(A[:, j])
        x = sample_noise(rng, spec.noise, n, scales[j])
        if len(parents):
            x = x + apply_mechanism(rng, node_mech[j], X[:, parents], spec)
        rows = mask[:, j]
        if rows.any():  # do(x_j = v): v a few observational standard deviations from the mean
            mu, sd = x[~rows].mean(), x[~rows].std() or 1.0
            x[rows] = mu + sd * do_values[rows, j]
        if spec.scaling == "iscm":
            x = _standardize(x[:, None])[:, 0]
        X[:, j] = x
    if spec.scaling == "zscore":
        X = _standardize(X)
    if not np.all(np.isfinite(X)):
        raise FloatingPointError(f"generator produced non-finite values for {spec} seed {seed}")

    info = {"generator": spec.to_dict(), "generator_version": GENERATOR_VERSION, "seed": int(seed),
            "node_mechanisms": node_mech, "noise": spec.noise}
    info.update(meta or {})
    return Dataset(name or f"scm-{seed}", X, A, mask if spec.intervention_share > 0 else None,
                   meta=info)
