"""Sanity baselines: the numbers any real method must beat before its scores mean anything.

``empty`` is the failure mode of the original TabSCM model; ``random`` is chance;
``abs-corr`` and ``partial-corr`` find skeletons from second moments alone and cannot orient;
``varsort`` and ``r2sort`` (CausalDisco's sortnregress) orient edges by marginal variance or
R^2, which succeeds exactly when a simulator leaks the causal order through scale.
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .base import Method, Prediction
from .constraints import Interval
from .registry import register


def top_k_dag(scores: np.ndarray, k: int, order: np.ndarray) -> np.ndarray:
    """[d, d] DAG: the k highest-scoring pairs, each oriented along ``order`` (so acyclic)."""
    d = scores.shape[0]
    rank = np.empty(d, dtype=int)
    rank[order] = np.arange(d)
    forward = rank[:, None] < rank[None, :]
    s = np.where(forward & ~np.eye(d, dtype=bool), scores, -np.inf)
    G = np.zeros((d, d), dtype=np.int8)
    if k > 0:
        flat = np.argsort(-s, axis=None, kind="stable")[:k]
        G.flat[flat] = 1
        G[~np.isfinite(s)] = 0
    return G


def top_k_skeleton(scores: np.ndarray, k: int) -> np.ndarray:
    """[d, d] undirected graph (1 both ways) on the k pairs with the highest symmetric score."""
    d = scores.shape[0]
    iu = np.triu_indices(d, 1)
    sym = np.maximum(scores, scores.T)[iu]
    G = np.zeros((d, d), dtype=np.int8)
    keep = np.argsort(-sym, kind="stable")[:k]
    G[iu[0][keep], iu[1][keep]] = 1
    return G | G.T


@register("empty")
class Empty(Method):
    """No edges, constant scores: what a collapsed learned model outputs."""

    time_budget_s = 10.0

    def fit(self, obs) -> Prediction:
        d = obs.d
        return Prediction(np.zeros((d, d)), np.zeros((d, d), dtype=np.int8), False, self.describe())


@register("random")
class Random(Method):
    """Uniform random scores; the graph keeps the top ``d`` pairs, oriented along a random order."""

    time_budget_s = 10.0
    deterministic = False
    min_seeds = 5  # one seed is one draw of chance: an interval needs several
    parameter_constraints = {"seed": [Interval(Integral, 0, None, closed="left")]}

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, obs) -> Prediction:
        rng = np.random.default_rng(self.seed)
        d = obs.d
        scores = rng.random((d, d))
        np.fill_diagonal(scores, 0.0)
        return Prediction(scores, top_k_dag(scores, d, rng.permutation(d)), False, self.describe())


class _SymmetricScore(Method):
    """Symmetric dependence scores; the graph is the top-``k`` skeleton, left undirected."""

    time_budget_s = 30.0
    output = "scores"
    parameter_constraints = {"edges_per_node": [Interval(Real, 0, None, closed="left")],
                             "ridge": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, edges_per_node: float = 1.0):
        self.edges_per_node = edges_per_node

    def dependence(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def fit(self, obs) -> Prediction:
        X = np.asarray(obs.X, dtype=float)
        S = np.nan_to_num(np.abs(self.dependence(X)))
        S = (S + S.T) / 2  # exactly symmetric: these scores carry no direction
        np.fill_diagonal(S, 0.0)
        G = top_k_skeleton(S, int(round(self.edges_per_node * obs.d)))
        return Prediction(S, G, True, self.describe())


@register("abs-corr")
class AbsCorr(_SymmetricScore):
    """|Pearson correlation| as scores."""

    library = "numpy"

    def dependence(self, X):
        return np.corrcoef(X, rowvar=False)


@register("partial-corr")
class PartialCorr(_SymmetricScore):
    """|partial correlation| from the (ridge-regularised) inverse covariance."""

    library = "numpy"

    def __init__(self, edges_per_node: float = 1.0, ridge: float = 1e-2):
        super().__init__(edges_per_node)
        self.ridge = ridge

    def dependence(self, X):
        C = np.corrcoef(X, rowvar=False)
        P = np.linalg.inv(C + self.ridge * np.eye(C.shape[0]))
        dg = np.sqrt(np.diag(P))
        return -P / np.outer(dg, dg)


class _SortnRegress(Method):
    """CausalDisco's sortnregress: order by a marginal statistic, regress each on its predecessors."""

    library = "CausalDisco"
    time_budget_s = 120.0

    def regress(self, X):  # pragma: no cover - interface
        raise NotImplementedError

    def fit(self, obs) -> Prediction:
        W = np.asarray(self.regress(np.asarray(obs.X, dtype=float)), dtype=float)
        G = (W != 0).astype(np.int8)
        np.fill_diagonal(G, 0)
        scores = np.abs(W)
        np.fill_diagonal(scores, 0.0)
        return Prediction(scores, G, False, self.describe())


@register("varsort")
class VarSort(_SortnRegress):
    """sortnregress by marginal variance (CausalDisco.baselines.var_sort_regress)."""

    def regress(self, X):
        from CausalDisco.baselines import var_sort_regress

        return var_sort_regress(X)


@register("r2sort")
class R2Sort(_SortnRegress):
    """sortnregress by R^2 from all other variables (CausalDisco.baselines.r2_sort_regress)."""

    def regress(self, X):
        from CausalDisco.baselines import r2_sort_regress

        return r2_sort_regress(X)
