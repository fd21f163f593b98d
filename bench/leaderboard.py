"""leaderboard.csv: per method x suite (and tier), means with 95% bootstrap intervals over datasets, and a rank; and
the verdict a reader needs first: who wins, and who does not beat a trivial baseline.

The dataset is the unit: a stochastic method's seeds are averaged within a dataset first, every interval is a bootstrap
over datasets, and methods are ranked on the datasets every one of them in the group has a record on (``ranked_*``),
so a method missing jobs cannot win on an easier subset. Failed jobs are scored as the empty graph in jobs.csv, so
they pull a method's means down instead of vanishing from them; ``success_rate`` says how many there were.
"""
import numpy as np
import pandas as pd

from .diagnostics import TRIVIAL_METHODS
from .markdown import ci_text, paired_text
from .metrics import HIGHER_IS_BETTER

METRICS = ["auroc", "auprc", "f1", "shd", "shd_cpdag", "sid", "skeleton_auroc", "orientation_accuracy",
           "orientation_compelled", "orientation_unidentifiable", "runtime_s"]
COUNTS = ["n_compelled_edges", "n_unidentifiable_edges"]  # summed over datasets: how many edges the split rests on
RANK_BY = "auroc"
RESAMPLES = 1000
MIN_CI = 3  # values (datasets) needed for a bootstrap interval: from one or two it only restates them
TIE = 1e-9  # differences smaller than this are ties (float rounding), named as ties everywhere
AUROC_CI = ["auroc_mean", "auroc_ci_low", "auroc_ci_high"]
RANKED_CI = ["ranked_auroc", "ranked_auroc_ci_low", "ranked_auroc_ci_high"]


def mean_ci(values) -> tuple[float, float, float]:
    """Mean of ``values`` (NaN skipped) and the 95% percentile-bootstrap interval of the mean of the finite ones; the
    interval is NaN with fewer than MIN_CI of them. The one bootstrap of the harness: callers pass one value per
    dataset (or per pair of datasets), the unit of replication."""
    a = np.asarray(values, dtype=float)
    v = a[np.isfinite(a)]
    if len(v) < MIN_CI:
        return float(v.mean()) if len(v) else float("nan"), float("nan"), float("nan")
    means = v[np.random.default_rng(0).integers(0, len(v), (RESAMPLES, len(v)))].mean(axis=1)
    return float(v.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def dataset_means(jobs: pd.DataFrame, metrics=None) -> pd.DataFrame:
    """One row per method x dataset (index), its metrics averaged over seeds: what every interval and test resamples."""
    cols = [m for m in (metrics or METRICS + COUNTS) if m in jobs]
    return jobs.groupby(["method", "dataset"])[cols].mean()


def shared_datasets(jobs: pd.DataFrame) -> list:
    """The datasets on which every method of ``jobs`` has a record: the only ones a ranking or a test may use."""
    sets = [set(g) for _, g in jobs.groupby("method")["dataset"]]
    return sorted(set.intersection(*sets)) if sets else []


def is_trivial(df: pd.DataFrame) -> pd.Series:
    """Rows of a trivial baseline, by registry name: ``abs-corr(edges_per_node=2.0)`` is one too."""
    return df["method_name"].isin(TRIVIAL_METHODS)


def _group_rows(jobs: pd.DataFrame, keys: list[str]) -> list[dict]:
    """Rows per group of ``keys`` (suite, tier) and method of ``jobs`` (a ``bench.tables.jobs_table``, which has every
    column read here); ``ranked_*`` over the group's shared datasets."""
    rows = []
    for gkey, grp in jobs.groupby(keys, dropna=False):
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        shared = shared_datasets(grp)
        for method, g in grp.groupby("method"):
            per = dataset_means(g).droplevel("method")
            row = dict(zip(keys, gkey), method=method)
            row.update(method_name=g["method_name"].iloc[0], learned=bool(g["learned"].any()), jobs=len(g),
                       n_datasets=len(per), success_rate=float((g["status"] == "ok").mean()),
                       sid_missing=int(g["sid"].isna().sum()))
            for m in (m for m in METRICS if m in per):
                row[f"{m}_mean"], row[f"{m}_ci_low"], row[f"{m}_ci_high"] = mean_ci(per[m])
            row.update({c: per[c].astype(float).sum(min_count=1) for c in COUNTS if c in per})
            row["ranked_datasets"] = len(shared)
            row.update(zip(RANKED_CI, mean_ci(per.loc[per.index.isin(shared), RANK_BY])))
            rows.append(row)
    return rows


def leaderboard(jobs: pd.DataFrame) -> pd.DataFrame:
    """Rows per method x suite, plus per method x suite x tier where the suite has tiers; ranked by mean AUROC over the
    datasets every method of the group has a record on (``ranked_datasets`` of them)."""
    rows = [dict(r, tier="all") for r in _group_rows(jobs, ["suite"])]
    if "tier" in jobs and jobs["tier"].notna().any():
        rows += _group_rows(jobs[jobs["tier"].notna()], ["suite", "tier"])
    lb = pd.DataFrame(rows)
    lb["rank"] = lb.groupby(["suite", "tier"])["ranked_auroc"].transform(
        lambda v: (v if HIGHER_IS_BETTER[RANK_BY] else -v).round(9).rank(ascending=False, method="min"))
    front = ["suite", "tier", "rank", "method", "method_name", "learned", "jobs", "n_datasets", "ranked_datasets",
             "success_rate", "sid_missing"]
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


def verdict(lb: pd.DataFrame, paired: pd.DataFrame | None = None, pairs=("tuebingen",)) -> list[str]:
    """Markdown lines: first every learned method that does not beat the best trivial baseline, then one bullet
    per suite/tier with the winner (or the methods tied for first), the baseline, everyone not above it and, from the
    ``paired`` table (``bench.paired``), each learned method's per-dataset record against the baseline. ``pairs``:
    the cause-effect suites (d = 2), whose bullets point at their own section."""
    alarms: dict[str, list[str]] = {}  # learned method -> where it does not beat the baseline
    bullets = []
    for suite, tier, g in groups(lb):
        g = g[np.isfinite(g["ranked_auroc"].to_numpy(dtype=float))]
        if g.empty:
            continue
        g = g.sort_values(["rank", "method"])
        where = f"`{suite}`" + ("" if tier == "all" else f" tier {tier}")
        shared, most = int(g["ranked_datasets"].iloc[0]), int(g["n_datasets"].max())
        top = g[g["rank"] == g["rank"].min()]
        win = top.iloc[0]
        names = " and ".join(f"**{m}**" for m in top["method"])
        text = (f"- {where}: {names} {'tie' if len(top) > 1 else 'wins'}, AUROC {ci_text(*win[RANKED_CI])} over "
                f"{shared} dataset{'s' * (shared != 1)}")
        if shared < most:
            text += f" (of {most}: only those every method here has a record on)"
        note = ("" if suite not in pairs else  # one edge per pair: AUROC says little, orientation is the number
                " (d = 2 pairs: read the orientation accuracy in the "
                + ("Tübingen section.)" if suite == "tuebingen" else "suite's cause–effect section.)"))
        is_triv = is_trivial(g)
        if not is_triv.any():
            bullets.append(text + "; no trivial baseline ran here." + note)
            continue
        base = g[is_triv].iloc[0]
        if base["method"] in set(top["method"]):
            text = text.replace(f"**{base['method']}**", f"the trivial baseline **{base['method']}**", 1) + "."
        else:
            text += f"; best trivial baseline {base['method']} {base['ranked_auroc']:.3f}."
        below = g[~is_triv & ~(g["ranked_auroc"] > base["ranked_auroc"] + TIE)]
        below = below.sort_values(["learned", "ranked_auroc"], ascending=[False, False])
        for _, r in below[below["learned"]].iterrows():
            alarms.setdefault(r["method"], []).append(
                f"{where}: AUROC {ci_text(*r[RANKED_CI])} vs {base['method']} {base['ranked_auroc']:.3f}")
        if len(below):
            text += " Not above it: " + ", ".join(
                (f"**{r['method']}** (learned)" if r["learned"] else r["method"]) + f" {r['ranked_auroc']:.3f}"
                for _, r in below.iterrows()) + "."
        elif (~is_triv).sum() > 1:  # with the winner alone, "every other method" would read as beating the winner
            text += " Every method besides the trivial baselines is above it."
        if paired is not None and len(paired):
            mine = paired[(paired["suite"] == suite) & (paired["tier"] == tier) & (paired["metric"] == RANK_BY)
                          & (paired["role"] == "best trivial") & paired["method"].isin(g.loc[g["learned"], "method"])]
            text += "".join(f" {paired_text(r)}." for _, r in mine.iterrows())
        bullets.append(text + note)
    if not bullets:
        return ["No method has an AUROC in this run (no truth to score against)."]
    head = (["**A learned method does not beat the best trivial baseline (|corr|, partial correlation, "
             "sorting by variance or R²):**", "",
             *[f"- **{m}** (learned) does not beat the best trivial baseline on " + "; on ".join(w) + "."
               for m, w in alarms.items()], ""] if alarms else
            ["Every learned method in this run beats the best trivial baseline wherever one ran."
             if lb["learned"].any() else "No learned method in this run.", ""])
    return head + ["Per suite and tier (mean AUROC over datasets, a stochastic method's seeds averaged first; 95% "
                   "bootstrap interval over datasets, none from fewer than 3):", "", *bullets]
