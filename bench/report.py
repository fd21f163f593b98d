"""Build every output of a run from DIR/jobs: jobs.csv, leaderboard.csv, diagnostics.csv,
plots/*.png and report.md, which states the failure findings in plain words."""
from __future__ import annotations

import traceback
from pathlib import Path

import numpy as np
import pandas as pd

from . import plots
from .diagnostics import SORTABILITY_HIGH, THRESHOLDS
from .leaderboard import leaderboard
from .shortcuts import shortcuts_section
from .store import load_records
from .tables import diagnostics_table, jobs_table, summary_flags


def md_table(df: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return "–" if not np.isfinite(v) else floatfmt.format(v)
        return str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def _ci(lb: pd.DataFrame, m: str) -> pd.Series:
    return lb.apply(lambda r: f"{r[f'{m}_mean']:.3f} [{r[f'{m}_ci_low']:.2f}, {r[f'{m}_ci_high']:.2f}]"
                    if np.isfinite(r.get(f"{m}_mean", np.nan)) else "–", axis=1)


def leaderboard_markdown(lb: pd.DataFrame) -> list[str]:
    lines = []
    for (suite, tier), g in lb.groupby(["suite", "tier"], sort=True):
        view = pd.DataFrame({
            "rank": g["rank"].map(lambda v: "–" if pd.isna(v) else int(v)), "method": g["method"], "jobs": g["jobs"],
            "success": g["success_rate"].map(lambda v: f"{v:.0%}"),
            "AUROC [95% CI]": _ci(g, "auroc"), "AUPRC": g["auprc_mean"], "F1": g["f1_mean"],
            "SHD": g["shd_mean"], "SHD_cpdag": g["shd_cpdag_mean"], "SID": g["sid_mean"],
            "skel. AUROC": g["skeleton_auroc_mean"], "orient.": g["orientation_accuracy_mean"],
            "runtime s": g["runtime_s_mean"]})
        title = f"### `{suite}`" + ("" if tier == "all" else f" — tier {tier}")
        lines += [title, "", md_table(view, "{:.3f}"), ""]
    return lines


def findings(jobs: pd.DataFrame) -> list[str]:
    """Plain sentences about failures, per method."""
    out = []
    for method, g in jobs.groupby("method"):
        n = len(g)
        said = []
        if g["empty_output"].all():
            said.append(f"predicted **no edges at all** on every one of its {n} jobs (the original TabSCM failure)")
        elif g["empty_output"].any():
            said.append(f"predicted no edges on {g['empty_output'].sum()}/{n} jobs")
        if g["constant_scores"].any():
            said.append(f"gave constant scores (AUROC exactly 0.5) on {g['constant_scores'].sum()}/{n} jobs")
        if g["chance_auroc"].sum() > n / 2:
            said.append(f"was indistinguishable from chance (AUROC interval contains 0.5) on {g['chance_auroc'].sum()}/{n} jobs")
        if "no_better_than_trivial" in g and g["trivial_auroc"].notna().any() and g["no_better_than_trivial"].sum() > n / 2:
            said.append(f"was no better than the best trivial baseline on {g['no_better_than_trivial'].sum()}/{n} jobs")
        fails = {s: int((g["status"] == s).sum()) for s in ("timeout", "error", "invalid")}
        if any(fails.values()):
            said.append("failed " + ", ".join(f"{v} × {k}" for k, v in fails.items() if v) +
                        " (scored as the empty graph)")
        if said:
            out.append(f"- **{method}** " + "; ".join(said) + ".")
    return out or ["- No method tripped a failure flag on a majority of its jobs."]


def probe_lines(jobs: pd.DataFrame) -> list[str]:
    if "probe_blind" not in jobs or jobs["probe_blind"].isna().all():
        return ["No learned method in this run, so the dependence-blindness probe did not run."]
    from .probe import BLIND_THRESHOLD

    lines = ["Each learned method is refitted on the same data with every column shuffled on its own "
             "(marginals kept, all dependence destroyed), and on a joint row permutation (dependence "
             "kept: the noise floor). A method whose scores move by less than "
             f"{BLIND_THRESHOLD} (relative, beyond the noise floor) is **blind to dependence**: its "
             "output cannot be reading causal structure.", ""]
    for method, g in jobs[jobs["probe_blind"].notna()].groupby("method"):
        blind = int(g["probe_blind"].astype(bool).sum())
        verdict = "**BLIND to dependence**" if blind > len(g) / 2 else "responds to dependence"
        lines.append(f"- **{method}**: relative score change {g['probe_score_change'].mean():.3f} "
                     f"(noise floor {g['probe_control_change'].mean():.3f}, excess "
                     f"{g['probe_excess_change'].mean():.3f}); blind on {blind}/{len(g)} datasets: {verdict}.")
    return lines


SORT_GAIN = 0.1  # AUROC gained on a sortable dataset over its rescaled twin that names a method


def sortability_lines(jobs: pd.DataFrame) -> list[str]:
    """Sortable datasets, and the methods that gain from them: compared with the *same* SCM
    rescaled (same ``data_seed``, other scaling), so that only the scale cue differs."""
    if "high_sortability" not in jobs or not jobs["high_sortability"].any():
        return [f"No dataset in this run has var- or R²-sortability above {SORTABILITY_HIGH}."]
    hi = jobs[jobs["high_sortability"]]
    lines = [f"Datasets with var- or R²-sortability above {SORTABILITY_HIGH} (sorting by marginal "
             f"variance or R² recovers much of the causal order): "
             + ", ".join(f"`{d}`" for d in sorted(hi["dataset"].unique())) + ".", ""]
    if "data_seed" not in jobs:
        return lines + ["(No rescaled twins of these datasets in this run, so no method is singled out.)"]
    twins = jobs[jobs["data_seed"].isin(hi["data_seed"]) & jobs["data_seed"].notna()]
    pair = twins.groupby(["method", "high_sortability"])["auroc"].mean().unstack()
    if True not in pair or False not in pair:
        return lines + ["(No rescaled twins of these datasets in this run, so no method is singled out.)"]
    gains = (pair[True] - pair[False]).dropna().sort_values(ascending=False)
    named = [f"- **{m}** gains from it: AUROC {pair.loc[m, True]:.3f} on the sortable datasets vs "
             f"{pair.loc[m, False]:.3f} on the same SCMs standardized." for m, g in gains.items() if g > SORT_GAIN]
    return lines + (named or [f"- No method gains more than {SORT_GAIN} AUROC from sortability on these SCMs."])


def build_outputs(run_dir: str | Path) -> list[Path]:
    """Rebuild every table, plot and report.md from the job files."""
    run_dir = Path(run_dir)
    records = load_records(run_dir)
    if not records:
        raise ValueError(f"{run_dir}: no finished jobs to report on")
    jobs = jobs_table(records)
    lb = leaderboard(jobs)
    diag = diagnostics_table(jobs)
    paths = []
    for name, df in (("jobs.csv", jobs), ("leaderboard.csv", lb), ("diagnostics.csv", diag)):
        df.to_csv(run_dir / name, index=False)
        paths.append(run_dir / name)

    plot_dir, figures, plot_errors = run_dir / "plots", [], []
    for make in (lambda: plots.metric_boxes(jobs, plot_dir), lambda: [plots.runtime_vs_d(jobs, plot_dir)],
                 lambda: [plots.pr_curves(jobs, run_dir, plot_dir)],
                 lambda: plots.adjacency_heatmaps(jobs, run_dir, plot_dir),
                 lambda: plots.sachs_graphs(jobs, run_dir, plot_dir),
                 lambda: [plots.score_histograms(jobs, run_dir, plot_dir)]):
        try:
            figures += make()
        except Exception as e:  # a broken figure must not cost the tables or the report
            plot_errors.append(f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=2)}")
    shortcut_md, shortcut_figs = shortcuts_section(jobs, plot_dir)
    figures += shortcut_figs

    env = records[0]
    statuses = jobs["status"].value_counts().to_dict()
    lines = ["# TabSCM Bench report", "",
             f"{len(jobs)} jobs ({', '.join(f'{v} {k}' for k, v in statuses.items())}); methods: "
             f"{', '.join(sorted(jobs['method'].unique()))}; suites: {', '.join(sorted(jobs['suite'].unique()))}.",
             f"Code version {', '.join(sorted({r.get('code_version', '?') for r in records}))}, git "
             f"{env.get('git_commit')}; machine {env.get('machine', {}).get('platform')} "
             f"({env.get('machine', {}).get('cpus')} CPUs). Every number below traces to a file in `jobs/`.", "",
             "## Failure findings", "", *findings(jobs), "",
             "Per-flag counts per method are in `diagnostics.csv`:", "",
             *[f"- {line}" for line in summary_flags(diag)], "",
             "Thresholds:", "", *[f"- `{k}`: {v}" for k, v in THRESHOLDS.items()], "",
             "A failed job (timeout, error, invalid) is scored as the empty graph in every mean below.", "",
             "## Dependence-blindness probe", "", *probe_lines(jobs), "",
             "## Leaderboard", "",
             "Means over jobs with 95% bootstrap intervals; rank by mean AUROC. `shd` counts a reversal "
             "once; `SHD_cpdag` compares equivalence classes; `SID` is parent-AID for CPDAG outputs; "
             "`skel. AUROC` ignores direction; `orient.` is the share of true edges scored above their "
             "reversal.", "", *leaderboard_markdown(lb),
             "## Sorting shortcuts in the data", "", *sortability_lines(jobs), "",
             *shortcut_md, "",
             "## Figures", "", *[f"- [{p.name}](plots/{p.name})" for p in figures]]
    if plot_errors:
        lines += ["", "Figures that failed to draw:", "", *[f"```\n{e}\n```" for e in plot_errors]]
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")
    return paths + [run_dir / "report.md", plot_dir]
