"""Suite ``bnlearn-gaussian``: the Gaussian Bayesian networks of the bnlearn repository (ecoli70, magic-niab,
magic-irri, arth150), whose structures and parameters were fitted to real data (gene expression, plant genetics).

They are read from the JSON files pgmpy ships (``pgmpy/utils/example_models/<name>.json``: nodes, arcs, and per
node an intercept, one coefficient per parent and a residual variance, which pgmpy's own loader reads as a
variance), without importing pgmpy (its import costs seconds and loads torch). Each network is sampled with its
own coefficients and noise variances in topological order, n = 1,000 rows per seed, raw and z-scored. The
structures are real, so the suite is treated as real data: a test set, never used to choose a model, a checkpoint
or a threshold. Provenance (pgmpy version, file, sha256, source) is in each dataset's ``meta``.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import networkx as nx
import numpy as np

from .base import DataError, Dataset
from .cache import cached
from .generator import _standardize
from .registry import DatasetRef, register_suite
from .suites import SUITE_SEED_BASE

NETWORKS = ("ecoli70", "magic-niab", "magic-irri", "arth150")
SEEDS = 3  # samples per network (each raw and z-scored)
N_ROWS = 1000
SAMPLER_VERSION = 1
SOURCE = ("bnlearn Bayesian network repository (M. Scutari, https://www.bnlearn.com/bnrepository/), Gaussian "
          "Bayesian networks, as shipped in pgmpy's example models")


def network_file(name: str) -> Path:
    """The JSON file of network ``name`` inside the installed pgmpy (DataError, one line, where it is missing)."""
    spec = importlib.util.find_spec("pgmpy")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"bnlearn-gaussian: pgmpy is not installed (it ships the {name} network)")
    path = Path(list(spec.submodule_search_locations)[0]) / "utils" / "example_models" / f"{name}.json"
    if not path.exists():
        raise DataError(f"bnlearn-gaussian: {path} is missing from the installed pgmpy")
    return path


def read_network(path: Path) -> dict:
    """{nodes, A [d, d] int8 (row = cause), intercept [d], B [d, d] coefficients (B[i, j]: parent i into j),
    variance [d]} from a pgmpy/bnlearn Gaussian network JSON; DataError where arcs and coefficients disagree."""
    raw = json.loads(path.read_text())
    nodes = list(raw["nodes"])
    index = {v: k for k, v in enumerate(nodes)}
    d = len(nodes)
    A, B = np.zeros((d, d), np.int8), np.zeros((d, d))
    intercept, variance = np.zeros(d), np.zeros(d)
    for src, dst in raw["arcs"]:
        A[index[src], index[dst]] = 1
    for node, cpd in raw["cpds"].items():
        j = index[node]
        coefs = {k: float(v[0]) for k, v in cpd["coefficients"].items()}
        intercept[j] = coefs.pop("(Intercept)", 0.0)
        if set(coefs) != set(cpd["parents"]) or any(A[index[p], j] == 0 for p in coefs):
            raise DataError(f"{path}: the coefficients of {node} do not match its parents in the arcs")
        for parent, b in coefs.items():
            B[index[parent], j] = b
        variance[j] = float(cpd["variance"][0])
    if int(A.sum()) != int((B != 0).sum()) or not (variance > 0).all():
        raise DataError(f"{path}: arcs without coefficients, or a variance <= 0")
    return {"nodes": nodes, "A": A, "intercept": intercept, "B": B, "variance": variance}


def sample(net: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """[n, d] rows of the linear-Gaussian network: each node its intercept, plus its parents times their
    coefficients, plus N(0, its variance), in topological order."""
    d = len(net["nodes"])
    X = np.zeros((n, d))
    order = list(nx.topological_sort(nx.from_numpy_array(net["A"], create_using=nx.DiGraph)))
    noise = rng.standard_normal((n, d)) * np.sqrt(net["variance"])
    for j in order:
        X[:, j] = net["intercept"][j] + X @ net["B"][:, j] + noise[:, j]
    return X


def _pgmpy_version() -> str:
    try:
        return version("pgmpy")
    except PackageNotFoundError:
        return "unknown"


def load(ds_name: str, tags: dict, sha256: str) -> Dataset:
    """One sample of network ``tags["network"]`` with seed ``tags["data_seed"]``, scaled by ``tags["scaling"]``
    (the file's content must still have digest ``sha256``)."""
    name, seed, scaling = tags["network"], tags["data_seed"], tags["scaling"]
    path = network_file(name)
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise DataError(f"{path}: changed while loading (sha256 differs)")
    net = read_network(path)
    X = sample(net, N_ROWS, np.random.default_rng(np.random.SeedSequence(seed)))
    X = _standardize(X) if scaling == "zscore" else X
    meta = {**tags, "has_truth": True, "truth_is_dag": True, "source": SOURCE, "network": name,
            "pgmpy_version": _pgmpy_version(), "file": f"pgmpy/utils/example_models/{name}.json",
            "file_sha256": sha256, "n_arcs": int(net["A"].sum())}
    return Dataset(ds_name, X, net["A"], None, tuple(net["nodes"]), meta)


@register_suite("bnlearn-gaussian", "real structures: bnlearn's Gaussian networks ecoli70 (d 46), magic-niab (44), "
                                    "magic-irri (64), arth150 (107) with their own coefficients and noise, "
                                    f"n {N_ROWS}, {SEEDS} samples each, raw and z-scored (a test set)")
def bnlearn_gaussian() -> list[DatasetRef]:
    base, refs = SUITE_SEED_BASE["bnlearn-gaussian"], []
    for k, name in enumerate(NETWORKS):
        path = network_file(name)  # DataError (one line) where pgmpy does not ship it
        sha256, d = hashlib.sha256(path.read_bytes()).hexdigest(), len(json.loads(path.read_text())["nodes"])
        for s in range(SEEDS):
            seed = base + 10 * k + s
            for scaling in ("none", "zscore"):
                label = {"none": "raw", "zscore": "zscore"}[scaling]
                ds_name = f"bnlearn-{name}-s{s}-{label}"
                tags = {"suite": "bnlearn-gaussian", "d": d, "n": N_ROWS,
                        "mechanism": "linear (bnlearn fit)", "scaling": scaling, "interventional": False,
                        "graph_model": "bnlearn", "noise": "gaussian", "ood": True, "shift": "real network",
                        "tier": "real", "network": name, "data_seed": seed}
                payload = {"source": "pgmpy-json", "name": ds_name, "sha256": sha256, "seed": seed,
                           "scaling": scaling, "n": N_ROWS, "meta": tags, "version": SAMPLER_VERSION}
                refs.append(DatasetRef(ds_name, lambda n=ds_name, tags=tags, payload=payload, s=sha256: cached(
                    payload, lambda: load(n, tags, s)), tags))
    return refs
