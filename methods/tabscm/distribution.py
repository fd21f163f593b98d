"""The learned model's training distribution: how a config's ``data`` section becomes datasets.

The trainer (``train.py``) draws its batches here, and ``TabSCM.training_distribution`` declares the same
distribution to the harness. It is a module of its own so that a method's job key, which covers the modules
it imports, changes with what the model was trained on, not with the trainer's options or plots.

Seeds are ``>= datasets.suites.TRAINING_SEED_BASE`` (suites stay below it). Within that range, training seeds
``TRAIN_BASE + k`` (k = running dataset count), the fixed validation set ``VAL_BASE + k`` and the held-out
test block ``TEST_BASE + k`` never overlap.
"""
from __future__ import annotations

import json

import numpy as np

from datasets.generator import NONLINEAR, SCMSpec, generate
from datasets.suites import TRAINING_SEED_BASE

TRAIN_BASE = TRAINING_SEED_BASE
VAL_BASE = TRAINING_SEED_BASE + 500_000_000
TEST_BASE = TRAINING_SEED_BASE + 600_000_000
TRAIN_SEED_LIMIT = VAL_BASE  # training seeds stay below the validation block


def _int_range(rng: np.random.Generator, lo_hi, log: bool) -> int:
    """An integer in [lo, hi], uniform or (``log``) log-uniform."""
    lo, hi = int(lo_hi[0]), int(lo_hi[1])
    if not log:
        return int(rng.integers(lo, hi + 1))
    return int(min(hi, max(lo, round(float(np.exp(rng.uniform(np.log(lo), np.log(hi + 1))) - 0.5)))))


def _pick(rng: np.random.Generator, value):
    """A config value that is one choice (a string) or a list to draw from uniformly."""
    return value if isinstance(value, str) else str(rng.choice(list(value)))


def sample_spec(rng: np.random.Generator, data: dict, d: int | None = None, n: int | None = None) -> SCMSpec:
    """One training/validation spec from the training distribution (the config's ``data``).

    Keys a config leaves out keep the first TabSCM's distribution, and the draws for the keys
    added since come after the original ones, so ``tabscm-seed``'s config gives the same specs."""
    d = d if d is not None else _int_range(rng, data["d"], data.get("d_log", False))
    n = n if n is not None else _int_range(rng, data["n"], data.get("n_log", False))
    dens = {}
    if rng.random() < data.get("edge_prob_share", 0.5):
        dens["edge_prob"] = float(rng.uniform(*data["edge_prob"]))
    else:
        dens["expected_degree"] = float(rng.uniform(*data["expected_degree"]))
    mech = "linear" if rng.random() < data.get("linear_share", 0.5) else str(rng.choice(data.get("nonlinear", NONLINEAR)))
    share, targets = 0.0, None
    if rng.random() < data.get("intervention_prob", 0.5):
        share = float(rng.uniform(*data["intervention_share"]))
        targets = int(rng.integers(1, max(1, int(d * data.get("target_share", 0.25))) + 1))
    extra = {}
    if mech != "linear" and rng.random() < data.get("mixed_share", 0.0):  # a mechanism per node
        pool = ["linear", *data.get("nonlinear", NONLINEAR)]
        extra["mechanism"] = tuple(rng.choice(pool, size=int(rng.integers(2, 5)), replace=False).tolist())
    if "graph" in data:
        extra["graph"] = _pick(rng, data["graph"])
    if rng.random() < data.get("heteroscedastic_share", 0.0):
        extra["heteroscedastic"] = True
    if "weight_low" in data:
        lo = float(rng.uniform(*data["weight_low"]))
        extra["weight_range"] = (lo, lo + float(rng.uniform(*data["weight_span"])))
    if "interventions" in data:
        extra["intervention"] = _pick(rng, data["interventions"])
    noise, scaling = _pick(rng, data.get("noise", "gaussian")), _pick(rng, data.get("scaling", "zscore"))
    if rng.random() < data.get("lingauss_share", 0.0):  # observational linear-Gaussian: the unorientable case
        mech, noise, share, targets = "linear", "gaussian", 0.0, None
        extra.update(mechanism="linear", heteroscedastic=False)
    elif "measurement_share" in data:
        extra.update(measurement(rng, data, d))
    return SCMSpec(d=d, n=n, noise=noise, intervention_share=share, n_targets=targets, scaling=scaling,
                   max_rows=max(2000, n), **{"graph": "er", "mechanism": mech, **dens, **extra})


def measurement(rng: np.random.Generator, data: dict, d: int) -> dict:
    """How a training dataset is measured (``datasets.measurement``): with probability ``measurement_share``,
    each of monotone responses (drawn per column from ``distortion``), measurement noise (sd ``measurement_noise``
    in units of a column's sd), outlying rows (share ``outliers``), hidden nodes (``hidden``: a share of d) and an
    unlabelled mixture of 2-3 regimes (``regimes_share``), each with probability 1/2. Observational
    linear-Gaussian draws stay unmeasured: their soft targets assume the SCM's own variables."""
    u = rng.random(6)  # a fixed number of draws whatever is chosen
    if u[0] >= data["measurement_share"]:
        return {}
    out = {}
    if u[1] < 0.5:
        out["distortion"] = tuple(data.get("distortion", ("identity", "exp", "tanh", "cube", "log")))
    if u[2] < 0.5:
        out["measurement_noise"] = round(float(rng.uniform(*data.get("measurement_noise", (0.0, 0.3)))), 4)
    if u[3] < 0.5:
        out["outliers"] = round(float(rng.uniform(*data.get("outliers", (0.0, 0.05)))), 4)
    if u[4] < 0.5:
        out["hidden"] = int(round(float(rng.uniform(*data.get("hidden", (0.0, 0.1)))) * d))
    if u[5] < data.get("regimes_share", 0.0) * 2:
        out["regimes"] = int(rng.integers(2, 4))
    return out


def training_distribution(data: dict, invariant: tuple[str, ...] = ("log_var_spread",)):
    """The distribution the trainer draws from (the config's ``data``), declared for the harness: dataset k is
    the one ``draw`` makes for training seed ``TRAIN_BASE + k`` (batches share d and n, drawn from the same
    ranges). The model z-scores its input, so it cannot see the columns' scales (``invariant``)."""
    import hashlib

    from datasets.generator import GENERATOR_VERSION

    from ..base import TrainingDistribution

    def sample(k: int):
        seed = TRAIN_BASE + int(k)
        return generate(sample_spec(np.random.default_rng([seed, 7]), data), seed)

    key = hashlib.sha256(json.dumps([data, GENERATOR_VERSION], sort_keys=True, default=str).encode()).hexdigest()[:16]
    return TrainingDistribution(key=key, draw=sample, invariant=invariant)


def lingauss(ds) -> bool:
    """Every node linear with homoscedastic Gaussian noise: data that identify the graph only up to
    its (I-)essential graph."""
    meta = ds.meta
    return set(meta["node_mechanisms"]) == {"linear"} and meta["noise"] == "gaussian" \
        and not meta["generator"]["heteroscedastic"]


def soft_target(ds) -> np.ndarray:
    """What the data can say about each edge: 1 for i -> j, 0.5 both ways for an edge that no
    data of this kind can orient, 0 otherwise.

    Linear-Gaussian homoscedastic data identify a DAG only up to its essential graph: the CPDAG,
    or with interventions the I-essential graph of the target sets in the mask (Hauser &
    Bühlmann 2012; soft interventions give the same class when observational rows are present).
    Any nonlinear node or non-Gaussian noise makes the direction identifiable in principle, so
    there the target is the DAG itself."""
    from methods.convert import dag_to_essential_graph

    A = ds.graph.astype(np.float32)
    if not lingauss(ds):
        return A
    E = dag_to_essential_graph(ds.graph, ds.interventions).astype(np.float32)
    return np.where((E > 0) & (E.T > 0), 0.5, E).astype(np.float32)


def draw(seed: int, data: dict, d: int | None = None, n: int | None = None, soft: bool = False):
    """(X [n, d], mask [n, d] float, target [d, d], DAG [d, d], linear-Gaussian flag) for one seed;
    the target is the DAG, or with ``soft`` what the data can identify of it (``soft_target``)."""
    spec = sample_spec(np.random.default_rng([seed, 7]), data, d, n)
    ds = generate(spec, seed)
    M = ds.interventions if ds.interventions is not None else np.zeros(ds.X.shape, dtype=bool)
    A = ds.graph.astype(np.float32)
    return ds.X.astype(np.float32), M.astype(np.float32), soft_target(ds) if soft else A, A, float(lingauss(ds))
