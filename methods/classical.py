"""Classical causal discovery, wrapped: PC, GES (causal-learn), GIES (gies), DirectLiNGAM (lingam).

The libraries do the work; these wrappers choose rows, convert encodings (causal-learn graphs
only through ``methods.convert``), keep the libraries quiet (``methods._quiet``) and record
what happened in ``Prediction.info``. The continuous-optimisation methods (NOTEARS, DAGMA)
are in ``methods.continuous``.

Rows: PC, GES and DirectLiNGAM pool all rows by default (``rows="pooled"``: the intervention
mask is knowingly ignored, so ``uses_interventions = False``); ``rows="observational"`` keeps
only the rows in which nothing was intervened on. GIES uses the mask: it groups rows into
environments by their set of intervened variables.
"""
from __future__ import annotations

import time

from numbers import Integral, Real

import networkx as nx
import numpy as np

from ._quiet import quiet
from .base import Method, Prediction
from .constraints import Interval, StrOptions
from .convert import causallearn_edge_counts, from_causallearn
from .registry import register

ROWS = ("pooled", "observational")
PROBABILITY = [Interval(Real, 0, 1, closed="neither")]
ROWS_OPTION = [StrOptions(set(ROWS))]


def select_rows(obs, rows: str) -> tuple[np.ndarray, dict]:
    """[m, d] float64 copy of the rows a method uses, and what was chosen (for info)."""
    if rows not in ROWS:
        raise ValueError(f"rows must be one of {ROWS}, got {rows!r}")
    X = np.array(obs.X, dtype=np.float64, copy=True)
    if rows == "observational":
        keep = obs.observational_rows()
        X = X[keep]
        if X.shape[0] < 3:
            raise ValueError(f"rows='observational' leaves {X.shape[0]} rows; need at least 3")
    return X, {"rows": rows, "n_rows_used": int(X.shape[0])}


def break_cycles(G: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, int]:
    """Remove the weakest edge (by |weight|) of a directed cycle until ``G`` [d, d] is acyclic.

    Returns the DAG and the number of edges removed.
    """
    G = (np.asarray(G) != 0).astype(np.int8)
    removed = 0
    while True:
        g = nx.from_numpy_array(G, create_using=nx.DiGraph)
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            return G, removed
        i, j = min(((u, v) for u, v, *_ in cycle), key=lambda e: abs(weight[e[0], e[1]]))
        G[i, j] = 0
        removed += 1


def _node_names(d: int) -> list[str]:
    return [f"X{i + 1}" for i in range(d)]


def _cpdag_prediction(method: Method, G_cl: np.ndarray, **extra) -> Prediction:
    """A Prediction from a causal-learn graph matrix, with its edge-mark counts in info."""
    A = from_causallearn(G_cl)
    info = method.describe(**extra, edge_counts=causallearn_edge_counts(G_cl))
    return Prediction.from_graph(A, cpdag=True, info=info)


@register("pc")
class PC(Method):
    """causal-learn PC (stable). Returns a CPDAG; scores: directed 1, undirected 0.5 each way.

    indep_test: "fisherz" (linear-Gaussian) or "kci" (kernel, for nonlinear data; slow, O(n^3)
    per test). depth: largest conditioning set (-1 = unlimited); a cap keeps large d tractable.
    """

    preload = ('causallearn.search.ConstraintBased.PC',)

    library = "causal-learn"
    time_budget_s = 300.0
    output = "cpdag"
    parameter_constraints = {"alpha": PROBABILITY, "indep_test": [StrOptions({"fisherz", "kci"})],
                             "depth": [Interval(Integral, -1, None, closed="left")], "stable": ["boolean"],
                             "rows": ROWS_OPTION}

    def __init__(self, alpha: float = 0.05, indep_test: str = "fisherz", depth: int = -1,
                 stable: bool = True, rows: str = "pooled"):
        self.alpha = alpha
        self.indep_test = indep_test
        self.depth = depth
        self.stable = stable
        self.rows = rows

    def fit(self, obs) -> Prediction:
        from causallearn.search.ConstraintBased.PC import pc

        if self.indep_test not in ("fisherz", "kci"):
            raise ValueError(f"indep_test must be 'fisherz' or 'kci', got {self.indep_test!r}")
        X, rows = select_rows(obs, self.rows)
        t0 = time.perf_counter()
        with quiet() as said:
            cg = pc(X, alpha=self.alpha, indep_test=self.indep_test, stable=self.stable,
                    show_progress=False, verbose=False, node_names=_node_names(X.shape[1]),
                    max_k=None if self.depth is None or self.depth < 0 else int(self.depth))
        return _cpdag_prediction(self, cg.G.graph, **rows, fit_s=time.perf_counter() - t0,
                                 suppressed=said.summary())


@register("ges")
class GES(Method):
    """causal-learn GES with the BIC score (``local_score_BIC``). Returns a CPDAG.

    lambda_value: BIC penalty multiplier (causal-learn's default 0.5 is the standard BIC).
    max_parents: cap on a node's parents during search (-1 = unlimited); keeps large d tractable.
    """

    preload = ('causallearn.search.ScoreBased.GES',)

    library = "causal-learn"
    time_budget_s = 300.0
    output = "cpdag"
    parameter_constraints = {"lambda_value": [Interval(Real, 0, None, closed="neither")],
                             "max_parents": [Interval(Integral, -1, None, closed="left")], "rows": ROWS_OPTION}

    def __init__(self, lambda_value: float = 0.5, max_parents: int = -1, rows: str = "pooled"):
        self.lambda_value = lambda_value
        self.max_parents = max_parents
        self.rows = rows

    def fit(self, obs) -> Prediction:
        from causallearn.search.ScoreBased.GES import ges

        X, rows = select_rows(obs, self.rows)
        maxP = None if self.max_parents is None or self.max_parents < 0 else int(self.max_parents)
        t0 = time.perf_counter()
        with quiet() as said:
            record = ges(X, score_func="local_score_BIC", maxP=maxP,
                         parameters={"lambda_value": float(self.lambda_value)},
                         node_names=_node_names(X.shape[1]))
        return _cpdag_prediction(self, record["G"].graph, **rows, fit_s=time.perf_counter() - t0,
                                 suppressed=said.summary())


def environments(obs) -> tuple[list[np.ndarray], list[list[int]], list[int]]:
    """Group rows by their set of intervened variables: per-environment data [n_e, d], targets,
    sizes. Observational rows (no target) form the environment with targets []; it comes first."""
    X = np.asarray(obs.X, dtype=np.float64)
    if obs.interventions is None:
        return [X.copy()], [[]], [X.shape[0]]
    mask = np.asarray(obs.interventions, dtype=bool)
    keys, inverse = np.unique(mask, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    order = sorted(range(len(keys)), key=lambda k: (int(keys[k].sum()), tuple(np.flatnonzero(keys[k]))))
    data = [X[inverse == k] for k in order]
    targets = [[int(j) for j in np.flatnonzero(keys[k])] for k in order]
    return data, targets, [int(x.shape[0]) for x in data]


@register("gies")
class GIES(Method):
    """GIES (the gies package, Gaussian BIC score) on environments built from the intervention
    mask. Returns the I-essential graph (directed 1, undirected 1 both ways; cpdag=True).

    lmbda: the l0 penalty; None = BIC, 0.5 log(N).
    Environments smaller than ``min_env_rows`` are dropped (a covariance needs rows); how many
    rows that cost is in info. Without any intervention GIES is GES.
    """

    preload = ('gies',)

    library = "gies"
    time_budget_s = 300.0
    uses_interventions = True
    output = "cpdag"
    parameter_constraints = {"lmbda": [Interval(Real, 0, None, closed="left"), None],
                             "min_env_rows": [Interval(Integral, 2, None, closed="left")]}

    def __init__(self, lmbda: float | None = None, min_env_rows: int = 3):
        self.lmbda = lmbda
        self.min_env_rows = min_env_rows

    def fit(self, obs) -> Prediction:
        import gies
        from gies.scores.gauss_int_l0_pen import GaussIntL0Pen

        data, targets, sizes = environments(obs)
        keep = [k for k, m in enumerate(sizes) if m >= self.min_env_rows]
        dropped = int(sum(sizes) - sum(sizes[k] for k in keep))
        data, targets = [data[k] for k in keep], [targets[k] for k in keep]
        if not data:
            raise ValueError(f"no environment has at least {self.min_env_rows} rows")
        t0 = time.perf_counter()
        with quiet() as said:
            score = GaussIntL0Pen(data, targets, lmbda=None if self.lmbda is None else float(self.lmbda))
            A, total = gies.fit(score)
        A = (np.asarray(A) != 0).astype(np.int8)
        np.fill_diagonal(A, 0)
        und = A.astype(bool) & A.T.astype(bool)
        info = self.describe(fit_s=time.perf_counter() - t0, n_environments=len(data),
                             environment_targets=targets[:50], environment_sizes=[int(x.shape[0]) for x in data][:50],
                             rows_dropped=dropped, score=float(total),
                             edge_counts={"directed": int((A.astype(bool) & ~und).sum()),
                                          "undirected": int(np.triu(und, 1).sum())},
                             suppressed=said.summary())
        return Prediction.from_graph(A, cpdag=True, info=info)


@register("directlingam")
class DirectLiNGAM(Method):
    """DirectLiNGAM (the lingam package): linear, non-Gaussian noise. Returns a DAG.

    lingam's ``adjacency_matrix_`` B is in the structural-equation convention, x = B x + e,
    so B[i, j] != 0 means j -> i: transposed here. scores = |B^T|; graph = |B^T| > w_threshold.
    """

    preload = ('lingam',)

    library = "lingam"
    time_budget_s = 300.0
    parameter_constraints = {"w_threshold": [Interval(Real, 0, None, closed="left")],
                             "measure": [StrOptions({"pwling", "kernel"})], "rows": ROWS_OPTION}

    def __init__(self, w_threshold: float = 0.01, measure: str = "pwling", rows: str = "pooled"):
        self.w_threshold = w_threshold
        self.measure = measure
        self.rows = rows

    def fit(self, obs) -> Prediction:
        import lingam

        X, rows = select_rows(obs, self.rows)
        t0 = time.perf_counter()
        with quiet() as said:
            model = lingam.DirectLiNGAM(random_state=0, measure=self.measure)
            model.fit(X)
        W = np.asarray(model.adjacency_matrix_, dtype=float).T  # W[i, j]: effect of i on j
        scores = np.nan_to_num(np.abs(W))
        np.fill_diagonal(scores, 0.0)
        G = (scores > self.w_threshold).astype(np.int8)
        G, removed = break_cycles(G, scores)  # DirectLiNGAM follows an order: removed stays 0
        info = self.describe(**rows, fit_s=time.perf_counter() - t0,
                             causal_order=[int(k) for k in model.causal_order_],
                             cycle_edges_removed=removed, suppressed=said.summary())
        return Prediction(scores, G, False, info)
