"""Collapse checks shared by the harness (``bench.diagnostics``, ``bench.check``) and a trainer's validation
(``methods.tabscm.train``), so that a training loop flags a model that predicts nothing by the same rule as the
benchmark: one copy of the rule, where both can import it (``methods`` may not import ``bench``)."""
import numpy as np

BOOTSTRAP = 200            # resamples of off-diagonal pairs for the per-job AUROC interval
CI = 0.95


def auroc_interval(truth: np.ndarray, scores: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of AUROC (Mann-Whitney, ties one half) over off-diagonal pairs.

    Exact and vectorised, for speed at d = 100: each draw is binned by where it falls among the P tied-score groups
    holding a positive (3P + 1 bins), one bincount counts every resample, and a cumulative sum gives each resample's
    AUROC; resamples go in blocks of ~32k draws to reuse memory."""
    T = np.asarray(truth) != 0
    off = ~np.eye(T.shape[0], dtype=bool)
    y, s = T[off], np.asarray(scores, dtype=float)[off]
    if y.all() or not y.any():
        return float("nan"), float("nan")
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    group = np.cumsum(np.r_[False, s[1:] != s[:-1]])   # groups of tied scores, in score order
    pos_groups = np.unique(group[y])                    # the groups holding a positive
    P = len(pos_groups)
    k = np.full(group[-1] + 1, -1)
    k[pos_groups] = np.arange(P)
    kg = k[group]
    # bin of each pair: a negative strictly between positive groups k-1 and k -> 2k, a negative tied with positive
    # group k -> 2k + 1, a positive of group k -> 2P + 1 + k
    bin_of = np.where(y, 2 * P + 1 + kg, np.where(kg >= 0, 2 * kg + 1, 2 * np.searchsorted(pos_groups, group)))
    width, N = 3 * P + 1, len(s)
    rng = np.random.default_rng(seed)
    counts = np.empty((BOOTSTRAP, width), dtype=np.int64)
    rows = max(1, 2**15 // N)  # resamples per block: small arrays, reused, not fresh pages
    for r in range(0, BOOTSTRAP, rows):
        m = min(rows, BOOTSTRAP - r)
        cells = bin_of[rng.integers(0, N, (m, N))] + width * np.arange(m)[:, None]
        counts[r:r + m] = np.bincount(cells.ravel(), minlength=m * width).reshape(m, width)
    neg_upto = np.cumsum(counts[:, :2 * P + 1], axis=1)  # negatives up to each negative bin
    pos = counts[:, 2 * P + 1:].astype(float)
    n1, n0 = pos.sum(axis=1), neg_upto[:, 2 * P].astype(float)
    ok = (n1 > 0) & (n0 > 0)
    auc = (pos * (neg_upto[:, 0:2 * P:2] + 0.5 * counts[:, 1:2 * P:2])).sum(axis=1)[ok] / (n1[ok] * n0[ok])
    lo, hi = np.percentile(auc, [100 * (1 - CI) / 2, 100 * (1 + CI) / 2])
    return float(lo), float(hi)


def collapse_flags(truth: np.ndarray, scores: np.ndarray, n_pred_edges: float) -> dict:
    """``empty_output`` (no edge while the truth has one), ``full_output`` (every pair adjacent, d > 2),
    ``constant_scores`` (all off-diagonal scores tied), ``chance_auroc`` (the bootstrap interval of AUROC holds 0.5),
    and that interval (``auroc_ci_low``, ``auroc_ci_high``), for a truth [d, d], scores [d, d] and the number of
    edges the prediction's graph has."""
    T = np.asarray(truth) != 0
    d = T.shape[0]
    n_true = int(T[~np.eye(d, dtype=bool)].sum())
    lo, hi = auroc_interval(T, scores)
    return {"empty_output": bool(n_pred_edges == 0 and n_true > 0),
            "full_output": bool(d > 2 and n_pred_edges == d * (d - 1) / 2),
            "constant_scores": bool(np.ptp(np.asarray(scores, dtype=float)[~np.eye(d, dtype=bool)]) == 0),
            "chance_auroc": bool(np.isfinite(lo) and lo <= 0.5 <= hi),
            "auroc_ci_low": lo, "auroc_ci_high": hi}
