"""Job records -> jobs.csv (one row per job) and diagnostics.csv (flags per method). ``method`` is the setting's
label (``pc`` and ``pc(alpha=0.2)`` are two methods everywhere downstream); ``method_name`` is the registry name."""
import numpy as np
import pandas as pd

from .diagnostics import FAILURE_FLAGS, JOB_FLAGS, SORTABILITY_HIGH
from .leaderboard import is_trivial, mean_ci
from .metrics import HIGHER_IS_BETTER

FRONT = ["method", "method_name", "learned", "dataset", "suite", "seed", "status", "runtime_s",
         "n", "d", "params", "key", "dataset_digest", "budget_s", "error_message"]
ORIENTATION_SPLIT = ["orientation_compelled", "orientation_unidentifiable", "n_compelled_edges",
                     "n_unidentifiable_edges"]
COUNTED_FLAGS = JOB_FLAGS + ["no_better_than_trivial"] + FAILURE_FLAGS  # counted per method in diagnostics.csv
READS_SIM_MIN_EDGES = 10  # unidentifiable true edges (summed over jobs) needed before flagging


def jobs_table(records: list[dict]) -> pd.DataFrame:
    """One row per job: identity, status, runtime, every metric, dataset diagnostics, flags, and ``trivial_auroc``/
    ``trivial_best``: the best trivial baseline on the same dataset (NaN when none ran), ``no_better_than_trivial``
    (AUROC not above it) and ``high_sortability``."""
    rows = []
    for r in records:
        row = {k: r.get(k) for k in FRONT}
        row.update(method=r.get("label") or r.get("method"), method_name=r.get("method"),
                   params=str(r.get("params", {})), key=r["key"], error_message=r.get("error"))
        row.update({k: v for k, v in (r.get("tags") or {}).items() if k not in row})
        for part, prefix in (("metrics", ""), ("dataset_properties", "ds_"), ("flags", ""), ("probe", ""),
                             ("coverage", "")):
            row.update({prefix + k: v for k, v in (r.get(part) or {}).items()})
        rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    # e.g. a run on a user's CSV without a truth, or records from before a metric
    df = df.assign(**{m: np.nan for m in [*HIGHER_IS_BETTER, "n_pred_edges", "n_true_edges", *ORIENTATION_SPLIT]
                      if m not in df})
    for flag in JOB_FLAGS + FAILURE_FLAGS:
        df[flag] = df[flag].fillna(False).astype(bool) if flag in df else False
    # old records lack ``learned``: only learned methods were probed for dependence-blindness
    probed = df["probe_blind"].notna() if "probe_blind" in df else pd.Series(False, index=df.index)
    df["learned"] = df["learned"].where(df["learned"].notna(), probed).astype(bool)
    triv = is_trivial(df)
    # the same data *and truth*: a user's CSV run with and without --truth is two datasets of one name
    same = "dataset_digest" if "dataset_digest" in df and df["dataset_digest"].notna().all() else "dataset"
    ok = df[triv & (df["status"] == "ok") & df["auroc"].notna()]
    best = ok.loc[ok.groupby(same)["auroc"].idxmax()].set_index(same)
    df["trivial_auroc"], df["trivial_best"] = df[same].map(best["auroc"]), df[same].map(best["method"])
    beats_trivial = df["auroc"].fillna(0.5) > df["trivial_auroc"]
    scored = df["auroc"].notna() | (df["status"] != "ok")  # a job without a truth has nothing to compare
    df["no_better_than_trivial"] = ~triv & scored & df["trivial_auroc"].notna() & ~beats_trivial
    sort_cols = [c for c in ("ds_var_sortability", "ds_r2_sortability") if c in df]
    df["high_sortability"] = (df[sort_cols].max(axis=1) > SORTABILITY_HIGH) if sort_cols else False
    return df.sort_values([c for c in ["suite", "dataset", "method", "seed"] if c in df]).reset_index(drop=True)


def reads_simulator(jobs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of ``keys``, on successful observational linear-Gaussian jobs (the CPDAG is all such data identify):
    mean orientation of the true edges it leaves undirected, its 95% bootstrap interval over datasets (seeds averaged
    first), the edges counted once per dataset, and ``reads_simulator``: the interval exists and excludes 0.5, on at
    least READS_SIM_MIN_EDGES edges."""
    cols = keys + ["lingauss_unidentifiable_mean", "lingauss_unidentifiable_ci_low",
                   "lingauss_unidentifiable_ci_high", "lingauss_unidentifiable_edges", "reads_simulator"]
    if "mechanism" not in jobs or "interventional" not in jobs:
        return pd.DataFrame([], columns=cols)
    noise = jobs["noise"] if "noise" in jobs else jobs.get("ds_noise", pd.Series(np.nan, index=jobs.index))
    obs = jobs["interventional"].map(lambda v: v is False or v == 0 or str(v).lower() == "false")
    keep = (jobs["mechanism"] == "linear") & (noise == "gaussian") & obs & (jobs["status"] == "ok")
    rows = []
    for gkey, g in jobs[keep & jobs["orientation_unidentifiable"].notna()].groupby(keys):
        per = g.groupby(["method", "dataset"])[["orientation_unidentifiable", "n_unidentifiable_edges"]].mean()
        mean, lo, hi = mean_ci(per["orientation_unidentifiable"])
        edges = int(np.nansum(per["n_unidentifiable_edges"].to_numpy(dtype=float)))
        rows.append([*gkey, mean, lo, hi, edges,
                     bool(edges >= READS_SIM_MIN_EDGES and np.isfinite(lo) and not lo <= 0.5 <= hi)])
    return pd.DataFrame(rows, columns=cols)


def diagnostics_table(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per method x suite: how many jobs tripped each flag, and whether it reads the simulator."""
    g = jobs.groupby(["method", "suite"])
    out = g[COUNTED_FLAGS].sum().astype(int)
    out.insert(0, "jobs", g.size())
    out.insert(0, "learned", g["learned"].any())
    if "probe_blind" in jobs:
        probed = jobs[jobs["probe_blind"].notna()].groupby(["method", "suite"])
        out["probe_blind"] = probed["probe_blind"].sum().reindex(out.index)
        out["probe_score_change"] = probed["probe_score_change"].mean().reindex(out.index)
    if "outside_training" in jobs:  # learned methods that declare their training data: datasets outside it
        placed = jobs[jobs["outside_training"].notna()]
        placed = placed.assign(outside_training=placed["outside_training"].astype(bool))
        pg = placed.groupby(["method", "suite"])
        out["outside_training"] = pg["outside_training"].sum().reindex(out.index)
        out["outside_descriptors"] = pg.apply(_outside_summary, include_groups=False).reindex(out.index)
    out = out.join(reads_simulator(jobs, ["method", "suite"]).set_index(["method", "suite"]), how="left")
    out["reads_simulator"] = out["reads_simulator"].astype("boolean").fillna(False).astype(bool)
    return out.reset_index()


def _outside_summary(g: pd.DataFrame) -> str:
    """The descriptors that put a group's datasets outside the training data, most frequent first, with counts."""
    names = pd.Series([n for v in g.loc[g["outside_training"], "outside_descriptors"].dropna() for n in str(v).split(", ")
                       if n])
    return ", ".join(f"{k} ({v})" for k, v in names.value_counts().items())


def summary_flags(diag: pd.DataFrame) -> list[str]:
    """Plain sentences for every method x suite whose jobs tripped a failure flag."""
    lines = []
    for _, r in diag.iterrows():
        hits = [f"{f} {int(r[f])}/{r['jobs']}" for f in COUNTED_FLAGS if f in r and r[f] > 0]
        if r.get("reads_simulator", False):
            hits.append(f"reads_simulator ({r['lingauss_unidentifiable_mean']:.2f} of "
                        f"{int(r['lingauss_unidentifiable_edges'])} unidentifiable edges oriented right)")
        if hits:
            lines.append(f"**{r['method']}** on `{r['suite']}`: " + ", ".join(hits))
    return lines
