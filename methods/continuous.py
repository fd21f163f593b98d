"""Continuous-optimisation structure learning, wrapped: NOTEARS (gcastle, linear) and DAGMA.

Both fit a weighted adjacency W [d, d] (W[i, j] != 0 means i -> j) with a least-squares loss
and an acyclicity constraint. scores = |W| before thresholding; graph = |W| > w_threshold, made
acyclic by dropping the weakest edge of any remaining cycle (the count is in info).

Both are scale-sensitive: on raw simulated data, variance grows along the causal order and
the least-squares loss profits from it; standardized data take that away. The benchmark
shows both (see the suites), the wrappers do not rescale.
"""
from __future__ import annotations

import time

from numbers import Integral, Real

import numpy as np

from ._quiet import import_quietly, quiet
from .base import Method, Prediction
from .classical import ROWS_OPTION, break_cycles, select_rows
from .constraints import Interval
from .registry import register


def _weighted_prediction(method: Method, W: np.ndarray, w_threshold: float, **extra) -> Prediction:
    W = np.asarray(W, dtype=float)
    scores = np.nan_to_num(np.abs(W), nan=0.0, posinf=0.0, neginf=0.0)
    np.fill_diagonal(scores, 0.0)
    G, removed = break_cycles(scores > w_threshold, scores)
    info = method.describe(**extra, n_edges_thresholded=int((scores > w_threshold).sum()),
                           cycle_edges_removed=removed, max_abs_weight=float(scores.max(initial=0.0)))
    return Prediction(scores, G, False, info)


@register("notears")
class Notears(Method):
    """gcastle's linear NOTEARS (``castle.algorithms.Notears``, least-squares loss).

    scores: gcastle's ``weight_causal_matrix`` (W before thresholding). max_iter caps the
    dual-ascent steps (each one a full L-BFGS solve), which bounds the run at large d.
    """

    preload = ('methods._gcastle',)

    library = "gcastle"
    time_budget_s = 300.0
    parameter_constraints = {"lambda1": [Interval(Real, 0, None, closed="left")],
                             "w_threshold": [Interval(Real, 0, None, closed="left")],
                             "max_iter": [Interval(Integral, 1, None, closed="left")],
                             "h_tol": [Interval(Real, 0, None, closed="neither")],
                             "rho_max": [Interval(Real, 0, None, closed="neither")], "rows": ROWS_OPTION}

    def __init__(self, lambda1: float = 0.1, w_threshold: float = 0.3, max_iter: int = 100,
                 h_tol: float = 1e-8, rho_max: float = 1e16, rows: str = "pooled"):
        self.lambda1 = lambda1
        self.w_threshold = w_threshold
        self.max_iter = max_iter
        self.h_tol = h_tol
        self.rho_max = rho_max
        self.rows = rows

    def fit(self, obs) -> Prediction:
        algorithms = import_quietly("castle.algorithms", env={"CASTLE_BACKEND": "pytorch"})
        X, rows = select_rows(obs, self.rows)
        t0 = time.perf_counter()
        with quiet("castle") as said:
            model = algorithms.Notears(lambda1=self.lambda1, loss_type="l2", max_iter=int(self.max_iter),
                                       h_tol=self.h_tol, rho_max=self.rho_max, w_threshold=self.w_threshold)
            model.learn(X)
        W = np.asarray(model.weight_causal_matrix, dtype=float)
        return _weighted_prediction(self, W, self.w_threshold, **rows, fit_s=time.perf_counter() - t0,
                                    suppressed=said.summary())


@register("dagma")
class Dagma(Method):
    """DAGMA (the dagma package, ``DagmaLinear``, least-squares loss).

    Fitted with the library's threshold set to 0, so the scores are |W| before thresholding.
    T: number of central-path iterations; warm_iter / max_iter: Adam steps per inner solve.
    """

    preload = ('dagma.linear',)

    library = "dagma"
    time_budget_s = 300.0
    parameter_constraints = {"lambda1": [Interval(Real, 0, None, closed="left")],
                             "w_threshold": [Interval(Real, 0, None, closed="left")],
                             "T": [Interval(Integral, 1, None, closed="left")],
                             "warm_iter": [Interval(Integral, 1, None, closed="left")],
                             "max_iter": [Interval(Integral, 1, None, closed="left")], "rows": ROWS_OPTION}

    def __init__(self, lambda1: float = 0.03, w_threshold: float = 0.3, T: int = 5,
                 warm_iter: int = 30000, max_iter: int = 60000, rows: str = "pooled"):
        self.lambda1 = lambda1
        self.w_threshold = w_threshold
        self.T = T
        self.warm_iter = warm_iter
        self.max_iter = max_iter
        self.rows = rows

    def fit(self, obs) -> Prediction:
        linear = import_quietly("dagma.linear")
        _silence_tqdm(linear)
        X, rows = select_rows(obs, self.rows)  # a copy: DagmaLinear centres X in place
        t0 = time.perf_counter()
        with quiet("dagma") as said:
            model = linear.DagmaLinear(loss_type="l2", verbose=False)
            # s passed fresh each time: the library's default list is mutated across calls
            W = model.fit(X, lambda1=self.lambda1, w_threshold=0.0, T=int(self.T),
                          s=[1.0, 0.9, 0.8, 0.7, 0.6], warm_iter=int(self.warm_iter),
                          max_iter=int(self.max_iter))
        return _weighted_prediction(self, W, self.w_threshold, **rows, fit_s=time.perf_counter() - t0,
                                    h_final=float(model.h_final), suppressed=said.summary())


def _silence_tqdm(module) -> None:
    """DAGMA draws a tqdm bar even with verbose=False: give its module a disabled tqdm, one that
    also starts no monitor thread (tqdm starts it even for a disabled bar; a thread left in the
    job server's warm-up is a thread missing in every job forked from it, see bench.warmup)."""
    bar = getattr(module, "tqdm", None)
    if bar is not None and not getattr(bar, "_tabscm_quiet", False):
        class Disabled(bar):
            _tabscm_quiet = True
            monitor_interval = 0

            def __init__(self, *args, **kwargs):
                kwargs["disable"] = True
                super().__init__(*args, **kwargs)

        module.tqdm = Disabled
