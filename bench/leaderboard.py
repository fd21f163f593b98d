"""leaderboard.csv: per method x suite (and tier), means with 95% bootstrap intervals, and a rank; and the verdict
a reader needs first: who wins, and who does not beat a trivial baseline.

Failed jobs are scored as the empty graph in jobs.csv, so they pull a method's means down instead of vanishing
from them; ``success_rate`` says how many there were.
"""
import numpy as np
import pandas as pd

from .diagnostics import TRIVIAL_METHODS
from .markdown import ci_text
from .metrics import HIGHER_IS_BETTER

METRICS = ["auroc", "auprc", "f1", "shd", "shd_cpdag", "sid", "skeleton_auroc", "orientation_accuracy",
           "orientation_compelled", "orientation_unidentifiable", "runtime_s"]
COUNTS = ["n_compelled_edges", "n_unidentifiable_edges"]  # summed per row: how many edges the split rests on
RANK_BY = "auroc"
RESAMPLES = 1000
AUROC_CI = ["auroc_mean", "auroc_ci_low", "auroc_ci_high"]


def mean_ci(values) -> tuple[float, float, float]:
    """Mean of ``values`` (NaN skipped) and the 95% percentile-bootstrap interval of the mean of the finite ones."""
    a = np.asarray(values, dtype=float)
    v = a[np.isfinite(a)]
    if len(v) <= 1:
        return (float(v[0]) if len(v) else float("nan"),) * 3
    means = v[np.random.default_rng(0).integers(0, len(v), (RESAMPLES, len(v)))].mean(axis=1)
    return float(np.nanmean(a)), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def is_trivial(df: pd.DataFrame) -> pd.Series:
    """Rows of a trivial baseline, by registry name: ``abs-corr(edges_per_node=2.0)`` is one too."""
    names = df["method_name"] if "method_name" in df else df["method"]
    return names.fillna(df["method"]).isin(TRIVIAL_METHODS)


def _group_rows(jobs: pd.DataFrame, keys: list[str]) -> list[dict]:
    rows = []
    for gkey, g in jobs.groupby(keys, dropna=False):
        row = dict(zip(keys, gkey))
        row.update(method_name=g["method_name"].iloc[0] if "method_name" in g else row["method"],
                   learned=bool(g["learned"].any()) if "learned" in g else False, jobs=len(g),
                   success_rate=float((g["status"] == "ok").mean()))
        for m in (m for m in METRICS if m in g):
            row[f"{m}_mean"], row[f"{m}_ci_low"], row[f"{m}_ci_high"] = mean_ci(g[m])
        row.update({c: g[c].astype(float).sum(min_count=1) for c in COUNTS if c in g})
        rows.append(row)
    return rows


def leaderboard(jobs: pd.DataFrame) -> pd.DataFrame:
    """Rows per method x suite, plus per method x suite x tier where the suite has tiers."""
    rows = [dict(r, tier="all") for r in _group_rows(jobs, ["suite", "method"])]
    if "tier" in jobs and jobs["tier"].notna().any():
        rows += _group_rows(jobs[jobs["tier"].notna()], ["suite", "tier", "method"])
    lb = pd.DataFrame(rows)
    lb["rank"] = lb.groupby(["suite", "tier"])[f"{RANK_BY}_mean"].rank(ascending=not HIGHER_IS_BETTER[RANK_BY],
                                                                       method="min")
    front = ["suite", "tier", "rank", "method", "method_name", "learned", "jobs", "success_rate"]
    lb = lb[front + [c for c in lb.columns if c not in front]]
    return lb.sort_values(["suite", "tier", "rank", "method"]).reset_index(drop=True)


def groups(lb: pd.DataFrame):
    """(suite, tier, rows) per leaderboard group, without a suite's only tier when it holds the whole suite."""
    for (suite, tier), g in lb.groupby(["suite", "tier"], sort=True):
        sub = lb[lb["suite"] == suite]
        if tier != "all" and sub.loc[sub["tier"] != "all", "tier"].nunique() == 1 and \
                g["jobs"].sum() == sub.loc[sub["tier"] == "all", "jobs"].sum():
            continue
        yield suite, tier, g


def verdict(lb: pd.DataFrame) -> list[str]:
    """Markdown lines: first every learned method that does not beat the best trivial baseline, then one bullet
    per suite/tier with the winner, the baseline and everyone not above it."""
    alarms: dict[str, list[str]] = {}  # learned method -> where it does not beat the baseline
    bullets = []
    for suite, tier, g in groups(lb):
        g = g[np.isfinite(g["auroc_mean"].to_numpy(dtype=float))]
        if g.empty:
            continue
        g = g.sort_values(["auroc_mean", "method"], ascending=[False, True])
        win, where = g.iloc[0], f"`{suite}`" + ("" if tier == "all" else f" tier {tier}")
        is_triv = is_trivial(g)
        text = f"- {where}: **{win['method']}** wins, AUROC {ci_text(*win[AUROC_CI])}"
        if not is_triv.any():
            bullets.append(text + "; no trivial baseline ran here.")
            continue
        base = g[is_triv].iloc[0]
        if base["method"] == win["method"]:
            text = text.replace(f"**{win['method']}** wins", f"the trivial baseline **{win['method']}** wins") + "."
        else:
            text += f"; best trivial baseline {base['method']} {base['auroc_mean']:.3f}."
        below = g[~is_triv & ~(g["auroc_mean"] > base["auroc_mean"])]
        below = below.sort_values(["learned", "auroc_mean"], ascending=[False, False])
        for _, r in below[below["learned"]].iterrows():
            alarms.setdefault(r["method"], []).append(
                f"{where}: AUROC {ci_text(*r[AUROC_CI])} vs {base['method']} {base['auroc_mean']:.3f}")
        if len(below):
            text += " Not above it: " + ", ".join(
                (f"**{r['method']}** (learned)" if r["learned"] else r["method"]) + f" {r['auroc_mean']:.3f}"
                for _, r in below.iterrows()) + "."
        elif (~is_triv).any():
            text += " Every other method beats it."
        if suite == "tuebingen":  # one edge per pair: AUROC says little, orientation is the number
            text += " (d = 2 pairs: read the orientation accuracy in the Tübingen section.)"
        bullets.append(text)
    if not bullets:
        return ["No method has an AUROC in this run (no truth to score against)."]
    head = (["**A learned method does not beat the best trivial baseline (|corr|, partial correlation, "
             "sorting by variance or R²):**", "",
             *[f"- **{m}** (learned) does not beat the best trivial baseline on " + "; on ".join(w) + "."
               for m, w in alarms.items()], ""] if alarms else
            ["Every learned method in this run beats the best trivial baseline wherever one ran."
             if lb["learned"].any() else "No learned method in this run.", ""])
    return head + ["Per suite and tier (mean AUROC over jobs, 95% bootstrap interval):", "", *bullets]
