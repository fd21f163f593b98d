"""Bivariate cause-effect orienters from cdt 0.6.0 (``cdt.causality.pairwise``): ANM, IGCI, RECI, CDS.

These are the classical baselines of the Tübingen pairs (suite ``tuebingen``): given two
variables they only decide which causes which. cdt's ``predict_proba((a, b))`` is signed,
positive meaning a -> b (checked in each model's source), so a prediction is scores
[[0, s], [-s, 0]] and the one edge in the direction of s (none when s == 0). They run in
pure Python (no R). For d != 2 they raise ValueError: the harness records that as a failure.
Rows beyond ``max_rows`` are subsampled (a draw from ``seed``): ANM's Gaussian process is O(n^3).
"""
from __future__ import annotations

import time
from numbers import Integral

import numpy as np

from ._quiet import quiet
from .base import Method, Prediction
from .constraints import Interval, StrOptions
from .registry import register

_ROWS = [Interval(Integral, 3, None, closed="left"), None]


class _Pairwise(Method):
    """A cdt pairwise model as a Method; subclasses name the model and build it."""

    library = "cdt"
    time_budget_s = 300.0
    output = "dag"
    preload = ("methods._cdt",)
    n_variables = 2  # the only d these accept (ValueError otherwise); the harness runs them on pairs only
    parameter_constraints = {"max_rows": _ROWS, "seed": [Interval(Integral, 0, None, closed="left")]}

    def __init__(self, max_rows: int | None = None, seed: int = 0):
        self.max_rows = max_rows
        self.seed = seed

    def model(self, pairwise):  # pragma: no cover - interface
        raise NotImplementedError

    def score(self, model, a: np.ndarray, b: np.ndarray) -> float:
        return float(model.predict_proba((a, b)))

    def rows(self, n: int) -> np.ndarray:
        """Row indices used: all, or a sorted seeded draw of ``max_rows`` of them."""
        if self.max_rows is None or n <= self.max_rows:
            return np.arange(n)
        return np.sort(np.random.default_rng(self.seed).choice(n, self.max_rows, replace=False))

    def fit(self, obs) -> Prediction:
        X = np.asarray(obs.X, dtype=float)
        if X.shape[1] != 2:
            raise ValueError(f"bivariate method: needs exactly 2 variables, got {X.shape[1]}")
        X = X[self.rows(X.shape[0])]
        from ._cdt import pairwise
        t0 = time.perf_counter()
        with quiet() as said:
            s = self.score(self.model(pairwise), X[:, 0].copy(), X[:, 1].copy())
        if not np.isfinite(s):
            raise ValueError(f"{self.name}: the pairwise score is not finite ({s})")
        G = np.zeros((2, 2), dtype=np.int8)
        if s != 0:
            G[(0, 1) if s > 0 else (1, 0)] = 1
        return Prediction(np.array([[0.0, s], [-s, 0.0]]), G, False,
                          self.describe(rows_used=int(X.shape[0]), score=s, fit_s=time.perf_counter() - t0,
                                        suppressed=said.summary()))


@register("anm")
class ANM(_Pairwise):
    """Additive noise model (Hoyer et al. 2009): GP regression each way, HSIC of residual and input
    (cdt's ``normalized_hsic``); the direction with the more independent residual wins.

    noise_kernel: cdt's ``ANM`` fits ``GaussianProcessRegressor()`` with no noise term, whose
    length scale runs to its lower bound and interpolates the data (residuals are left only at
    repeated x), so True (default) adds a ``WhiteKernel`` (noise level by marginal likelihood,
    as in Mooij et al. 2016); False is cdt's ANM as shipped.
    """

    deterministic = False  # the row subsample depends on the seed
    parameter_constraints = {**_Pairwise.parameter_constraints, "noise_kernel": ["boolean"]}

    def __init__(self, noise_kernel: bool = True, max_rows: int | None = 500, seed: int = 0):
        super().__init__(max_rows, seed)
        self.noise_kernel = noise_kernel

    def model(self, pairwise):
        return pairwise.ANM()

    def score(self, model, a, b):
        if not self.noise_kernel:
            return float(model.predict_proba((a, b)))
        from cdt.causality.pairwise.ANM import normalized_hsic
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        a, b = ((v - v.mean()) / (v.std() or 1.0) for v in (a, b))

        def dependence(x, y):  # HSIC(residual of y on x, x): small when x -> y fits an ANM
            gp = GaussianProcessRegressor(ConstantKernel() * RBF() + WhiteKernel()).fit(x[:, None], y)
            return float(normalized_hsic(y - gp.predict(x[:, None]), x))

        return dependence(b, a) - dependence(a, b)


@register("igci")
class IGCI(_Pairwise):
    """Information-geometric causal inference (Daniusis et al. 2010), entropy estimator, cdt's
    default Gaussian reference measure (Mooij et al. 2016 found the uniform one better). cdt's
    other ("integral") estimator is not offered: under numpy 2 it indexes ``x[[idx]]`` as a
    [1, n] array, so its loops never run and it returns 0 for every pair."""

    parameter_constraints = {**_Pairwise.parameter_constraints,
                             "ref_measure": [StrOptions({"gaussian", "uniform"})]}

    def __init__(self, ref_measure: str = "gaussian", max_rows: int | None = None, seed: int = 0):
        super().__init__(max_rows, seed)
        self.ref_measure = ref_measure

    def model(self, pairwise):
        return pairwise.IGCI()

    def score(self, model, a, b):
        return float(model.predict_proba((a, b), ref_measure=self.ref_measure, estimator="entropy"))


@register("reci")
class RECI(_Pairwise):
    """Regression error based causal inference (Blöbaum et al. 2018): smaller min-max-scaled
    regression error in the causal direction."""

    parameter_constraints = {**_Pairwise.parameter_constraints, "degree": [Interval(Integral, 3, None, closed="left")]}

    def __init__(self, degree: int = 3, max_rows: int | None = None, seed: int = 0):
        super().__init__(max_rows, seed)
        self.degree = degree

    def model(self, pairwise):
        return pairwise.RECI(degree=self.degree)


@register("cds")
class CDS(_Pairwise):
    """Conditional distribution similarity (Fonollosa 2016): the effect's distribution given the
    cause varies less with the cause than the reverse."""

    parameter_constraints = {**_Pairwise.parameter_constraints,
                             "ffactor": [Interval(Integral, 1, None, closed="left")],
                             "maxdev": [Interval(Integral, 1, None, closed="left")],
                             "minc": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, ffactor: int = 2, maxdev: int = 3, minc: int = 12,
                 max_rows: int | None = None, seed: int = 0):
        super().__init__(max_rows, seed)
        self.ffactor = ffactor
        self.maxdev = maxdev
        self.minc = minc

    def model(self, pairwise):
        return pairwise.CDS(ffactor=self.ffactor, maxdev=self.maxdev, minc=self.minc)
