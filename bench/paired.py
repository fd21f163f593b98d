"""Paired comparisons across datasets, the unit of replication: per suite and tier, each method against the group's
winner and against its best trivial baseline, on the datasets both have a record on (a stochastic method's seeds
averaged first). Per metric: wins, ties and losses, the mean difference with its bootstrap interval over datasets
(``leaderboard.mean_ci``), and a Wilcoxon signed-rank p-value (scipy). Several methods at once: average ranks, the
Friedman test, then Nemenyi's post-hoc test (scikit-posthocs), for a critical-difference diagram."""
import numpy as np
import pandas as pd

from .leaderboard import TIE, dataset_means, groups, is_trivial, mean_ci, shared_datasets
from .metrics import HIGHER_IS_BETTER

HEADLINE = ["auroc", "auprc", "f1", "shd", "orientation_accuracy"]  # the metrics every paired table carries
CD_MIN_DATASETS = 5  # a Friedman test and a critical-difference diagram need at least this many shared datasets
COLUMNS = ["suite", "tier", "method", "learned", "reference", "role", "metric", "datasets", "wins", "ties", "losses",
           "method_mean", "reference_mean", "mean_diff", "ci_low", "ci_high", "p_wilcoxon"]


def wilcoxon_p(diff) -> float:
    """Two-sided Wilcoxon signed-rank p of paired differences; ties (|diff| <= TIE) dropped as Wilcoxon's own
    convention does; NaN when nothing is left to test."""
    from scipy.stats import wilcoxon
    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d) & (np.abs(d) > TIE)]
    if len(d) == 0:
        return float("nan")
    return float(wilcoxon(d).pvalue)


def compare(a: pd.Series, b: pd.Series, metric: str) -> dict:
    """``a`` against ``b`` (values per dataset, aligned on the index): record, means, difference a - b, p."""
    both = pd.concat([a, b], axis=1, keys=["a", "b"]).dropna()
    diff = (both["a"] - both["b"]).to_numpy(dtype=float)
    better = diff if HIGHER_IS_BETTER.get(metric, True) else -diff
    mean, lo, hi = mean_ci(diff)
    return {"datasets": len(diff), "wins": int((better > TIE).sum()), "ties": int((np.abs(better) <= TIE).sum()),
            "losses": int((better < -TIE).sum()), "method_mean": float(both["a"].mean()),
            "reference_mean": float(both["b"].mean()), "mean_diff": mean, "ci_low": lo, "ci_high": hi,
            "p_wilcoxon": wilcoxon_p(diff)}


def group_jobs(jobs: pd.DataFrame, suite: str, tier: str) -> pd.DataFrame:
    """The jobs of a leaderboard group."""
    sel = jobs["suite"] == suite
    return jobs[sel & (jobs["tier"] == tier)] if tier != "all" else jobs[sel]


def references(g: pd.DataFrame) -> dict[str, str]:
    """role -> method: the group's winner (first by rank) and its best trivial baseline, as the leaderboard ranks."""
    g = g[np.isfinite(g["ranked_auroc"].to_numpy(dtype=float))].sort_values(["rank", "method"])
    if g.empty:
        return {}
    out = {"winner": g["method"].iloc[0]}
    if is_trivial(g).any():
        out["best trivial"] = g.loc[is_trivial(g), "method"].iloc[0]
    return out


def roles(g: pd.DataFrame) -> dict[str, str]:
    """The references to pair against: the winner and the best trivial baseline, once when they are one method."""
    refs = references(g)
    if "best trivial" in refs and refs["best trivial"] == refs["winner"]:
        refs.pop("winner")
    return refs


def paired_table(jobs: pd.DataFrame, lb: pd.DataFrame, metrics=HEADLINE) -> pd.DataFrame:
    """paired.csv: per suite/tier, every method against the winner and the best trivial baseline, on the group's
    shared datasets, per headline metric."""
    rows = []
    for suite, tier, g in groups(lb):
        refs = roles(g)
        sub = group_jobs(jobs, suite, tier)
        per = dataset_means(sub[sub["dataset"].isin(shared_datasets(sub))], metrics)
        learned = g.set_index("method")["learned"]
        for role, ref in refs.items():
            for method in g["method"]:
                if method == ref:
                    continue
                for metric in (m for m in metrics if m in per):
                    rows.append({"suite": suite, "tier": tier, "method": method, "learned": bool(learned[method]),
                                 "reference": ref, "role": role, "metric": metric,
                                 **compare(per.loc[method, metric], per.loc[ref, metric], metric)})
    return pd.DataFrame(rows, columns=COLUMNS)


def rank_test(matrix: pd.DataFrame, metric: str = "auroc") -> tuple[pd.Series, float, pd.DataFrame]:
    """(average rank per method, Friedman p, Nemenyi p-values) of a datasets x methods matrix; rank 1 is best."""
    import scikit_posthocs as sp
    from scipy.stats import friedmanchisquare
    values = matrix if HIGHER_IS_BETTER.get(metric, True) else -matrix
    ranks = values.round(9).rank(axis=1, ascending=False).mean().sort_values()
    friedman = float(friedmanchisquare(*[matrix[c].to_numpy() for c in matrix.columns]).pvalue)
    nemenyi = sp.posthoc_nemenyi_friedman(matrix.to_numpy())
    nemenyi.index = nemenyi.columns = matrix.columns
    return ranks, friedman, nemenyi


def rank_matrices(jobs: pd.DataFrame, lb: pd.DataFrame, metric: str = "auroc"):
    """(suite, tier, datasets x methods matrix) per group with at least CD_MIN_DATASETS shared datasets and three
    methods: what a Friedman test and a critical-difference diagram are made of."""
    for suite, tier, g in groups(lb):
        sub = group_jobs(jobs, suite, tier)
        shared = shared_datasets(sub)
        if len(shared) < CD_MIN_DATASETS or g["method"].nunique() < 3:
            continue
        m = dataset_means(sub[sub["dataset"].isin(shared)], [metric])[metric].unstack("method").dropna()
        if len(m) >= CD_MIN_DATASETS:
            yield suite, tier, m
