"""Suites drawn by another project's simulator: gcastle's ``IIDSimulation`` (Huawei Noah's Ark).

A learned model can learn its own generator's habits; data written by someone else's code
test whether what it learned is about causal structure. ``gcastle-linear``: 10 linear-Gaussian
ER graphs (d 10-20, expected degree 1.5-3, weights ±U(0.5, 2), unit noise, n 1000), z-scored
after generation, observational. gcastle draws from numpy's global generator: it is seeded per
dataset and restored afterwards.
"""
from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np

from .base import Dataset
from .cache import cached
from .generator import _standardize
from .registry import DatasetRef, register_suite
from .suites import SUITE_SEED_BASE

SIMULATOR_VERSION = 1


def _simulate(d: int, n_edges: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(X [n, d] z-scored, DAG [d, d] int8) from gcastle's linear-Gaussian simulator."""
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            from castle.datasets import DAG, IIDSimulation
            np.random.seed(seed)
            W = DAG.erdos_renyi(n_nodes=d, n_edges=n_edges, weight_range=(0.5, 2.0), seed=seed)
            X = IIDSimulation(W=W, n=n, method="linear", sem_type="gauss").X
    finally:
        np.random.set_state(state)
    return _standardize(X), (np.asarray(W) != 0).astype(np.int8)


@register_suite("gcastle-linear", "another simulator: 10 linear-Gaussian ER graphs from gcastle's IIDSimulation, "
                                  "d 10-20, n 1000, z-scored, observational")
def gcastle_linear() -> list[DatasetRef]:
    base = SUITE_SEED_BASE["gcastle-linear"]
    rng = np.random.default_rng(np.random.SeedSequence(base, spawn_key=(1000,)))
    refs = []
    for i in range(10):
        d, degree, seed = int(rng.integers(10, 21)), float(rng.uniform(1.5, 3.0)), base + i
        name = f"gcastle-linear-{i:02d}-d{d}"
        tags = {"suite": "gcastle-linear", "d": d, "n": 1000, "mechanism": "linear", "scaling": "zscore",
                "interventional": False, "graph_model": "er", "noise": "gaussian", "ood": True,
                "shift": "generator", "data_seed": seed}
        payload = {"simulator": "gcastle.IIDSimulation", "d": d, "n_edges": round(degree * d / 2), "seed": seed,
                   "name": name, "meta": tags, "version": SIMULATOR_VERSION}

        def make(name=name, d=d, payload=payload, tags=tags):
            X, A = _simulate(d, payload["n_edges"], 1000, payload["seed"])
            return Dataset(name, X, A, None, meta={**tags, "has_truth": True, "truth_is_dag": True,
                                                    "generator": "gcastle IIDSimulation linear gauss"})
        refs.append(DatasetRef(name, lambda make=make, payload=payload: cached(payload, make), tags))
    return refs
