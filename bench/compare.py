"""``bench compare A B``: two result folders (two checkpoints of a learned model, two versions of a baseline) on the
jobs they share by (method setting, dataset, seed). Per method and metric, B minus A paired dataset by dataset (seeds
averaged first, as everywhere): wins, ties and losses of B, the mean difference with its bootstrap interval over
datasets and a Wilcoxon p (``bench.paired.compare``); then the jobs whose scores changed, and those only one folder
holds. Written as compare.csv (the per-metric table) and compare.md.

``by_name`` pairs on the method's registered name instead of its setting, so a candidate run as
``tabscm(checkpoint=...)`` meets the shipped ``tabscm``; ``per_suite`` splits every row by suite, as a promotion
decision reads it."""
from pathlib import Path

import pandas as pd

from .atomic import write_atomic, write_text
from .leaderboard import METRICS, TIE
from .markdown import ci_text, md_table, p_text
from .paired import HEADLINE, compare
from .store import current_records
from .tables import jobs_table

KEY = ["method", "dataset", "seed"]
ALL = "all"  # the suite column of a row over every shared dataset
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


def _by_name(jobs: pd.DataFrame, folder: str | Path, shared: set) -> pd.DataFrame:
    """Jobs keyed by method name; ValueError (one line) when the folder holds two settings of a name both folders
    hold, which name alone cannot pair."""
    settings = jobs[jobs["method_name"].isin(shared)].groupby("method_name")["method"].unique()
    for name, held in settings[settings.map(len) > 1].items():
        raise ValueError(f"{folder}: holds {len(held)} settings of {name} ({', '.join(sorted(held))}); "
                         "--by-name pairs one setting per name")
    return jobs.assign(setting=jobs["method"], method=jobs["method_name"])


def compare_folders(a: str | Path, b: str | Path, by_name: bool = False,
                    per_suite: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(per method x suite x metric table, changed shared jobs, jobs in one folder only); the suite is ``all``
    unless ``per_suite``, which adds a row per suite after each method's ``all``."""
    ja, jb = folder_jobs(a), folder_jobs(b)
    if by_name:
        shared = set(ja["method_name"]) & set(jb["method_name"])
        ja, jb = _by_name(ja, a, shared), _by_name(jb, b, shared)
    else:
        ja, jb = ja.assign(setting=ja["method"]), jb.assign(setting=jb["method"])
    merged = ja.merge(jb, on=KEY, suffixes=("_a", "_b"))
    rows = []
    for method, g in merged.groupby("method"):
        groups = [(ALL, g)] + (list(g.groupby("suite_a")) if per_suite else [])
        for suite, s in groups:
            rows += _rows(method, suite, s)
    table = pd.DataFrame(rows, columns=["method", "setting_a", "setting_b", "suite", "metric", "jobs", "datasets",
                                        "mean_a", "mean_b", "wins_b", "ties", "losses_b", "mean_diff", "ci_low",
                                        "ci_high", "p_wilcoxon"])
    changed = merged[_changed(merged)] if len(merged) else merged
    changed = changed[[*KEY, "status_a", "status_b", "auroc_a", "auroc_b"]].reset_index(drop=True)
    keys = [set(map(tuple, j[KEY].to_numpy().tolist())) for j in (ja, jb)]
    only = pd.DataFrame([(*k, folder) for folder, mine, other in (("A", keys[0], keys[1]), ("B", keys[1], keys[0]))
                         for k in sorted(mine - other, key=str)], columns=[*KEY, "only_in"])
    return table, changed, only


def _rows(method: str, suite: str, g: pd.DataFrame) -> list[dict]:
    """One row per metric scored in both folders: B against A over the datasets of ``g``."""
    per = g.groupby("dataset")
    rows = []
    for metric in (m for m in METRICS if f"{m}_a" in g and f"{m}_b" in g):
        va, vb = per[f"{metric}_a"].mean(), per[f"{metric}_b"].mean()
        if va.isna().all() and vb.isna().all():
            continue
        r = compare(vb, va, metric)
        rows.append({"method": method, "setting_a": g["setting_a"].iloc[0], "setting_b": g["setting_b"].iloc[0],
                     "suite": suite, "metric": metric, "jobs": len(g), "datasets": r["datasets"],
                     "mean_a": r["reference_mean"], "mean_b": r["method_mean"], "wins_b": r["wins"],
                     "ties": r["ties"], "losses_b": r["losses"], "mean_diff": r["mean_diff"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p_wilcoxon": r["p_wilcoxon"]})
    return rows


def write_compare(a: str | Path, b: str | Path, out: str | Path = ".", by_name: bool = False,
                  per_suite: bool = False) -> list[Path]:
    """compare.csv and compare.md in ``out`` (made if needed)."""
    table, changed, only = compare_folders(a, b, by_name, per_suite)
    paired = table[["setting_a", "setting_b"]].drop_duplicates().to_numpy().tolist() if by_name else []
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = write_atomic(out / "compare.csv", lambda f: table.to_csv(f, index=False))
    head = table[table["metric"].isin(HEADLINE)]
    view = pd.DataFrame({"method": head["method"], **({"suite": head["suite"]} if per_suite else {}),
                         "metric": head["metric"], "jobs": head["jobs"],
                         "datasets": head["datasets"], "A": head["mean_a"], "B": head["mean_b"],
                         "B wins / ties / losses": [f"{int(w)} / {int(t)} / {int(lo)}" for w, t, lo in
                                                    head[["wins_b", "ties", "losses_b"]].to_numpy()],
                         "B - A [95% CI]": [ci_text(m, lo, hi, signed=True) for m, lo, hi in
                                            head[["mean_diff", "ci_low", "ci_high"]].to_numpy()],
                         "Wilcoxon p": head["p_wilcoxon"].map(p_text)})
    shared = int(table[table["suite"] == ALL].groupby("method")["jobs"].first().sum()) if len(table) else 0
    pairing = ["Paired by name: " + "; ".join(f"`{s_a}` (A) with `{s_b}` (B)" for s_a, s_b in paired) + ".", ""]
    lines = ["# bench compare", "", f"A: `{a}`", f"B: `{b}`", "",
             f"{shared} jobs shared by (method {'name' if by_name else 'setting'}, dataset, seed); {len(changed)} of "
             f"them changed (status or any score); {int((only['only_in'] == 'A').sum())} only in A, "
             f"{int((only['only_in'] == 'B').sum())} only in B.", "", *(pairing if paired else []),
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
