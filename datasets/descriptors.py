"""Descriptors of a table: what structure learning meets in it, computed from the data alone (no truth).

``describe(X, interventions)`` returns a flat dict of floats, the same keys for any table, so that a benchmark
dataset can be placed against the datasets a learned model was trained on (``bench.training_coverage``) and so that a
result can be read against the properties of its data (``jobs.csv``, prefix ``ds_``). Truth-based facts
(var-/R2-sortability over causal paths, density) stay in ``datasets.properties``: a model never sees them.

Columns are z-scored first (the learned models read z-scored data); rows are capped at ``MAX_ROWS`` (seeded).

- ``n``, ``d``, ``intervened_row_share``: size, and the share of rows with any variable set by intervention.
- ``abs_corr_mean`` / ``abs_corr_max``: |Pearson correlation| over pairs.
- ``dependent_pair_share``: pairs whose correlation is significant (|r| sqrt(n) > ``SIGNIFICANT_Z``), and
  ``partial_dependent_share`` the same for partial correlations given all others (Fisher z): a data-only
  estimate of how dense the (moral) graph is. ``partial_degree_max_share``: the largest number of significant
  partial correlations of one variable over d - 1 (hubs), ``partial_degree_ratio`` the largest over the mean.
  On the same graph of significant partial correlations (an estimate of the moral graph, as in graphical-lasso and
  GGM-based structure learning): ``partial_degree_mean`` (mean degree, not divided by d - 1: density and size
  apart), ``partial_degree_dispersion`` (variance over mean of the degrees: about 1 - p for an Erdos-Renyi graph,
  whose degrees are binomial, above 1 for hubs), ``partial_leaf_share`` / ``partial_isolated_share`` (variables with
  one / no partial dependence: trees have many leaves and no isolated variable), and, without a threshold,
  ``partial_corr_abs_mean`` (mean |partial correlation|) and ``partial_strength_ratio`` (largest over median row sum
  of |partial correlation|: hubs).
- ``skewness_median`` / ``_max`` (|skewness|), ``kurtosis_median`` / ``_max`` (excess kurtosis) of the marginals.
- ``outlier_share``: values more than ``OUTLIER_Z`` robust standard deviations (1.4826 MAD) from the median.
- ``gauss_distance_median`` / ``_max``: Wasserstein-1 distance of each standardized marginal to N(0, 1).
- ``tie_share``: 1 - the median share of distinct values per column (discretized or censored measurements).
- ``log_var_spread``: standard deviation of the columns' log variances before z-scoring (raw scales; 0 when
  z-scored).
- Regressions (the rest of this list) use the observational rows when there are at least ``MIN_REGRESSION_ROWS``
  of them and a fifth of the table: an intervened row is set from outside, not by its mechanism.
- ``r2_linear_median`` / ``_max``: held-out R^2 of a linear regression of each variable on its ``CANDIDATES``
  most related others (by |corr| and by |corr| with their squares); ``nonlinearity_median`` / ``_max`` /
  ``nonlinear_share``: the held-out gain in R^2 of an additive cubic basis (z, z^2, z^3, tanh) on the same
  candidates over the linear fit, and the share of variables where it exceeds ``NONLINEAR_GAIN``;
  ``nonlinear_share_explained`` the same share among the variables the flexible fit explains (R^2 above
  ``EXPLAINED``: mostly those with parents), near 0 or 1 when one mechanism drives every node, between when many.
  ``nonlinearity_iqr``: the interquartile range of that gain over the explained variables, and
  ``nonlinear_even_sd``: over the variables with a gain, the spread (sd) of the share of it that the even term z^2
  gives (against the odd terms z^3, tanh): one mechanism per dataset bends every variable alike, a mechanism per
  node (e.g. quadratic beside sine) does not.
- ``heteroscedasticity_median``: R^2 of the squared (held-out, flexible) residuals regressed on the fitted value
  and its square; 0 when the noise variance does not depend on the parents.
- ``resid_abs_skew_median``, ``resid_kurtosis_median``, ``resid_nongaussianity_median``: the residuals'
  |skewness|, excess kurtosis and skew^2 + kurt^2 / 4 (Jarque-Bera over n): non-Gaussian noise.
  ``resid_kurtosis_linear``: the residuals' excess kurtosis over the variables explained (R^2 above ``EXPLAINED``)
  without a nonlinear gain, where a residual is the noise itself rather than a misfit (all variables if none).
"""
from __future__ import annotations

import numpy as np

DESCRIPTOR_VERSION = 4
MAX_ROWS = 2000
CANDIDATES = 6
SIGNIFICANT_Z = 3.0
OUTLIER_Z = 5.0
NONLINEAR_GAIN = 0.05
EXPLAINED = 0.3
MIN_REGRESSION_ROWS = 50
DESCRIPTORS = ("n", "d", "intervened_row_share", "abs_corr_mean", "abs_corr_max", "dependent_pair_share",
               "partial_dependent_share", "partial_degree_max_share", "partial_degree_ratio", "partial_degree_mean",
               "partial_degree_dispersion", "partial_leaf_share", "partial_isolated_share", "partial_corr_abs_mean",
               "partial_strength_ratio", "skewness_median",
               "skewness_max", "kurtosis_median", "kurtosis_max", "outlier_share", "gauss_distance_median",
               "gauss_distance_max", "tie_share", "log_var_spread", "r2_linear_median", "r2_linear_max",
               "nonlinearity_median", "nonlinearity_max", "nonlinear_share", "nonlinear_share_explained",
               "nonlinearity_iqr", "nonlinear_even_sd", "heteroscedasticity_median",
               "resid_abs_skew_median", "resid_kurtosis_median", "resid_nongaussianity_median",
               "resid_kurtosis_linear")


def _moments(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(skewness, excess kurtosis) per column of [n, k]."""
    Z = Z - Z.mean(axis=0)
    s = Z.std(axis=0)
    s = np.where(s > 0, s, 1.0)
    Z = Z / s
    return (Z ** 3).mean(axis=0), (Z ** 4).mean(axis=0) - 3.0


def _basis(Z: np.ndarray) -> np.ndarray:
    """[n, k] -> [n, 4k]: an additive basis flexible enough for the generator's mechanisms and cheap."""
    return np.concatenate([Z, Z ** 2 - 1.0, np.clip(Z, -4, 4) ** 3 / 4.0, np.tanh(2.0 * Z)], axis=1)


def _cv_fit(F: np.ndarray, y: np.ndarray, fold: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Out-of-fold ridge predictions of y [n] from F [n, p] (two folds, intercept)."""
    pred = np.empty_like(y)
    for k in (0, 1):
        tr, te = fold != k, fold == k
        Ft = np.column_stack([np.ones(tr.sum()), F[tr]])
        G = Ft.T @ Ft
        G[np.diag_indices_from(G)] += ridge * tr.sum()
        G[0, 0] -= ridge * tr.sum()  # the intercept is not shrunk
        w = np.linalg.solve(G, Ft.T @ y[tr])
        pred[te] = w[0] + F[te] @ w[1:]
    return pred


class _Grams:
    """Per fold, the Gram matrix of [1, basis(Z)] on the other fold: every regression of a column on a few others
    (linear: their z; flexible: their whole basis) is then a small solve, not a pass over the rows."""

    def __init__(self, Z: np.ndarray, fold: np.ndarray, ridge: float = 1e-3):
        self.d, self.fold = Z.shape[1], fold
        self.B = np.column_stack([np.ones(len(Z)), _basis(Z)])
        self.G, self.test = [], [self.B[fold == k] for k in (0, 1)]
        for k in (0, 1):
            Bt = self.B[fold != k]
            G = Bt.T @ Bt
            G[np.diag_indices_from(G)] += ridge * len(Bt)
            G[0, 0] -= ridge * len(Bt)
            self.G.append(G)

    def predict(self, j: int, cand: np.ndarray, flexible) -> np.ndarray:
        """Out-of-fold predictions of z_j from ``cand`` on basis blocks ``flexible`` (True: all four, False: z
        alone, or a tuple of block numbers: 0 z, 1 z^2, 2 z^3, 3 tanh)."""
        blocks = range(4) if flexible is True else (0,) if flexible is False else flexible
        cols = 1 + np.concatenate([cand + b * self.d for b in blocks])
        idx = np.concatenate([[0], cols])
        pred = np.empty(len(self.B))
        for k in (0, 1):
            G = self.G[k]
            w = np.linalg.solve(G[np.ix_(idx, idx)], G[idx, 1 + j])
            pred[self.fold == k] = self.test[k][:, idx] @ w
        return pred


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    v = float(np.var(y))
    return 1.0 - float(np.mean((y - pred) ** 2)) / v if v > 0 else 0.0


def describe(X, interventions=None, seed: int = 0) -> dict:
    """Descriptors (``DESCRIPTORS``, the module docstring) of a table X [n, d] with an optional mask [n, d]."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # small matrices: threads cost more than they save, and a worker runs one job
        return _describe(X, interventions, seed)


def _describe(X, interventions, seed: int) -> dict:
    X = np.asarray(X, dtype=float)
    n_all, d = X.shape
    mask = None if interventions is None else np.asarray(interventions, dtype=bool)
    out = dict.fromkeys(DESCRIPTORS, float("nan"))
    out.update(n=float(n_all), d=float(d),
               intervened_row_share=float(mask.any(axis=1).mean()) if mask is not None and n_all else 0.0)
    if n_all < 4 or d < 1:
        return out
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDE5C]))
    rows = np.arange(n_all)
    if n_all > MAX_ROWS:
        rows = np.sort(rng.choice(n_all, MAX_ROWS, replace=False))
        X = X[rows]
    n = X.shape[0]
    observational = np.ones(n, dtype=bool) if mask is None else ~mask[rows].any(axis=1)
    with np.errstate(all="ignore"):
        var = X.var(axis=0)
        ok = np.isfinite(var) & (var > 0)
        out["log_var_spread"] = float(np.std(np.log(var[ok]))) if ok.any() else 0.0
        Z = (X - X.mean(axis=0)) / np.where(var > 0, np.sqrt(var), 1.0)
        Z = np.nan_to_num(Z)
        skew, kurt = _moments(Z)
        out.update(skewness_median=float(np.median(np.abs(skew))), skewness_max=float(np.abs(skew).max()),
                   kurtosis_median=float(np.median(kurt)), kurtosis_max=float(kurt.max()))
        med = np.median(X, axis=0)
        mad = 1.4826 * np.median(np.abs(X - med), axis=0)
        scale = np.where(mad > 0, mad, np.sqrt(var))
        scale = np.where(scale > 0, scale, 1.0)
        out["outlier_share"] = float((np.abs(X - med) / scale > OUTLIER_Z).mean())
        from scipy.stats import norm
        m = min(n, 500)
        q = norm.ppf((np.arange(m) + 0.5) / m)
        sub = np.sort(Z[rng.choice(n, m, replace=False)] if n > m else Z, axis=0)
        sub = (sub - sub.mean(axis=0)) / np.where(sub.std(axis=0) > 0, sub.std(axis=0), 1.0)
        w1 = np.abs(sub - q[:, None]).mean(axis=0)
        out.update(gauss_distance_median=float(np.median(w1)), gauss_distance_max=float(w1.max()))
        out["tie_share"] = float(1.0 - np.median([len(np.unique(X[:, j])) / n for j in range(d)]))
    if d < 2:
        return out
    C = np.clip(np.nan_to_num(Z.T @ Z / n), -1, 1)
    off = ~np.eye(d, dtype=bool)
    A = np.abs(C[off])
    out.update(abs_corr_mean=float(A.mean()), abs_corr_max=float(A.max()),
               dependent_pair_share=float((A * np.sqrt(n) > SIGNIFICANT_Z).mean()))
    P = np.linalg.inv(C + 1e-3 * np.eye(d))
    dg = np.sqrt(np.abs(np.diag(P)))
    pc = np.clip(-P / np.outer(dg, dg), -0.999999, 0.999999)
    sig = (np.abs(np.arctanh(pc)) * np.sqrt(max(n - d - 1, 1)) > SIGNIFICANT_Z) & off
    deg = sig.sum(axis=1)
    strength = np.abs(np.where(off, pc, 0.0)).sum(axis=1)
    out.update(partial_dependent_share=float(sig[off].mean()), partial_degree_max_share=float(deg.max() / (d - 1)),
               partial_degree_ratio=float(deg.max() / deg.mean()) if deg.mean() > 0 else 0.0,
               partial_degree_mean=float(deg.mean()),
               partial_degree_dispersion=float(deg.var() / deg.mean()) if deg.mean() > 0 else 0.0,
               partial_leaf_share=float((deg == 1).mean()), partial_isolated_share=float((deg == 0).mean()),
               partial_corr_abs_mean=float(np.abs(pc[off]).mean()),
               partial_strength_ratio=float(strength.max() / np.median(strength)) if np.median(strength) > 0 else 0.0)
    # regressions of each variable on a few related others: linear vs additive cubic, held out; on the
    # observational rows where there are enough (an intervened row is set from outside, not by its mechanism)
    if observational.sum() >= max(MIN_REGRESSION_ROWS, 0.2 * n):
        Z = Z[observational]
        Z = np.nan_to_num((Z - Z.mean(axis=0)) / np.where(Z.std(axis=0) > 0, Z.std(axis=0), 1.0))
        n = Z.shape[0]
        C = np.clip(Z.T @ Z / n, -1, 1)
    S2 = Z ** 2 - 1.0
    C2 = np.abs(np.nan_to_num(Z.T @ S2 / n))  # |corr(z_j, z_i^2)|: quadratic links that correlation misses
    fold = rng.permutation(n) % 2
    k = min(CANDIDATES, d - 1)
    r2l, r2f, gain, het, rsk, rku, even = [], [], [], [], [], [], []
    absC = np.abs(C)
    grams = _Grams(Z, fold)
    for j in range(d):
        rel = np.maximum(absC[j], C2[:, j])
        rel[j] = -1.0
        cand = np.argsort(-rel, kind="stable")[:k]
        y = Z[:, j]
        lin, flex = grams.predict(j, cand, False), grams.predict(j, cand, True)
        a, b = _r2(y, lin), _r2(y, flex)
        r2l.append(a), r2f.append(b)
        gain.append(max(0.0, b - a))
        if b - a > NONLINEAR_GAIN and b > EXPLAINED:  # how much of the bend is even (z^2) rather than odd
            ev = max(0.0, _r2(y, grams.predict(j, cand, (0, 1))) - a)
            od = max(0.0, _r2(y, grams.predict(j, cand, (0, 2, 3))) - a)
            even.append(ev / (ev + od) if ev + od > 0 else 0.5)
        res = y - flex
        r2res = res ** 2
        fh = np.column_stack([flex, flex ** 2])
        het.append(max(0.0, _r2(r2res, _cv_fit(fh, r2res, fold))))
        s, ku = _moments(res[:, None])
        rsk.append(abs(float(s[0]))), rku.append(float(ku[0]))
    r2l, gain = np.asarray(r2l), np.asarray(gain)
    explained = np.asarray(r2f) > EXPLAINED
    rsk, rku = np.asarray(rsk), np.asarray(rku)
    out.update(r2_linear_median=float(np.median(r2l)), r2_linear_max=float(r2l.max()),
               nonlinearity_median=float(np.median(gain)), nonlinearity_max=float(gain.max()),
               nonlinear_share=float((gain > NONLINEAR_GAIN).mean()),
               nonlinear_share_explained=float((gain[explained] > NONLINEAR_GAIN).mean()) if explained.any() else 0.0,
               nonlinearity_iqr=float(np.subtract(*np.percentile(gain[explained], [75, 25]))) if explained.any()
               else 0.0,
               nonlinear_even_sd=float(np.std(even)) if even else 0.0,
               heteroscedasticity_median=float(np.median(het)),
               resid_abs_skew_median=float(np.median(rsk)), resid_kurtosis_median=float(np.median(rku)),
               resid_nongaussianity_median=float(np.median(rsk ** 2 + rku ** 2 / 4.0)))
    linear = explained & (gain <= NONLINEAR_GAIN)  # residuals there are the noise itself, not a misfit
    out["resid_kurtosis_linear"] = float(np.median(rku[linear] if linear.any() else rku))
    return {k: float(v) for k, v in out.items()}
