"""Failure diagnostics: flags per job, with their thresholds stated here and in the report. A collapsed
model (the original TabSCM: no edges, AUROC 0.50) trips empty_output, constant_scores and chance_auroc."""
import numpy as np

from methods.base import has_directed_cycle

BOOTSTRAP = 200            # resamples of off-diagonal pairs for the per-job AUROC interval
CI = 0.95
SORTABILITY_HIGH = 0.9     # var- or R2-sortability above this: a sorting shortcut exists
TRIVIAL_METHODS = ("abs-corr", "partial-corr", "varsort", "r2sort")

THRESHOLDS = {
    "empty_output": "no edge predicted while the truth has at least one",
    "full_output": "every pair of variables predicted adjacent (d > 2: a pair's one edge is no failure)",
    "constant_scores": "all off-diagonal scores tied (AUROC exactly 0.5)",
    "chance_auroc": f"the {int(CI * 100)}% bootstrap interval of AUROC ({BOOTSTRAP} resamples of pairs) "
                    "contains 0.5",
    "no_better_than_empty": "SHD at or above the empty graph's (= number of true edges)",
    "no_better_than_trivial": f"AUROC not above the best trivial baseline ({', '.join(TRIVIAL_METHODS)}) "
                              "on the same dataset",
    "cyclic_output": "the directed part of the graph has a cycle (e.g. PC's conflicting orientations); scored as "
                     "returned, SID undefined",
    "timeout": "killed past its time budget",
    "error": "raised, crashed or ran out of memory",
    "invalid": "output broke the contract (shape, NaN, values)",
    "high_sortability": f"dataset var- or R2-sortability above {SORTABILITY_HIGH}",
}
JOB_FLAGS = ["empty_output", "full_output", "constant_scores", "chance_auroc", "no_better_than_empty", "cyclic_output"]
FAILURE_FLAGS = ["timeout", "error", "invalid"]


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


def job_flags(truth: np.ndarray, prediction, metrics: dict) -> dict:
    """Flags of one finished job (see THRESHOLDS)."""
    d, n_true, n_pred = truth.shape[0], metrics["n_true_edges"], metrics["n_pred_edges"]
    lo, hi = auroc_interval(truth, prediction.scores)
    return {"empty_output": bool(n_pred == 0 and n_true > 0), "full_output": bool(d > 2 and n_pred == d * (d - 1) / 2),
            "constant_scores": bool(np.ptp(np.asarray(prediction.scores, dtype=float)[~np.eye(d, dtype=bool)]) == 0),
            "chance_auroc": bool(np.isfinite(lo) and lo <= 0.5 <= hi),
            "no_better_than_empty": bool(n_true > 0 and metrics["shd"] >= n_true),
            "cyclic_output": has_directed_cycle(prediction.graph),
            "auroc_ci_low": lo, "auroc_ci_high": hi}


def failure_flags(status: str, error: str | None) -> dict:
    return {"timeout": status == "timeout", "error": status == "error", "invalid": status == "invalid"}
