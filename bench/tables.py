"""Job records -> tables: jobs.csv (one row per job) and diagnostics.csv (flags per method)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .diagnostics import FAILURE_FLAGS, JOB_FLAGS, SORTABILITY_HIGH, TRIVIAL_METHODS
from .metrics import HIGHER_IS_BETTER

FRONT = ["method", "dataset", "suite", "seed", "status", "runtime_s"]


def jobs_table(records: list[dict]) -> pd.DataFrame:
    """One row per job: identity, status, runtime, every metric, dataset diagnostics, flags."""
    rows = []
    for r in records:
        row = {k: r.get(k) for k in FRONT}
        row.update(n=r.get("n"), d=r.get("d"), params=str(r.get("params", {})), key=r["key"],
                   dataset_digest=r.get("dataset_digest"),
                   budget_s=r.get("budget_s"), error_message=r.get("error"))
        row.update({k: v for k, v in (r.get("tags") or {}).items() if k not in row})
        row.update(r.get("metrics") or {})
        row.update({f"ds_{k}": v for k, v in (r.get("dataset_properties") or {}).items()})
        row.update(r.get("flags") or {})
        row.update(r.get("probe") or {})
        rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    for metric in list(HIGHER_IS_BETTER) + ["n_pred_edges", "n_true_edges"]:
        if metric not in df:  # e.g. a run on a user's CSV without a truth
            df[metric] = np.nan
    for flag in JOB_FLAGS + FAILURE_FLAGS:
        if flag not in df:
            df[flag] = False
        df[flag] = df[flag].fillna(False).astype(bool)
    df = add_trivial_comparison(df)
    sort = [c for c in ["suite", "dataset", "method", "seed"] if c in df]
    return df.sort_values(sort).reset_index(drop=True)


def add_trivial_comparison(df: pd.DataFrame) -> pd.DataFrame:
    """``trivial_auroc``: the best trivial baseline's AUROC on the same dataset (NaN when none ran);
    ``no_better_than_trivial``: AUROC not above it."""
    trivial = df[df["method"].isin(TRIVIAL_METHODS) & (df["status"] == "ok") & df["auroc"].notna()]
    best = trivial.groupby("dataset")["auroc"].max() if "auroc" in df else pd.Series(dtype=float)
    best_name = (trivial.loc[trivial.groupby("dataset")["auroc"].idxmax(), ["dataset", "method"]]
                 .set_index("dataset")["method"] if len(trivial) else pd.Series(dtype=object))
    df["trivial_auroc"] = df["dataset"].map(best)
    df["trivial_best"] = df["dataset"].map(best_name)
    is_trivial = df["method"].isin(TRIVIAL_METHODS)
    df["no_better_than_trivial"] = (~is_trivial) & df["trivial_auroc"].notna() & ~(
        df["auroc"].fillna(0.5) > df["trivial_auroc"])
    sort_cols = [c for c in ("ds_var_sortability", "ds_r2_sortability") if c in df]
    df["high_sortability"] = (df[sort_cols].max(axis=1) > SORTABILITY_HIGH) if sort_cols else False
    return df


def diagnostics_table(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per method x suite: how many jobs tripped each flag."""
    flags = JOB_FLAGS + ["no_better_than_trivial"] + FAILURE_FLAGS
    g = jobs.groupby(["method", "suite"])
    out = g[flags].sum().astype(int)
    out.insert(0, "jobs", g.size())
    if "probe_blind" in jobs:
        probed = jobs[jobs["probe_blind"].notna()]
        out["probe_blind"] = probed.groupby(["method", "suite"])["probe_blind"].sum().reindex(out.index)
        out["probe_score_change"] = probed.groupby(["method", "suite"])["probe_score_change"].mean().reindex(out.index)
    return out.reset_index()


def summary_flags(diag: pd.DataFrame) -> list[str]:
    """Plain sentences for every method x suite whose jobs tripped a failure flag."""
    lines = []
    for _, r in diag.iterrows():
        n = r["jobs"]
        hits = [f"{f} {int(r[f])}/{n}" for f in JOB_FLAGS + ["no_better_than_trivial"] + FAILURE_FLAGS
                if f in r and r[f] > 0]
        if hits:
            lines.append(f"**{r['method']}** on `{r['suite']}`: " + ", ".join(hits))
    return lines
