"""``bench compare A B``: two result folders (two checkpoints of a learned model, two versions of a baseline) on the
jobs they share by (method setting, dataset, seed). Per method and metric, B minus A paired dataset by dataset (seeds
averaged first, as everywhere): wins, ties and losses of B, the mean difference with its bootstrap interval over
datasets and a Wilcoxon p (``bench.paired.compare``); then the jobs whose scores changed, and those only one folder
holds. Written as compare.csv (the per-metric table) and compare.md."""
from pathlib import Path

import pandas as pd

from .atomic import write_atomic, write_text
from .leaderboard import METRICS, TIE
from .markdown import ci_text, md_table, p_text
from .paired import HEADLINE, compare
from .store import current_records
from .tables import jobs_table

KEY = ["method", "dataset", "seed"]
SCORES = [m for m in METRICS if m != "runtime_s"]  # what "changed" means: runtime always moves
SHOWN = 40  # changed or unshared jobs listed in compare.md; compare.csv has the table, the lists are counted


def folder_jobs(run_dir: str | Path) -> pd.DataFrame:
    """The folder's current records as jobs.csv rows; ValueError (one line) when it holds none."""
    if not (Path(run_dir) / "jobs").is_dir():
        raise ValueError(f"{run_dir}: no jobs/ folder here; not a results folder of `bench run`")
    records, _ = current_records(run_dir)
    if not records:
        raise ValueError(f"{run_dir}: no finished jobs to compare")
    return jobs_table(records)


def _changed(merged: pd.DataFrame) -> pd.Series:
    """Whether a shared job's status or any score differs between the folders (NaN on one side only counts)."""
    out = merged["status_a"] != merged["status_b"]
    for m in (m for m in SCORES if f"{m}_a" in merged and f"{m}_b" in merged):
        a, b = merged[f"{m}_a"].astype(float), merged[f"{m}_b"].astype(float)
        out |= ((a - b).abs() > TIE) | (a.isna() != b.isna())
    return out


def compare_folders(a: str | Path, b: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(per method x metric table, changed shared jobs, jobs in one folder only)."""
    ja, jb = folder_jobs(a), folder_jobs(b)
    merged = ja.merge(jb, on=KEY, suffixes=("_a", "_b"))
    rows = []
    for method, g in merged.groupby("method"):
        per = g.groupby("dataset")
        for metric in (m for m in METRICS if f"{m}_a" in g and f"{m}_b" in g):
            va, vb = per[f"{metric}_a"].mean(), per[f"{metric}_b"].mean()
            if va.isna().all() and vb.isna().all():
                continue
            r = compare(vb, va, metric)
            rows.append({"method": method, "metric": metric, "jobs": len(g), "datasets": r["datasets"],
                         "mean_a": r["reference_mean"], "mean_b": r["method_mean"], "wins_b": r["wins"],
                         "ties": r["ties"], "losses_b": r["losses"], "mean_diff": r["mean_diff"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_wilcoxon": r["p_wilcoxon"]})
    table = pd.DataFrame(rows, columns=["method", "metric", "jobs", "datasets", "mean_a", "mean_b", "wins_b", "ties",
                                        "losses_b", "mean_diff", "ci_low", "ci_high", "p_wilcoxon"])
    changed = merged[_changed(merged)] if len(merged) else merged
    changed = changed[[*KEY, "status_a", "status_b", "auroc_a", "auroc_b"]].reset_index(drop=True)
    keys = [set(map(tuple, j[KEY].to_numpy().tolist())) for j in (ja, jb)]
    only = pd.DataFrame([(*k, folder) for folder, mine, other in (("A", keys[0], keys[1]), ("B", keys[1], keys[0]))
                         for k in sorted(mine - other, key=str)], columns=[*KEY, "only_in"])
    return table, changed, only


def write_compare(a: str | Path, b: str | Path, out: str | Path = ".") -> list[Path]:
    """compare.csv and compare.md in ``out`` (made if needed)."""
    table, changed, only = compare_folders(a, b)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = write_atomic(out / "compare.csv", lambda f: table.to_csv(f, index=False))
    head = table[table["metric"].isin(HEADLINE)]
    view = pd.DataFrame({"method": head["method"], "metric": head["metric"], "jobs": head["jobs"],
                         "datasets": head["datasets"], "A": head["mean_a"], "B": head["mean_b"],
                         "B wins / ties / losses": [f"{int(w)} / {int(t)} / {int(lo)}" for w, t, lo in
                                                    head[["wins_b", "ties", "losses_b"]].to_numpy()],
                         "B - A [95% CI]": [ci_text(m, lo, hi, signed=True) for m, lo, hi in
                                            head[["mean_diff", "ci_low", "ci_high"]].to_numpy()],
                         "Wilcoxon p": head["p_wilcoxon"].map(p_text)})
    shared = int(table.groupby("method")["jobs"].first().sum()) if len(table) else 0
    lines = ["# bench compare", "", f"A: `{a}`", f"B: `{b}`", "",
             f"{shared} jobs shared by (method setting, dataset, seed); {len(changed)} of them changed (status or any "
             f"score); {int((only['only_in'] == 'A').sum())} only in A, {int((only['only_in'] == 'B').sum())} only "
             "in B.", "",
             "B minus A per method and metric, paired dataset by dataset (a stochastic method's seeds averaged first): "
             "how often B is better (for SHD lower is better), the mean difference with its 95% bootstrap interval "
             "over datasets (none from fewer than 3) and the two-sided Wilcoxon signed-rank p (ties dropped). Every "
             "metric, runtime included, is in `compare.csv`.", "",
             md_table(view) if len(view) else "No shared job has a score to compare.", ""]
    for title, df in (("Jobs whose scores changed", changed), ("Jobs in one folder only", only)):
        lines += [f"## {title} ({len(df)})", ""]
        if len(df):
            lines += [md_table(df.head(SHOWN).astype({"seed": int}))]
            lines += ["", f"... and {len(df) - SHOWN} more."] if len(df) > SHOWN else []
        else:
            lines.append("None.")
        lines.append("")
    md = write_text(out / "compare.md", "\n".join(lines))
    return [csv, md]
