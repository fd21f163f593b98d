"""Synthetic structural causal models: graph model, mechanism and noise as small parts.

``generate(spec, seed)`` draws a DAG, a mechanism and noise scale per node, and samples
[n, d] data in topological order. Every draw descends from ``SeedSequence(seed)``, split
into two child streams: the *model* stream (graph, node permutation, mechanisms, weights,
noise scales, intervention targets) and the *data* stream (noise, which rows are
intervened, the values they are set to). The model stream never depends on ``n`` or on
the scaling, so the same seed gives the same SCM raw, z-scored or iSCM-standardized and
at every sample size (what the ``default`` and ``sweep-n`` suites rely on). Sums are written
as elementwise numpy (no BLAS), so the same spec and seed give byte-identical data in any
process.

Keeping dense 100-node graphs on a sane scale: a node's pre-activation is
``sum_k w_k z_k / sqrt(k)`` (weights ±U(lo, hi) scaled by the square root of the
in-degree). Linear mechanisms use the raw parent values (so variance still grows along the
causal order, as in the simulators people benchmark on; with random signs it stays within
a few tens even at d=100, edge probability 0.9); nonlinear mechanisms read their parents
standardized (z_k), and the quadratic squares a standardized pre-activation clipped to
[-3, 3], so chains of squares cannot grow heavy tails (without the clip one outlier row
reached 2e3 at d=100). ``tests/test_generator.py`` checks finiteness and scale at d=100.

iSCM (``scaling="iscm"``, Ormaniec et al., ICLR 2025, "Standardizing structural causal models"):
every node is standardized as soon as it is sampled. A linear node follows the paper:
``x_j = sum_k w_k x_k + e_j`` over its standardized parents, weights ±U(lo, hi) *not* divided by
sqrt(in-degree), unit-variance noise at every node, then x_j standardized. The sqrt(in-degree)
division (kept for raw data) is what broke the control: with standardized parents it stops a
node's explained variance from growing with its number of parents, while a root stays well
explained by its children, so R^2 *fell* along the causal order (r2sort oriented 35-38% of
edges at d=20, expected degree 3-4, over 160 graphs); the per-node noise scale only added
spread. Now r2sort sits near chance (``tests/test_generator.py``). Nonlinear nodes are
unchanged by iSCM apart from the standardization (their parents are standardized anyway).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import networkx as nx
import numpy as np

from .base import Dataset
from . import measurement
from .measurement import DISTORTIONS

GENERATOR_VERSION = 3  # 2: model/data streams split, quadratic clipped; 3: linear iSCM as in the paper
#                         (raw and z-scored data unchanged from 2, byte for byte)
MECHANISMS = ("linear", "mlp", "sine", "tanh", "quadratic", "threshold")
NONLINEAR = MECHANISMS[1:]
NOISES = ("gaussian", "laplace", "uniform", "student")
INTERVENTIONS = ("do", "shift", "soft")
SCALINGS = ("none", "zscore", "iscm")
GRAPHS = ("er", "sf")
#: Fields added after the first specs, at the value that leaves the data as before (to_dict leaves them out
#: there, so earlier specs keep their dicts, cache keys and meta).
OPTIONAL_FIELDS = {"scale_growth": False, "distortion": [], "measurement_noise": 0.0, "outliers": 0.0, "hidden": 0,
                   "regimes": 1}


@dataclass(frozen=True)
class SCMSpec:
    """Everything that defines a synthetic dataset except its seed.

    Density: give ``edge_prob`` (probability of an edge per unordered pair) or
    ``expected_degree`` (mean number of neighbours per node). ``mechanism`` is one name or a
    tuple of names, drawn per node. ``noise``: the family (``student``: t with 3 degrees of
    freedom, heavy-tailed); ``heteroscedastic``: a node's noise sd varies with its parents
    (a factor exp(tanh(v)), v a random standardized combination of them).
    ``intervention_share``: share of rows with an intervention on one of ``n_targets`` random
    target nodes, of kind ``intervention``: ``do`` sets the node to a value (its parents no longer
    act), ``shift`` adds a constant to it, ``soft`` scales its parents' effect down to 0-50 % and
    shifts it (an inhibitor or activator, as in Sachs et al.: the parents still act).
    ``scale_growth``: a nonlinear node's mechanism output is rescaled to the standard deviation of
    the linear combination of its raw parents (see ``apply_mechanism``), so raw variance grows along
    the causal order as in a linear SCM; False (default) keeps every earlier spec's bytes.

    How the SCM is measured (``datasets.measurement``; every default leaves the data as they were):
    ``distortion``, a pool of monotone responses drawn per column (``identity``, ``exp``, ``tanh``,
    ``cube``, ``log``); ``measurement_noise``, additive noise in units of a column's sd; ``outliers``,
    the share of outlying rows; ``hidden``, nodes of the SCM left unmeasured (``d`` counts the measured
    ones; the truth is the DAG among them); ``regimes``, an unlabelled mixture of that many SCMs on
    the same graph with their own weights, mechanisms and noise scales.
    """

    d: int = 10
    n: int = 500
    graph: str = "er"
    edge_prob: float | None = None
    expected_degree: float | None = None
    mechanism: str | tuple[str, ...] = "linear"
    weight_range: tuple[float, float] = (0.5, 2.0)
    noise: str = "gaussian"
    heteroscedastic: bool = False
    noise_scale: tuple[float, float] = (0.5, 1.0)
    intervention_share: float = 0.0
    n_targets: int | None = None
    intervention: str = "do"
    scaling: str = "none"
    max_rows: int = 2000
    scale_growth: bool = False
    distortion: tuple[str, ...] = ()
    measurement_noise: float = 0.0
    outliers: float = 0.0
    hidden: int = 0
    regimes: int = 1

    def __post_init__(self):
        mechs = (self.mechanism,) if isinstance(self.mechanism, str) else tuple(self.mechanism)
        object.__setattr__(self, "mechanism", mechs[0] if len(mechs) == 1 else mechs)
        object.__setattr__(self, "weight_range", tuple(float(v) for v in self.weight_range))
        object.__setattr__(self, "noise_scale", tuple(float(v) for v in self.noise_scale))
        object.__setattr__(self, "distortion", (self.distortion,) if isinstance(self.distortion, str)
                           else tuple(self.distortion))
        bad = [m for m in mechs if m not in MECHANISMS]
        bad_distortion = [k for k in self.distortion if k not in DISTORTIONS]
        checks = [
            (self.d >= 2, f"d must be >= 2, got {self.d}"),
            (self.n >= 3, f"n must be >= 3, got {self.n}"),
            (self.graph in GRAPHS, f"graph must be one of {GRAPHS}, got {self.graph!r}"),
            (not bad, f"unknown mechanism(s) {bad}; known: {MECHANISMS}"),
            (self.noise in NOISES, f"noise must be one of {NOISES}, got {self.noise!r}"),
            (self.intervention in INTERVENTIONS,
             f"intervention must be one of {INTERVENTIONS}, got {self.intervention!r}"),
            (self.scaling in SCALINGS, f"scaling must be one of {SCALINGS}, got {self.scaling!r}"),
            (self.edge_prob is None or self.expected_degree is None,
             "give edge_prob or expected_degree, not both (neither: expected degree 2)"),
            (0.0 <= self.intervention_share < 1.0, "intervention_share must be in [0, 1)"),
            (self.edge_prob is None or 0.0 <= self.edge_prob <= 1.0, "edge_prob must be in [0, 1]"),
            (self.expected_degree is None or self.expected_degree >= 0.0, "expected_degree must be >= 0"),
            (len(self.weight_range) == 2 and 0.0 <= self.weight_range[0] <= self.weight_range[1],
             "weight_range must be (lo, hi) with 0 <= lo <= hi"),
            (len(self.noise_scale) == 2 and 0.0 < self.noise_scale[0] <= self.noise_scale[1],
             "noise_scale must be (lo, hi) with 0 < lo <= hi"),
            (self.n_targets is None or self.n_targets >= 1, "n_targets must be >= 1"),
            (self.max_rows >= 3, "max_rows must be >= 3"),
            (not bad_distortion, f"unknown distortion(s) {bad_distortion}; known: {DISTORTIONS}"),
            (self.measurement_noise >= 0.0, "measurement_noise must be >= 0"),
            (0.0 <= self.outliers < 0.5, "outliers must be in [0, 0.5)"),
            (self.hidden >= 0, "hidden must be >= 0"),
            (self.regimes >= 1, "regimes must be >= 1"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(f"SCMSpec: {msg}")

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return (self.mechanism,) if isinstance(self.mechanism, str) else self.mechanism

    @property
    def edge_probability(self) -> float:
        """Probability of an edge per unordered pair (expected degree 2 when neither is given)."""
        if self.edge_prob is not None:
            return float(self.edge_prob)
        return min(1.0, (2.0 if self.expected_degree is None else self.expected_degree) / (self.d - 1))

    @property
    def rows(self) -> int:
        """Rows actually generated: ``min(n, max_rows)``."""
        return min(self.n, self.max_rows)

    def replace(self, **changes) -> "SCMSpec":
        """A copy with some fields changed (e.g. ``spec.replace(scaling="iscm")``)."""
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, d: dict) -> "SCMSpec":
        """Inverse of ``to_dict`` (lists back to tuples)."""
        d = dict(d)
        if isinstance(d.get("mechanism"), list):
            d["mechanism"] = tuple(d["mechanism"])
        if "distortion" in d:
            d["distortion"] = tuple(d["distortion"])
        return cls(**d)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["mechanism"] = list(self.mechanisms) if len(self.mechanisms) > 1 else self.mechanism
        out["weight_range"], out["noise_scale"] = list(self.weight_range), list(self.noise_scale)
        out["distortion"] = list(self.distortion)
        for key, off in OPTIONAL_FIELDS.items():
            if out[key] == off:
                del out[key]
        return out

    @property
    def measured(self) -> bool:
        """Whether the measurement layer changes anything (any of its fields set)."""
        return any(getattr(self, k) != (tuple(v) if isinstance(v, list) else v) for k, v in OPTIONAL_FIELDS.items()
                   if k != "scale_growth")


# ---------------------------------------------------------------- graphs

def sample_dag(rng: np.random.Generator, spec: SCMSpec) -> np.ndarray:
    """[d, d] int8 DAG, A[i, j] = 1 for i -> j, node indices randomly permuted."""
    d, p = spec.d, spec.edge_probability
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

def sample_noise(rng: np.random.Generator, kind: str, n, scale: float) -> np.ndarray:
    """Noise of shape ``n`` (an int or a tuple) with standard deviation ``scale``."""
    if kind == "gaussian":
        e = rng.standard_normal(n)
    elif kind == "laplace":
        e = rng.laplace(0.0, 1.0 / np.sqrt(2.0), n)
    elif kind == "student":  # t(3) has variance 3
        e = rng.standard_t(3.0, n) / np.sqrt(3.0)
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


def apply_mechanism(rng: np.random.Generator, kind: str, P: np.ndarray, spec: SCMSpec,
                    fan_in: bool = True) -> np.ndarray:
    """Noise-free value [n] of a node from its parents P [n, k] (k >= 1).

    ``fan_in``: divide the weights by sqrt(k) (False only for linear iSCM nodes, as in the paper).
    A nonlinear mechanism reads its parents standardized, so its output has the same scale at every
    depth; with ``spec.scale_growth`` it is rescaled to the sd of ``sum_k w_k x_k`` over the raw
    parents (what a linear node would pass on), so scale accumulates along the causal order and an
    iSCM (standardizing every node) removes something z-scoring does not. No extra draw: the same seed
    gives the same graph and weights either way.
    """
    k = P.shape[1]
    lo, hi = spec.weight_range
    w = _weights(rng, k, lo, hi)
    if fan_in:
        w = w / np.sqrt(k)
    if kind == "linear":
        return _rowsum(P, w)
    out = _nonlinear(rng, kind, P, w, spec)
    if spec.scale_growth:
        sd = out.std()
        out = out * (_rowsum(P, w).std() / sd) if sd > 1e-12 else out
    return out


def _nonlinear(rng: np.random.Generator, kind: str, P: np.ndarray, w: np.ndarray, spec: SCMSpec) -> np.ndarray:
    """A nonlinear mechanism's value [n] on the standardized parents of P [n, k], weights ``w`` [k]."""
    k = P.shape[1]
    lo, hi = spec.weight_range
    u = _rowsum(_standardize(P), w)
    if kind == "sine":
        return np.sin(u)
    if kind == "tanh":
        return np.tanh(u)
    if kind == "quadratic":  # a standardized u, clipped, so that chains of squares stay O(1)
        return np.clip(_standardize(u[:, None])[:, 0], -3.0, 3.0) ** 2
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

def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """(model, noise, intervention) generators, all children of ``SeedSequence(seed)``."""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))


def intervention_plan(rng: np.random.Generator, spec: SCMSpec, targets: np.ndarray, n: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(mask [n, d] bool, value [n] in units of the target's observational sd).

    A row is intervened with probability ``spec.intervention_share``, on one target drawn
    uniformly from ``targets``; ``do`` sets it to mean ± U(2, 4) observational sds, ``shift``
    and ``soft`` move it by half that. One [n, 4] draw, so the first rows of a larger n are
    the same plan.
    """
    u = rng.random((n, 4))
    mask = np.zeros((n, spec.d), dtype=bool)
    rows = np.flatnonzero(u[:, 0] < spec.intervention_share)
    pick = np.minimum((u[rows, 1] * len(targets)).astype(np.int64), len(targets) - 1)
    mask[rows, targets[pick]] = True
    value = (2.0 + 2.0 * u[:, 2]) * np.where(u[:, 3] < 0.5, -1.0, 1.0)
    return mask, value if spec.intervention == "do" else 0.5 * value


def _simulate(spec: SCMSpec, A: np.ndarray, streams, n: int):
    """Sample [n, d] from an SCM on the DAG ``A`` with mechanisms, weights and noise scales drawn from the model
    stream: (X, mask, node mechanisms, targets). Raw or iSCM-standardized (z-scoring is left to ``generate``)."""
    model, noise_rng, int_rng = streams
    d = A.shape[0]
    mechs = spec.mechanisms
    node_mech = [mechs[int(model.integers(len(mechs)))] for _ in range(d)]
    scales = model.uniform(*spec.noise_scale, d)
    targets = np.sort(model.choice(d, size=min(spec.n_targets or max(1, d // 10), d), replace=False))

    E = sample_noise(noise_rng, spec.noise, (n, d), 1.0)  # row-major: a prefix for smaller n
    if spec.intervention_share > 0:
        mask, do_value = intervention_plan(int_rng, spec, targets, n)
    else:
        mask, do_value = np.zeros((n, d), dtype=bool), np.zeros(n)
    keep = int_rng.uniform(0.0, 0.5, n) if spec.intervention == "soft" else None  # parents' remaining effect

    X = np.zeros((n, d))
    for j in topological_order(A):
        parents = np.flatnonzero(A[:, j])
        paper = spec.scaling == "iscm" and node_mech[j] == "linear"  # iSCM: unit noise, no fan-in
        e = E[:, j] if paper else scales[j] * E[:, j]
        m = apply_mechanism(model, node_mech[j], X[:, parents], spec, fan_in=not paper) if len(parents) else 0.0
        if spec.heteroscedastic and len(parents):
            v = _rowsum(_standardize(X[:, parents]), model.standard_normal(len(parents)) / np.sqrt(len(parents)))
            e = e * np.exp(np.tanh(v))
        x = e + m
        rows = mask[:, j]
        if rows.any():  # v: a few observational standard deviations
            mu, sd = x[~rows].mean(), x[~rows].std() or 1.0
            if spec.intervention == "do":
                x[rows] = mu + sd * do_value[rows]
            elif spec.intervention == "shift":
                x[rows] = x[rows] + sd * do_value[rows]
            else:
                m_rows = m[rows] if len(parents) else 0.0
                x[rows] = keep[rows] * m_rows + e[rows] + sd * do_value[rows]
        if spec.scaling == "iscm":
            x = _standardize(x[:, None])[:, 0]
        X[:, j] = x
    return X, mask, node_mech, targets


def _mix_regimes(spec: SCMSpec, A: np.ndarray, seed: int, X: np.ndarray, mask: np.ndarray):
    """Rows of ``spec.regimes`` SCMs on the graph ``A`` (regime 0: the rows already sampled), unlabelled
    and interleaved. Each further regime draws its weights, mechanisms and noise from streams of its own."""
    labels = np.random.default_rng([int(seed), 12]).integers(spec.regimes, size=X.shape[0])
    X, mask = X.copy(), mask.copy()
    for r in range(1, spec.regimes):
        rows = np.flatnonzero(labels == r)
        if len(rows):
            streams = tuple(np.random.default_rng(s) for s in np.random.SeedSequence([int(seed), 13, r]).spawn(3))
            X[rows], mask[rows], _, _ = _simulate(spec, A, streams, len(rows))
    return X, mask


def _measure(spec: SCMSpec, seed: int, X: np.ndarray, A: np.ndarray, mask: np.ndarray, targets: np.ndarray):
    """The measurement layer (``datasets.measurement``) on a sampled SCM: hidden nodes dropped (the truth
    becomes the DAG among the others), monotone responses, measurement noise, outlying rows.
    Returns (X, A, mask, targets, the measured nodes' indices in the SCM, meta)."""
    rng = measurement.stream(seed)
    info, kept = {}, np.arange(A.shape[0])
    if spec.hidden:
        gone = measurement.hidden_nodes(rng, A, spec.hidden)
        info["hidden_confounders"] = int((A[gone].sum(axis=1) >= 2).sum())  # hidden nodes with two children or more
        kept = np.setdiff1d(np.arange(A.shape[0]), gone)
        index = {int(old): new for new, old in enumerate(kept)}
        X, A, mask = X[:, kept], A[np.ix_(kept, kept)], mask[:, kept]
        targets = np.array([index[int(t)] for t in targets if int(t) in index], dtype=int)
    if spec.distortion:
        X, kinds = measurement.distort(rng, X, spec.distortion)
        info["distortions"] = kinds
    if spec.measurement_noise:
        X = measurement.add_noise(rng, X, spec.measurement_noise)
    if spec.outliers:
        X, rows = measurement.add_outliers(rng, X, spec.outliers)
        info["outlying_rows"] = int(len(rows))
    return X, A, mask, targets, kept, info


def generate(spec: SCMSpec, seed: int, name: str | None = None, meta: dict | None = None) -> Dataset:
    """Sample one dataset: X [n, d], truth [d, d], mask [n, d] (None without interventions).

    Same spec and seed, same bytes. ``meta`` is merged into the dataset's meta.
    """
    streams = _streams(seed)
    scm = spec.replace(d=spec.d + spec.hidden) if spec.hidden else spec
    A = sample_dag(streams[0], scm)
    X, mask, node_mech, targets = _simulate(scm, A, streams, spec.rows)
    if spec.regimes > 1:
        X, mask = _mix_regimes(scm, A, seed, X, mask)
    extra = {}
    if spec.measured:
        X, A, mask, targets, kept, extra = _measure(spec, seed, X, A, mask, targets)
        node_mech = [node_mech[k] for k in kept]
    if spec.scaling == "zscore":
        X = _standardize(X)
    if not np.all(np.isfinite(X)):
        raise FloatingPointError(f"generator produced non-finite values for {spec} seed {seed}")

    interventional = spec.intervention_share > 0
    info = {"generator": spec.to_dict(), "generator_version": GENERATOR_VERSION, "seed": int(seed),
            "node_mechanisms": node_mech, "noise": spec.noise, "intervention": spec.intervention, "scaling": spec.scaling,
            "graph_model": spec.graph, "has_truth": True, "truth_is_dag": True,
            "intervention_targets": [int(t) for t in targets] if interventional else [], **extra}
    info.update(meta or {})
    return Dataset(name or f"scm-{seed}", X, A, mask if interventional else None, meta=info)
