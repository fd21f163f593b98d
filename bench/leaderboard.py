"""leaderboard.csv: per method x suite (and tier), means with 95% bootstrap intervals, and a rank.

Failed jobs are already scored as the empty graph in jobs.csv, so they pull a method's means
down instead of vanishing from them; ``success_rate`` says how many there were.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import HIGHER_IS_BETTER

METRICS = ["auroc", "auprc", "f1", "shd", "shd_cpdag", "sid", "skeleton_auroc", "orientation_accuracy",
           "runtime_s"]
RANK_BY = "auroc"
RESAMPLES = 1000


def bootstrap_ci(values: np.ndarray, seed: int = 0) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), float("nan")
    if len(v) == 1:
        return float(v[0]), float(v[0])
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), (RESAMPLES, len(v)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _group_rows(jobs: pd.DataFrame, keys: list[str]) -> list[dict]:
    rows = []
    for gkey, g in jobs.groupby(keys, dropna=False):
        row = dict(zip(keys, gkey if isinstance(gkey, tuple) else (gkey,)))
        row["jobs"] = len(g)
        row["success_rate"] = float((g["status"] == "ok").mean())
        for m in METRICS:
            if m not in g:
                continue
            vals = g[m].to_numpy(dtype=float)
            row[f"{m}_mean"] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = bootstrap_ci(vals)
        rows.append(row)
    return rows


def leaderboard(jobs: pd.DataFrame) -> pd.DataFrame:
    """Rows per method x suite, plus per method x suite x tier where the suite has tiers."""
    rows = [dict(r, tier="all") for r in _group_rows(jobs, ["suite", "method"])]
    if "tier" in jobs and jobs["tier"].notna().any():
        tiered = jobs[jobs["tier"].notna()]
        rows += _group_rows(tiered, ["suite", "tier", "method"])
    lb = pd.DataFrame(rows)
    asc = not HIGHER_IS_BETTER[RANK_BY]
    lb["rank"] = lb.groupby(["suite", "tier"])[f"{RANK_BY}_mean"].rank(ascending=asc, method="min")
    front = ["suite", "tier", "rank", "method", "jobs", "success_rate"]
    lb = lb[front + [c for c in lb.columns if c not in front]]
    return lb.sort_values(["suite", "tier", "rank", "method"]).reset_index(drop=True)
